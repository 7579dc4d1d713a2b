/**
 * The build phase: one image per unique build input of the plan, reused when an image with
 * the same content hash already exists (locally or in the target registry), tagged with every
 * model's madengine name, optionally pushed; the result is a madengine-compatible manifest.
 * A failing build or push is recorded and the others go on: nothing is lost.
 */
import { copyFile, mkdir, writeFile, appendFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { BuildPlan, PlannedBuild, PlannedImage } from '../images/plan.ts';
import { registryImageName } from '../images/naming.ts';
import { credentialBuildArgs, type Credentials, type RegistryAuth } from '../registry/credentials.ts';
import { Redactor, type TextRedactor } from '../secrets/redactor.ts';
import { isSecretName, secretEnv, selectSecrets } from '../secrets/selection.ts';
import type { BuildManifest, BuiltImage, FailedBuild } from '../manifest/manifest.ts';
import type { AdditionalContext } from '../context/schema.ts';
import type { ImageEngine } from './engine.ts';
import { deploymentConfig, manifestContext } from './manifest-parts.ts';
import { buildCommand } from './build-command.ts';
import { secretHashInputs, secretsForDockerfile, splitSecretArgs } from './build-secrets.ts';
import { pushOne, registryAuth } from './push.ts';

export const BUILD_HASH_LABEL = 'org.madengine.build-hash';
export const BUILD_ID_LABEL = 'org.madengine.build-id';

export interface BuildImagesOptions {
  hubDir: string;
  plan: BuildPlan;
  /** Validated additional context; stored in the manifest (without secrets). */
  context: AdditionalContext;
  engine: ImageEngine;
  credentials: Credentials;
  /** Push target; images are only tagged locally without it. */
  registry?: string;
  /** Checks whether the registry already holds an image with this build hash (label). */
  registryHasBuild?: (registryImage: string, buildHash: string, auth?: RegistryAuth) => Promise<string | undefined>;
  /** A registry image name that overrides madengine's naming for a model (batch manifests' registry_image). */
  registryImageFor?: (modelName: string) => string | undefined;
  /** Build every image again (--clean-docker-cache): no reuse, daemon --no-cache. */
  noCache: boolean;
  /** Where build logs are written. */
  logDir: string;
  /** Mirror build output to the logger. */
  liveOutput: boolean;
  logger: Logger;
  signal?: AbortSignal;
  now?: () => number;
  /** Redacts build output and errors (default: one over the credentials, MAD_SECRETS* of `env` and of docker_build_arg). */
  redactor?: TextRedactor;
  /** Where MAD_SECRETS* secrets come from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * Push images whose history holds a secret build arg (a Dockerfile `ARG` named like a secret);
   * without it such a push is refused and the image stays local (--allow-secrets-in-image).
   */
  allowSecretsInImage?: boolean;
}

export interface BuildImagesResult {
  manifest: BuildManifest;
  built: number;
  reused: number;
  failedBuilds: FailedBuild[];
  failedPushes: { image: string; registry_image: string; error: string }[];
}

export async function buildImages(options: BuildImagesOptions): Promise<BuildImagesResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const env = options.env ?? process.env;
  const envSecrets = secretEnv(env);
  // The caller's redactor (the pipeline's, which knows every secret of the run), else one from the same selection.
  const redactor =
    options.redactor ??
    new Redactor(selectSecrets({ credentials: options.credentials, env, contextEnv: options.plan.builds.map((build) => build.buildArgs) }).values);
  const safe = (text: string): string => redactor.redact(text);
  const result: BuildImagesResult = {
    manifest: {
      built_images: {},
      built_models: {},
      context: manifestContext(options.context),
      credentials_required: [...new Set(options.plan.builds.map((b) => b.cred).filter(Boolean))],
      summary: { successful_builds: [], failed_builds: [], total_build_time: 0, successful_pushes: [], failed_pushes: [] },
      deployment_config: deploymentConfig(options.context),
    },
    built: 0,
    reused: 0,
    failedBuilds: [],
    failedPushes: [],
  };
  await mkdir(options.logDir, { recursive: true });

  for (const bad of options.plan.rejected ?? []) result.failedBuilds.push({ model: bad.model, error: bad.error, dockerfile: bad.dockerfile });
  const auth = await registryAuth(options);
  for (const build of options.plan.builds) {
    if (options.signal?.aborted) {
      for (const image of build.images) result.failedBuilds.push(failure(image, build, 'cancelled before it started'));
      continue;
    }
    const outcome = await buildOne(build, options, safe, auth.auth, now, envSecrets);
    if ('error' in outcome) {
      options.logger.error(`build ${build.dockerfile} for ${build.images.map((i) => i.model.name).join(', ')} failed: ${outcome.error}`);
      for (const image of build.images) result.failedBuilds.push(failure(image, build, outcome.error));
      continue;
    }
    if (outcome.reusedFrom) result.reused++;
    else result.built++;
    for (const image of build.images) {
      const entry: BuiltImage = {
        model: image.model.name,
        docker_image: image.image,
        dockerfile: image.dockerfile,
        base_docker: outcome.baseImage,
        docker_sha: outcome.imageId,
        build_duration: outcome.seconds,
        build_command: buildCommand(build, image, options, outcome.secretNames),
        log_file: image.buildLog,
        gpu_vendor: build.gpuVendor,
        ...(build.gpuArchitecture ? { gpu_architecture: build.gpuArchitecture } : {}),
        build_id: build.id,
        build_hash: outcome.hash,
        reused: outcome.reusedFrom !== undefined,
        ...(outcome.reusedFrom ? { reused_from: outcome.reusedFrom } : {}),
        models: build.images.map((i) => i.model.name),
        ...(outcome.secretNames.buildArgs.length ? { secret_build_args: outcome.secretNames.buildArgs } : {}),
      };
      const model: Record<string, unknown> = { ...image.model };
      if (options.registry) {
        entry.registry = options.registry;
        const target = targetFor(options, image);
        const refusal = options.allowSecretsInImage ? undefined : secretPushRefusal(image, target, outcome.secretNames.buildArgs);
        const pushed = refusal
          ? { error: refusal }
          : auth.error
            ? { error: auth.error }
            : await pushOne(options, image.image, target, auth.auth, safe, outcome.registryDigests?.[image.image]);
        if ('error' in pushed) {
          entry.push_error = pushed.error;
          result.failedPushes.push({ image: image.image, registry_image: target, error: pushed.error });
          options.logger.error(`push of ${target} failed: ${pushed.error}`);
        } else {
          entry.registry_image = target;
          entry.registry_digest = pushed.digest;
          model.env_vars = { ...((model.env_vars as Record<string, unknown> | undefined) ?? {}), DOCKER_IMAGE_NAME: target };
          result.manifest.summary!.successful_pushes.push({ image: image.image, registry_image: target, digest: pushed.digest });
        }
      }
      result.manifest.built_images[image.image] = entry;
      result.manifest.built_models[image.image] = model as BuildManifest['built_models'][string];
      result.manifest.summary!.successful_builds.push(entry);
    }
  }
  result.manifest.summary!.failed_builds = result.failedBuilds;
  result.manifest.summary!.failed_pushes = result.failedPushes;
  result.manifest.summary!.total_build_time = (now() - started) / 1000;
  return result;
}

