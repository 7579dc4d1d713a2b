/**
 * The build plan: which images to build for the selected models. Each unique build input
 * (Dockerfile, context dir, build args, tools context, credential name) is built once; the other
 * models using it get their madengine image name as a tag of that build (compat §2.3, §2.4).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { BuildError } from '../errors.ts';
import type { DiscoveredModel, Model, ModelOrigin } from '../hub/model.ts';
import { dockerfileArchArg, hasBareArchArg, inferGpuVendor } from './dockerfile.ts';
import type { GpuVendor } from './dockerfile.ts';
import { archImageName, buildLogName, imageName, imageNameProblem } from './naming.ts';
import { dockerfilePrefix, matchingOrThrow, scanDockerfiles, selectionContext } from './select.ts';
import { hubRelative } from '../hub/paths.ts';
import type { ListingCache, ScannedDockerfile, SelectionContext } from './select.ts';
import type { AdditionalContext } from '../context/schema.ts';
import { isDirectory } from '../util/fs.ts';
import { isSecretName } from '../secrets/selection.ts';

export interface PlannedImage {
  /** madengine's image name for this model and Dockerfile (with "_<arch>" for target-arch builds). */
  image: string;
  model: Model;
  origin: ModelOrigin;
  /** Hub-relative Dockerfile path. */
  dockerfile: string;
  /** Build log file name (madengine's, see buildLogName). */
  buildLog: string;
}

export interface PlannedBuild {
  /** Stable short hash of the build input (not of file contents). */
  id: string;
  /** Hub-relative Dockerfile path. */
  dockerfile: string;
  /** Hub-relative build context directory ("docker", "."). */
  contextDir: string;
  /** additional-context docker_build_arg (stringified) plus MAD_SYSTEM_GPU_ARCHITECTURE for target-arch builds. */
  buildArgs: Record<string, string>;
  /** The model's credential name ("" when none). The builder adds `<cred>_<KEY>` build args; values never enter the plan. */
  cred: string;
  /** "docker/common" when the hub has it: passed as `--build-context tools=docker/common`. */
  toolsContext?: string;
  /** From the file name (.amd. / .nvidia.), else from the Dockerfile text. */
  gpuVendor: GpuVendor;
  /** Explicit or target arch, else the Dockerfile's MAD_SYSTEM_GPU_ARCHITECTURE default. */
  gpuArchitecture?: string;
  /** One per model using this build, in model order; images[0].image is the tag built, the rest are tagged from it. */
  images: PlannedImage[];
}

/** An image the plan cannot build (its name is invalid): recorded as that model's failed build, the others go on. */
export interface RejectedImage {
  model: string;
  dockerfile: string;
  image: string;
  error: string;
}

export interface BuildPlan {
  builds: PlannedBuild[];
  /** Images left out of every build, with why (e.g. a model or Dockerfile name that makes an invalid image name). */
  rejected?: RejectedImage[];
  /** Number of distinct models in the plan. */
  models: number;
  /** Non-fatal findings, e.g. a Dockerfile that needs MAD_SYSTEM_GPU_ARCHITECTURE and gets none. */
  warnings: string[];
}

/** What planning reads of the context: every key (Dockerfile selection) and the typed docker_build_arg. */
export type PlanContext = SelectionContext & Pick<AdditionalContext, 'docker_build_arg'>;

export interface PlanOptions {
  hubDir: string;
  /** Validated additional context: its keys select the Dockerfiles, its docker_build_arg are the build args. */
  context: PlanContext;
  /** `--target-archs`: one build per arch, unless docker_build_arg.MAD_SYSTEM_GPU_ARCHITECTURE is set. */
  targetArchs?: readonly string[];
}

const ARCH_ARG = 'MAD_SYSTEM_GPU_ARCHITECTURE';

/** Build context dir (compat §2.4): the model's dockercontext, else the hub root for primus Dockerfiles, else docker/. */
function contextDirFor(model: Model): string {
  if (model.dockercontext.trim() !== '') return hubRelative(model.dockercontext.trim(), `model ${model.name}: dockercontext`);
  return model.dockerfile.toLowerCase().includes('primus') ? '.' : 'docker';
}

