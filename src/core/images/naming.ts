/**
 * madengine's names for images, logs and containers (compat §2.3, §2.5, §3.3).
 * They are part of the compatibility contract: manifests, perf.csv rows and CI scripts
 * written for madengine look for exactly these strings.
 */
import path from 'node:path';
import type { Credentials } from '../registry/credentials.ts';
import { DOCKER_HUB_CREDENTIAL_KEY, isDockerHub } from '../registry/docker-hub.ts';
import { isPlainObject } from '../util/object.ts';
import { isRepositoryComponent } from '../registry/reference.ts';

/** "docker/dummy.ubuntu.amd.Dockerfile" -> "dummy.ubuntu.amd" (every ".Dockerfile" is dropped, as upstream; / and \ both separate directories). */
export function dockerfileStem(dockerfilePath: string): string {
  return path.posix.basename(dockerfilePath.replaceAll('\\', '/')).replaceAll('.Dockerfile', '');
}

/** Image built for a model from one Dockerfile: "ci-" + model (lower-cased, / -> _) + "_" + Dockerfile stem. */
export function imageName(modelName: string, dockerfilePath: string): string {
  return `ci-${modelName.replaceAll('/', '_').toLowerCase()}_${dockerfileStem(dockerfilePath)}`;
}

const VALID_IMAGE_NAME =
  "lower-case letters and digits joined by '.', '_', '__' or dashes (a model name may use upper case and '/', which become lower case and '_')";

/** Why `image` (an imageName()) cannot be built or tagged ("(HTTP code 500) invalid reference format" otherwise), else undefined. */
export function imageNameProblem(image: string): string | undefined {
  return isRepositoryComponent(image) ? undefined : `image name '${image}' is not a valid Docker image name: it must be ${VALID_IMAGE_NAME}`;
}

/** Why no image name can be formed from `modelName`, else undefined (checked with a plain Dockerfile stem). */
export function modelNameProblem(modelName: string): string | undefined {
  if (!isRepositoryComponent(imageName(modelName, 'x.Dockerfile'))) {
    return `model name '${modelName}' cannot form a Docker image name (ci-<name>_<dockerfile>): it must be ${VALID_IMAGE_NAME}`;
  }
  // The name is part of image names and of log file names (255 bytes at most on every common file system).
  if (Buffer.byteLength(modelName) > MAX_MODEL_NAME_BYTES) {
    return `model name '${modelName.slice(0, 40)}...' is ${Buffer.byteLength(modelName)} bytes long: at most ${MAX_MODEL_NAME_BYTES} are allowed (it becomes part of image and log file names)`;
  }
  return undefined;
}

/** Leaves room in a 255-byte file name for the Dockerfile stem, the image prefix and the log suffix. */
export const MAX_MODEL_NAME_BYTES = 128;

/** Per-architecture image for `--target-archs` builds: "<image>_<arch>". */
export function archImageName(image: string, arch: string): string {
  return `${image}_${arch}`;
}

/**
 * Build log file name: model (/ -> _, case kept) + "_" + Dockerfile stem + ".build.live.log".
 * With `arch` (target-arch builds) the arch is added before the phase, so per-arch builds of one
 * Dockerfile do not overwrite each other's log (madengine reuses one name) and the name still
 * pairs with runLogName() of the per-arch image.
 */
export function buildLogName(modelName: string, dockerfilePath: string, arch?: string): string {
  const archPart = arch ? `_${arch}` : '';
  return `${modelName.replaceAll('/', '_')}_${dockerfileStem(dockerfilePath)}${archPart}.build.live.log`;
}

/**
 * Reduce an image reference to the part that names logs: drop any @digest; a "repo:ci-..." tag
 * names the image by its tag (so pushed images still pair with their build log); anything else
 * keeps the whole reference with / : @ replaced by _.
 */
function imageRefForLogName(imageRef: string): string {
  const withoutDigest = imageRef.trim().split('@', 1)[0]!;
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  if (colon >= 0 && lastSegment.slice(colon + 1).startsWith('ci-')) return lastSegment.slice(colon + 1);
  return withoutDigest.replace(/[/:@]/g, '_');
}