function failure(image: PlannedImage, build: PlannedBuild, error: string): FailedBuild {
  return { model: image.model.name, error, dockerfile: image.dockerfile, ...(build.gpuArchitecture ? { architecture: build.gpuArchitecture } : {}) };
}

/** Why an image whose history holds secret build args is not pushed (undefined when it holds none). */
function secretPushRefusal(image: PlannedImage, target: string, secretArgs: readonly string[]): string | undefined {
  if (secretArgs.length === 0) return undefined;
  return (
    `refused to push ${target}: ${image.dockerfile} (model ${image.model.name}) declares ARG ${secretArgs.join(', ')}, so the secret value(s) ` +
    `are in the image history and would be in the registry's image config; mount them instead (RUN --mount=type=secret,id=${secretArgs[0]} ...), ` +
    `or push anyway with --allow-secrets-in-image (action input allow-secrets-in-image: true); the image ${image.image} stays local`
  );
}

/** The names (never values) of the secrets a build used, by how they reached it, and the mount ids no secret serves. */
interface SecretNames {
  buildArgs: string[];
  mounts: string[];
  unknownMounts: string[];
}

type BuildOutcome =
  | {
      imageId: string;
      hash: string;
      baseImage: string;
      seconds: number;
      reusedFrom?: 'local' | 'registry';
      registryDigests?: Record<string, string>;
      secretNames: SecretNames;
    }
  | { error: string };

