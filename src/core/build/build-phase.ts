/**
 * `madengine build` end to end: context -> discovery -> selection -> plan -> images -> manifest.
 * The manifest is written whatever happens after planning (failed builds, failed pushes,
 * cancellation), so nothing that was built is lost.
 */
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { DiscoveryError, ExitCode } from '../errors.ts';
import type { Logger } from '../log.ts';
import { discoverModels } from '../hub/discover.ts';
import { selectModels, splitTags } from '../hub/tags.ts';
import { planBuilds } from '../images/plan.ts';
import { loadCredentials, type Credentials } from '../registry/credentials.ts';
import { writeManifest, type BuildManifest } from '../manifest/manifest.ts';
import type { AdditionalContext } from '../context/schema.ts';
import { buildImages, type BuildImagesOptions, type BuildImagesResult } from './build-images.ts';
import { applyBatchEntries, type BatchManifest } from './batch.ts';
import type { ImageEngine } from './engine.ts';

export interface BuildPhaseOptions {
  hubDir: string;
  tags: readonly string[];
  context: AdditionalContext;
  engine: ImageEngine;
  registry?: string;
  registryHasBuild?: BuildImagesOptions['registryHasBuild'];
  /** The credentials to use (default: the hub's credential.json with MAD_DOCKERHUB_* over it). */
  credentials?: Credentials;
  targetArchs?: readonly string[];
  noCache?: boolean;
  /** build_manifest.json path (relative paths are relative to the current directory). */
  manifestOutput: string;
  summaryOutput?: string;
  batch?: BatchManifest;
  liveOutput?: boolean;
  logger: Logger;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export interface BuildPhaseResult extends BuildImagesResult {
  manifestPath: string;
  exitCode: ExitCode;
}

export async function buildPhase(options: BuildPhaseOptions): Promise<BuildPhaseResult> {
  const { logger, hubDir } = options;
  const tags = options.batch ? options.batch.buildTags : splitTags(options.tags);
  if (tags.length === 0 && !options.batch) throw new DiscoveryError('No models discovered: pass --tags (e.g. --tags all) to choose what to build');

  const catalogue = await logger.group('Discover models', () => discoverModels(hubDir));
  const selected = tags.length ? selectModels(catalogue, tags) : [];
  logger.info(`${selected.length} model(s) selected from ${catalogue.models.length} in ${hubDir}`);

  const plan = await planBuilds(selected, { hubDir, context: options.context, ...(options.targetArchs ? { targetArchs: options.targetArchs } : {}) });
  for (const warning of plan.warnings) logger.warn(warning);
  const images = plan.builds.reduce((n, b) => n + b.images.length, 0);
  logger.info(`build plan: ${plan.builds.length} build(s) for ${images} image(s) of ${plan.models} model(s)`);

  const credentials = options.credentials ?? (await loadCredentials(hubDir, options.env ?? process.env));
  const manifestPath = path.resolve(options.manifestOutput);
  const result = await logger.group('Build images', () =>
    buildImages({
      hubDir,
      plan,
      context: options.context,
      engine: options.engine,
      credentials,
      ...(options.registry ? { registry: options.registry } : {}),
      ...(options.registryHasBuild ? { registryHasBuild: options.registryHasBuild } : {}),
      ...(options.batch ? { registryImageFor: options.batch.registryImageFor } : {}),
      noCache: options.noCache ?? false,
      logDir: path.dirname(manifestPath),
      liveOutput: options.liveOutput ?? false,
      logger,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.env ? { env: options.env } : {}),
    }),
  );
  let manifest: BuildManifest = result.manifest;
  if (options.batch) manifest = await applyBatchEntries(manifest, options.batch, { catalogue, hubDir, context: options.context, registry: options.registry });
  await writeManifest(manifestPath, manifest);
  logger.info(`wrote ${manifestPath}`);
  if (options.summaryOutput) await writeFile(path.resolve(options.summaryOutput), JSON.stringify(manifest.summary, null, 2) + '\n');

  const exitCode = result.failedBuilds.length > 0 || result.failedPushes.length > 0 ? ExitCode.BUILD_FAILURE : ExitCode.SUCCESS;
  return { ...result, manifest, manifestPath, exitCode };
}