/** Key order must not change the id: hash a canonical form of the build input. */
function buildId(input: Omit<PlannedBuild, 'id' | 'images' | 'gpuVendor' | 'gpuArchitecture'>): string {
  const canonical = JSON.stringify([
    input.dockerfile,
    input.contextDir,
    // A MAD_SECRETS* value stays out of this public id (a fast hash); the build hash fingerprints it slowly.
    Object.entries(input.buildArgs)
      .map(([name, value]): [string, string] => [name, isSecretName(name) ? '' : value])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    input.cred,
    input.toolsContext ?? '',
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

function uniqueArchs(targetArchs: readonly string[] | undefined): string[] {
  return [...new Set((targetArchs ?? []).map((arch) => arch.trim()).filter(Boolean))];
}

/** Dockerfile scans are I/O bound; a bounded number at a time keeps big hubs clear of EMFILE. */
const SCAN_CONCURRENCY = 32;

type Scan = Awaited<ReturnType<typeof scanDockerfiles>>;

/**
 * Scan each distinct prefix once (many models share docker/dummy), sharing directory listings.
 * Failures are kept, not thrown, so the caller reports them in model order.
 */
async function scanPrefixes(
  selected: readonly DiscoveredModel[],
  hubDir: string,
  selection: SelectionContext,
): Promise<Map<string, PromiseSettledResult<Scan>>> {
  const prefixes = new Set<string>();
  for (const { model } of selected) {
    try {
      prefixes.add(dockerfilePrefix(model));
    } catch {
      // reported, in model order, by planBuilds
    }
  }
  const listings: ListingCache = new Map();
  const results = new Map<string, PromiseSettledResult<Scan>>();
  const queue = [...prefixes];
  for (let start = 0; start < queue.length; start += SCAN_CONCURRENCY) {
    const chunk = queue.slice(start, start + SCAN_CONCURRENCY);
    const settled = await Promise.allSettled(chunk.map((prefix) => scanDockerfiles(prefix, hubDir, selection, listings)));
    chunk.forEach((prefix, i) => results.set(prefix, settled[i]!));
  }
  return results;
}

/**
 * Plan the builds for the selected models. Every selected model must have at least one Dockerfile
 * matching the context; all such models are reported in one BuildError.
 */
export async function planBuilds(selected: readonly DiscoveredModel[], options: PlanOptions): Promise<BuildPlan> {
  const { hubDir, context } = options;
  const selection = await selectionContext(context, hubDir);
  // The schema already stringified the values, the way madengine passes them to `--build-arg`.
  const baseArgs: Record<string, string> = { ...context.docker_build_arg };
  const explicitArch = baseArgs[ARCH_ARG];
  const archs: (string | undefined)[] = explicitArch === undefined ? uniqueArchs(options.targetArchs) : [];
  if (archs.length === 0) archs.push(undefined);
  const toolsContext = (await isDirectory(path.join(hubDir, 'docker', 'common'))) ? 'docker/common' : undefined;

  const scans = await scanPrefixes(selected, hubDir, selection);
  const builds = new Map<string, PlannedBuild>();
  const seenImages = new Set<string>();
  const models = new Set<string>();
  const warnings: string[] = [];
  const warned = new Set<string>();
  const missing: BuildError[] = [];
  const rejected: RejectedImage[] = [];

  for (const { model, origin } of selected) {
    let matching: ScannedDockerfile[];
    try {
      const prefix = dockerfilePrefix(model);
      const scan = scans.get(prefix)!;
      if (scan.status === 'rejected') throw scan.reason;
      matching = matchingOrThrow(model, prefix, hubDir, selection, scan.value);
    } catch (error) {
      if (error instanceof BuildError) {
        missing.push(error);
        continue;
      }
      throw error;
    }
    models.add(model.name);
    const contextDir = contextDirFor(model);
    for (const { candidate, text } of matching) {
      for (const arch of archs) {
        const buildArgs = arch === undefined ? { ...baseArgs } : { ...baseArgs, [ARCH_ARG]: arch };
        const imageKey = `${model.name}\0${candidate.path}\0${arch ?? ''}`;
        if (seenImages.has(imageKey)) continue; // the same model selected by two tags
        seenImages.add(imageKey);
        const base = imageName(model.name, candidate.path);
        const image = arch === undefined ? base : archImageName(base, arch);
        const badName = imageNameProblem(image);
        if (badName !== undefined) {
          // Kept out of the shared build: one bad name must not fail the models it shares a Dockerfile with.
          rejected.push({ model: model.name, dockerfile: candidate.path, image, error: `model ${model.name}: ${badName}` });
          continue;
        }

        const input = { dockerfile: candidate.path, contextDir, buildArgs, cred: model.cred, toolsContext };
        const id = buildId(input);
        let build = builds.get(id);
        if (!build) {
          build = { id, ...input, gpuVendor: inferGpuVendor(candidate.path, text), images: [] };
          if (toolsContext === undefined) delete build.toolsContext;
          const gpuArchitecture = arch ?? explicitArch ?? dockerfileArchArg(text);
          if (gpuArchitecture) build.gpuArchitecture = gpuArchitecture;
          else if (hasBareArchArg(text) && !warned.has(candidate.path)) {
            warned.add(candidate.path);
            warnings.push(
              `${candidate.path} declares ARG ${ARCH_ARG} without a default and none is set: ` +
                `pass docker_build_arg.${ARCH_ARG} in additional-context or use --target-archs`,
            );
          }
          builds.set(id, build);
        }
        build.images.push({
          image,
          model,
          origin,
          dockerfile: candidate.path,
          buildLog: buildLogName(model.name, candidate.path, arch),
        });
      }
    }
  }

  if (missing.length === 1) throw missing[0]!;
  if (missing.length > 1) {
    throw new BuildError(`${missing.length} selected models have no matching Dockerfile:\n` + missing.map((e) => `- ${e.message}`).join('\n'));
  }
  return { builds: [...builds.values()], ...(rejected.length > 0 ? { rejected } : {}), models: models.size, warnings };
}