async function buildOne(
  build: PlannedBuild,
  options: BuildImagesOptions,
  safe: (text: string) => string,
  auth: RegistryAuth | undefined,
  now: () => number,
  envSecrets: Record<string, string>,
): Promise<BuildOutcome> {
  const { engine, hubDir, logger } = options;
  const primary = build.images[0]!;
  const logPath = path.join(options.logDir, primary.buildLog);
  const started = now();
  let unknownMounts: readonly string[] = [];
  try {
    // A MAD_SECRETS* docker_build_arg is a secret like a MAD_SECRETS* variable (and wins over one of the same name).
    const contextArgs = splitSecretArgs(build.buildArgs);
    const credentialArgs = build.cred ? credentialBuildArgs(build.cred, options.credentials, primary.model.name) : {};
    const available = { ...envSecrets, ...contextArgs.secret, ...credentialArgs };
    const tools = build.toolsContext ? { toolsContext: build.toolsContext } : {};
    const source = { hubDir, contextDir: build.contextDir, dockerfile: build.dockerfile, ...tools };
    const secrets = secretsForDockerfile(available, await engine.dockerfileText(source));
    const secretNames = { buildArgs: Object.keys(secrets.buildArgs).sort(), mounts: Object.keys(secrets.mounts).sort(), unknownMounts: secrets.unknownMounts };
    const buildArgs = { ...contextArgs.plain, ...secrets.buildArgs };
    unknownMounts = secrets.unknownMounts;
    warnAboutSecrets(build, secretNames, logger);
    // The hash (a public label) holds secret names and a slow-KDF fingerprint of their values, never a value:
    // a rotated secret rebuilds; a secret this Dockerfile does not use changes nothing.
    const hash = await engine.hashInputs({ ...source, buildArgs: contextArgs.plain, extra: await secretHashInputs(secrets) });
    await writeFile(logPath, `# madengine build ${build.id} (${build.dockerfile}) hash ${hash}\n`);

    if (!options.noCache) {
      const local = await engine.findByLabel(BUILD_HASH_LABEL, hash);
      if (local) {
        const localId = local.id;
        // Names already on the image need no API call (a no-change rebuild then costs almost nothing).
        const tagged = new Set(local.tags.map((tag) => tag.replace(/:latest$/, '')));
        await tagAll(
          engine,
          localId,
          build.images.filter((image) => !tagged.has(image.image)),
        );
        await note(logPath, build, `reused local image ${localId} (inputs unchanged)`);
        logger.info(`reused ${primary.image} (${short(localId)}): inputs unchanged`);
        return { imageId: localId, hash, baseImage: baseFromArgs(build), seconds: 0, reusedFrom: 'local', secretNames };
      }
      if (options.registry && options.registryHasBuild) {
        const digests = await registryDigests(build, hash, options, auth);
        if (digests) {
          await note(logPath, build, `reused from ${options.registry}: every image there carries this build hash`);
          logger.info(`reused ${primary.image} from ${options.registry}: inputs unchanged`);
          return { imageId: '', hash, baseImage: baseFromArgs(build), seconds: 0, reusedFrom: 'registry', registryDigests: digests, secretNames };
        }
      }
    }

    logger.info(`building ${primary.image} from ${build.dockerfile}${build.images.length > 1 ? ` (shared by ${build.images.length} models)` : ''}`);
    const lines: string[] = [];
    const flush = async (): Promise<void> => {
      if (lines.length) await appendFile(logPath, lines.splice(0).join(''));
    };
    const { imageId, baseImage } = await engine
      .build({
        tag: primary.image,
        hubDir,
        contextDir: build.contextDir,
        dockerfile: build.dockerfile,
        ...tools,
        buildArgs,
        // Every secret-mount Dockerfile builds on BuildKit, also when no secret serves its ids (those then have no file).
        ...(secretNames.mounts.length || secretNames.unknownMounts.length ? { secrets: secrets.mounts } : {}),
        labels: { [BUILD_HASH_LABEL]: hash, [BUILD_ID_LABEL]: build.id },
        noCache: options.noCache,
        onLine: (line) => {
          const clean = safe(line);
          lines.push(`${clean}\n`);
          if (options.liveOutput) logger.info(clean);
        },
        ...(options.signal ? { signal: options.signal } : {}),
      })
      .finally(flush);
    await tagAll(engine, imageId, build.images.slice(1));
    await note(logPath, build, `built ${imageId}`);
    return { imageId, hash, baseImage: build.buildArgs.BASE_DOCKER ?? baseImage, seconds: (now() - started) / 1000, secretNames };
  } catch (error) {
    const message = safe(withMissingSecretHint(errorMessage(error), build, unknownMounts));
    await appendFile(logPath, `ERROR: ${message}\n`).catch(() => undefined);
    return { error: message };
  } finally {
    // Every model's log file exists, even for models that share another model's build.
    for (const image of build.images.slice(1)) {
      await copyFile(logPath, path.join(options.logDir, image.buildLog)).catch(() => undefined);
    }
  }
}

