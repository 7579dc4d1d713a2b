/**
 * The `build` workflow shared by `madengine build` and the build-push action: context, Docker
 * connection, credentials (credential.json + MAD_DOCKERHUB_* + any given), registry reuse probe,
 * then the build phase.
 */
import { loadAdditionalContext } from '../core/context/load.ts';
import type { Logger } from '../core/log.ts';
import { buildPhase, type BuildPhaseResult } from '../core/build/build-phase.ts';
import type { BatchManifest } from '../core/build/batch.ts';
import { registryBuildProbe } from '../core/build/registry-probe.ts';
import { loadCredentials, type Credentials } from '../core/registry/credentials.ts';
import { connectDocker, ensureDocker } from '../engines/docker-connection.ts';
import { dockerImageEngine } from '../engines/docker/image-engine.ts';

export interface BuildWorkflowOptions {
  hubDir: string;
  tags: readonly string[];
  contextText?: string;
  contextTextSource?: string;
  contextFile?: string;
  registry?: string;
  credentials?: Credentials;
  targetArchs?: readonly string[];
  noCache?: boolean;
  manifestOutput: string;
  summaryOutput?: string;
  batch?: BatchManifest;
  liveOutput?: boolean;
  logger: Logger;
  signal?: AbortSignal;
}

export async function buildWorkflow(options: BuildWorkflowOptions): Promise<BuildPhaseResult> {
  const { logger, hubDir } = options;
  const { context, warnings } = await loadAdditionalContext({
    ...(options.contextText !== undefined ? { text: options.contextText, ...(options.contextTextSource ? { textSource: options.contextTextSource } : {}) } : {}),
    ...(options.contextFile !== undefined ? { file: options.contextFile } : {}),
  });
  for (const warning of warnings) logger.warn(warning);
  const docker = await connectDocker();
  await ensureDocker(docker);
  const credentials = { ...(await loadCredentials(hubDir)), ...options.credentials };
  return buildPhase({
    hubDir,
    tags: options.tags,
    context,
    engine: dockerImageEngine(docker),
    ...(options.registry ? { registry: options.registry } : {}),
    registryHasBuild: registryBuildProbe(credentials),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.targetArchs ? { targetArchs: options.targetArchs } : {}),
    noCache: options.noCache ?? false,
    manifestOutput: options.manifestOutput,
    ...(options.summaryOutput ? { summaryOutput: options.summaryOutput } : {}),
    ...(options.batch ? { batch: options.batch } : {}),
    liveOutput: options.liveOutput ?? false,
    logger,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
