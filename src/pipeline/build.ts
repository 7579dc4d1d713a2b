/**
 * The build pipeline of `madengine build`, the build-push action and a `run --tags`: context,
 * credentials and selection loaded once -> plan -> images (Docker or podman) -> manifest.
 * The manifest is written whatever happens after planning (failed builds, failed pushes,
 * cancellation), so nothing that was built is lost.
 */
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { ConfigError, ExitCode } from '../core/errors.ts';
import { redactingLogger, type Logger } from '../core/log.ts';
import { Redactor, withRedactedErrors, type TextRedactor } from '../core/secrets/redactor.ts';
import { contextSecretVariables } from '../core/secrets/selection.ts';
import type { AdditionalContext } from '../core/context/schema.ts';
import { applyBatchEntries, readBatchManifest } from '../core/build/batch.ts';
import { buildImages, type BuildImagesResult } from '../core/build/build-images.ts';
import { redactStrings } from '../core/build/redact-manifest.ts';
import type { ImageEngine } from '../core/build/engine.ts';
import { registryBuildProbe } from '../core/build/registry-probe.ts';
import { planBuilds } from '../core/images/plan.ts';
import { splitTags } from '../core/hub/tags.ts';
import { writeManifest, type BuildManifest } from '../core/manifest/manifest.ts';
import { registryAuthCredentials, type Credentials } from '../core/registry/credentials.ts';
import { connectDocker, ensureDocker } from '../engines/docker/connection.ts';
import { dockerImageEngine } from '../engines/docker/image-engine.ts';
import { addSecrets, loadAllCredentials, loadContext, loadSelection, type ContextInput, type Selection } from './load.ts';

export interface BuildOptions {
  hubDir: string;
  tags: readonly string[];
  context: ContextInput;
  /** madengine's batch.json (instead of tags). */
  batchManifestFile?: string;
  registry?: string;
  /** Extra credentials (e.g. action inputs) over credential.json and MAD_DOCKERHUB_*. */
  credentials?: Credentials;
  targetArchs?: readonly string[];
  noCache?: boolean;
  /** build_manifest.json path (relative paths are relative to the current directory). */
  manifestOutput: string;
  summaryOutput?: string;
  liveOutput?: boolean;
  /** Push images whose history holds secret build args (refused without it). */
  allowSecretsInImage?: boolean;
  /** The Docker-API daemon to build on (default: the one DOCKER_HOST or the default socket names). */
  docker?: Docker;
  logger: Logger;
  signal?: AbortSignal;
  /** Receives every secret value the run learns (the actions register them with the runner's log masking). */
  onSecrets?: (values: readonly string[]) => void;
  env?: NodeJS.ProcessEnv;
}

export interface BuildResult extends BuildImagesResult {
  manifestPath: string;
  exitCode: ExitCode;
}

/** One redactor for the whole build: every log line and escaping error goes through it. */
export async function buildModels(options: BuildOptions): Promise<BuildResult> {
  const redactor = new Redactor();
  if (options.onSecrets) redactor.onAdd(options.onSecrets);
  return withRedactedErrors(redactor, () => buildRedacted({ ...options, logger: redactingLogger(options.logger, redactor) }, redactor));
}