/** Secret build args end up in the image history: say so, with the fix. Mount ids no secret has are likely typos. */
function warnAboutSecrets(build: PlannedBuild, names: SecretNames, logger: Logger): void {
  const { unknownMounts } = names;
  const models = build.images.map((image) => image.model.name).join(', ');
  if (names.buildArgs.length) {
    logger.warn(
      `model ${models}: ${build.dockerfile} declares ARG ${names.buildArgs.join(', ')}, so these secret build args are baked into the image history ` +
        `(docker history, the image config in a registry); use RUN --mount=type=secret,id=${names.buildArgs[0]} (the secret is then a file ` +
        `under /run/secrets/) instead of ARG; such an image is not pushed without --allow-secrets-in-image`,
    );
  }
  if (unknownMounts.length) {
    logger.warn(
      `model ${models}: ${build.dockerfile} mounts secret id(s) ${unknownMounts.join(', ')} that no MAD_SECRETS* variable (environment or ` +
        `docker_build_arg) or credential '${build.cred || '(none)'}' key provides; BuildKit builds without them (a required=true mount fails)`,
    );
  }
}

/** Where a secret named `id` can come from, for messages about a mount no secret serves. */
function secretSourcesFor(id: string, build: PlannedBuild): string {
  const fromCredential = build.cred ? `a key of credential '${build.cred}' (served as ${build.cred}_<KEY in upper case>)` : '';
  if (isSecretName(id))
    return `set the environment variable ${id}, or docker_build_arg.${id} in the additional context${fromCredential ? `, or ${fromCredential}` : ''}`;
  return fromCredential
    ? `add ${fromCredential}, or rename the mount to a MAD_SECRETS* id and set that environment variable`
    : `only MAD_SECRETS* ids (environment variables or docker_build_arg) and <cred>_<KEY> ids (the model's credential) are served: rename the mount`;
}

/**
 * BuildKit fails a `required=true` mount that no secret serves with "secret X not found": say which
 * Dockerfile mounts it and where secrets come from.
 */
function withMissingSecretHint(message: string, build: PlannedBuild, unknownMounts: readonly string[]): string {
  const id = unknownMounts.find((candidate) => message.includes(`secret ${candidate} not found`));
  if (id === undefined) return message;
  return (
    `${message} (${build.dockerfile} mounts secret ${id} with required=true, and no secret ${id} is known: ` +
    `${secretSourcesFor(id, build)}; or drop required=true, so the step runs without the file)`
  );
}

/** Digest of every image of the build in the registry when all of them carry `hash`, else undefined. */
async function registryDigests(
  build: PlannedBuild,
  hash: string,
  options: BuildImagesOptions,
  auth: RegistryAuth | undefined,
): Promise<Record<string, string> | undefined> {
  const digests: Record<string, string> = {};
  for (const image of build.images) {
    const target = targetFor(options, image);
    const digest = await options.registryHasBuild!(target, hash, auth).catch(() => undefined);
    if (!digest) return undefined;
    digests[image.image] = digest;
  }
  return digests;
}

function targetFor(options: BuildImagesOptions, image: PlannedImage): string {
  return options.registryImageFor?.(image.model.name) ?? registryImageName(options.registry, image.image, options.credentials);
}

function baseFromArgs(build: PlannedBuild): string {
  return build.buildArgs.BASE_DOCKER ?? '';
}

async function tagAll(engine: ImageEngine, imageId: string, images: readonly PlannedImage[]): Promise<void> {
  for (const image of images) await engine.tag(imageId, image.image);
}

async function note(logPath: string, build: PlannedBuild, message: string): Promise<void> {
  await appendFile(logPath, `# ${message}; images: ${build.images.map((i) => i.image).join(', ')}\n`);
}

function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