/**
 * Run log file name (madengine's make_run_log_file_path): "<model, / -> _>_<image rest><phase>.live.log",
 * where <image rest> is the image (see imageRefForLogName) without its "ci-" prefix and without the
 * lower-cased model prefix, e.g. ("dummy", "ci-dummy_dummy.ubuntu.amd") -> "dummy_dummy.ubuntu.amd.run.live.log".
 * Only a leading "ci-" is dropped (upstream drops every "ci-", which breaks names containing "ci-").
 * A model that runs several times (--repeat, --warmup) names the run in the phase: ".sample2.run".
 */
export function runLogName(modelName: string, imageRef: string, phase = '.run'): string {
  const reduced = imageRefForLogName(imageRef);
  const withoutCi = reduced.startsWith('ci-') ? reduced.slice(3) : reduced;
  const modelPrefix = `${modelName.replaceAll('/', '_').toLowerCase()}_`;
  const rest = withoutCi.startsWith(modelPrefix) ? withoutCi.slice(modelPrefix.length) : withoutCi;
  return `${modelName}_${rest}${phase}.live.log`.replaceAll('/', '_');
}

/**
 * Run log of a model run by the host executor (no image): "dummy2_model1.host.run.live.log"; a model
 * that runs several times (--repeat, --warmup) names the run: "dummy2_model1.host.sample2.run.live.log".
 */
export function hostRunLogName(modelName: string, pass?: string): string {
  return `${modelName.replaceAll('/', '_')}.host${pass ? `.${pass}` : ''}.run.live.log`;
}

/**
 * Container name for an image: "container_" + image with / and : replaced by _, plus "_node<rank>"
 * on multi-node runs, plus "_<run>" (the last 8 characters of the run id) so two runs of the same
 * image on one machine never share a name (madengine's names stop before it; difference 33), plus
 * "_<pass>" ("warmup1", "sample2") when a model runs several times in one run (--repeat, --warmup).
 * A digest is dropped so digest-pinned references still give a name Docker accepts (and the same
 * name as the unpinned reference).
 */
export function containerName(imageRef: string, options: { runId?: string; rank?: string | number; pass?: string } = {}): string {
  const withoutDigest = imageRef.trim().split('@', 1)[0]!;
  const base = `container_${withoutDigest.replace(/[/:]/g, '_')}`;
  const { runId, rank, pass } = options;
  const ranked = rank === undefined || rank === '' ? base : `${base}_node${rank}`;
  const named = runId ? `${ranked}_${runSuffix(runId)}` : ranked;
  return pass ? `${named}_${pass}` : named;
}

/** A run id as a container name part: characters Docker takes, short (its random end). */
function runSuffix(runId: string): string {
  return runId.replace(/[^a-zA-Z0-9_.-]/g, '_').slice(-8);
}

function repositoryOf(credentials: Credentials | undefined, key: string): string | undefined {
  const entry = credentials?.[key];
  if (!isPlainObject(entry)) return undefined;
  const repository = (entry as Record<string, unknown>).repository;
  // An empty repository would give ":<image>" / "<registry>/:<image>", which Docker rejects.
  return typeof repository === 'string' && repository !== '' ? repository : undefined;
}

/**
 * Reference an image is pushed as (madengine's _determine_registry_image_name):
 * - no registry: the local image name;
 * - Docker Hub under any of its names (docker.io, dockerhub, index.docker.io, ...; any case): "<dockerhub.repository>:<image>",
 *   or the image alone without a repository;
 * - any other registry R: "R/<R.repository>:<image>", or "R/<image>" without a repository.
 */
export function registryImageName(registry: string | undefined, image: string, credentials?: Credentials): string {
  if (!registry) return image;
  if (isDockerHub(registry)) {
    const repository = repositoryOf(credentials, DOCKER_HUB_CREDENTIAL_KEY);
    return repository === undefined ? image : `${repository}:${image}`;
  }
  const repository = repositoryOf(credentials, registry);
  return repository === undefined ? `${registry}/${image}` : `${registry}/${repository}:${image}`;
}