async function buildRedacted(options: BuildOptions, redactor: Redactor): Promise<BuildResult> {
  const { logger, hubDir } = options;
  addSecrets(redactor, { env: options.env ?? process.env }, logger);
  const batch = options.batchManifestFile ? await readBatchManifest(options.batchManifestFile) : undefined;
  const tags = batch ? batch.buildTags : splitTags(options.tags);
  if (tags.length === 0 && !batch) throw new ConfigError('No models discovered: pass --tags (e.g. --tags all) to choose what to build');
  const { context } = await loadContext(options.context, logger);
  const docker = options.docker ?? (await connectDocker());
  await ensureDocker(docker);
  if (context.registry_auth && !options.registry) {
    throw new ConfigError('registry_auth: given without a registry, expected --registry <host> too (registry_auth is the login for it)');
  }
  const contextLogins = registryAuthCredentials(context.registry_auth, options.registry ? [options.registry] : []);
  const credentials = await loadAllCredentials(hubDir, options.credentials, options.env, contextLogins);
  addSecrets(redactor, { credentials, contextEnv: contextSecretVariables(context) }, logger);
  const selection = await loadSelection(hubDir, tags, logger);
  const result = await buildSelection({
    hubDir,
    selection,
    context,
    credentials,
    engine: dockerImageEngine(docker),
    registry: options.registry,
    targetArchs: options.targetArchs,
    noCache: options.noCache,
    manifestOutput: options.manifestOutput,
    liveOutput: options.liveOutput,
    allowSecretsInImage: options.allowSecretsInImage,
    registryImageFor: batch?.registryImageFor,
    applyBatch:
      batch && ((manifest) => applyBatchEntries(manifest, batch, { catalogue: selection.catalogue, hubDir, context, registry: options.registry, credentials })),
    logger,
    redactor,
    signal: options.signal,
    env: options.env,
  });
  if (options.summaryOutput) await writeFile(path.resolve(options.summaryOutput), JSON.stringify(result.manifest.summary, null, 2) + '\n');
  return result;
}

/** The build step on loaded inputs; `runModels` calls it for a `--tags` run. */
export interface BuildSelectionOptions {
  hubDir: string;
  selection: Selection;
  context: AdditionalContext;
  credentials: Credentials;
  engine: ImageEngine;
  registry?: string;
  targetArchs?: readonly string[];
  noCache?: boolean;
  manifestOutput: string;
  liveOutput?: boolean;
  /** Push images whose history holds secret build args (refused without it). */
  allowSecretsInImage?: boolean;
  registryImageFor?: (modelName: string) => string | undefined;
  /** Adds a batch manifest's build_new:false entries before the manifest is written. */
  applyBatch?: (manifest: BuildManifest) => Promise<BuildManifest>;
  logger: Logger;
  /** The pipeline's redactor: every string of the manifest, the summary and the failures goes through it. */
  redactor: TextRedactor;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export async function buildSelection(options: BuildSelectionOptions): Promise<BuildResult> {
  const { logger, hubDir, selection } = options;
  logger.info(`${selection.selected.length} model(s) selected from ${selection.catalogue.models.length} in ${hubDir}`);

  const plan = await planBuilds(selection.selected, { hubDir, context: options.context, ...(options.targetArchs ? { targetArchs: options.targetArchs } : {}) });
  for (const warning of plan.warnings) logger.warn(warning);
  const images = plan.builds.reduce((n, b) => n + b.images.length, 0);
  logger.info(`build plan: ${plan.builds.length} build(s) for ${images} image(s) of ${plan.models} model(s)`);

  const manifestPath = path.resolve(options.manifestOutput);
  const result = await logger.group('Build images', () =>
    buildImages({
      hubDir,
      plan,
      context: options.context,
      engine: options.engine,
      credentials: options.credentials,
      registry: options.registry,
      registryHasBuild: registryBuildProbe(options.credentials),
      registryImageFor: options.registryImageFor,
      noCache: options.noCache ?? false,
      logDir: path.dirname(manifestPath),
      liveOutput: options.liveOutput ?? false,
      logger,
      signal: options.signal,
      env: options.env,
      allowSecretsInImage: options.allowSecretsInImage ?? false,
      redactor: options.redactor,
    }),
  );
  // The one place build results are written and handed on: nothing leaves unredacted.
  const manifest = redactStrings(options.applyBatch ? await options.applyBatch(result.manifest) : result.manifest, options.redactor);
  await writeManifest(manifestPath, manifest);
  logger.info(`wrote ${manifestPath}`);

  const exitCode = result.failedBuilds.length > 0 || result.failedPushes.length > 0 ? ExitCode.BUILD_FAILURE : ExitCode.SUCCESS;
  const failedBuilds = redactStrings(result.failedBuilds, options.redactor);
  const failedPushes = redactStrings(result.failedPushes, options.redactor);
  return { ...result, manifest, failedBuilds, failedPushes, manifestPath, exitCode };
}
