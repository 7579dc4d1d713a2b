/**
 * The `build` workflow shared by `madengine build` and the build-push action: context, Docker
 * connection, credentials (credential.json + MAD_DOCKERHUB_* + any given), registry reuse probe,
 * then the build phase.
 */
import { loadAdditionalContext } from '../core/context/load.ts';
import { buildPhase, type BuildPhaseOptions, type BuildPhaseResult } from '../core/build/build-phase.ts';
import { registryBuildProbe } from '../core/build/registry-probe.ts';
import { loadCredentials } from '../core/registry/credentials.ts';
import { connectDocker, ensureDocker } from '../engines/docker-connection.ts';
import { dockerImageEngine } from '../engines/docker/image-engine.ts';

/** buildPhase's options, with the context given as text/file and the engine made here. */
export interface BuildWorkflowOptions extends Omit<BuildPhaseOptions, 'context' | 'engine' | 'registryHasBuild'> {
  /** Extra credentials (e.g. action inputs) over credential.json and MAD_DOCKERHUB_*. */
  credentials?: BuildPhaseOptions['credentials'];
  contextText?: string;
  contextTextSource?: string;
  contextFile?: string;
}

export async function buildWorkflow(options: BuildWorkflowOptions): Promise<BuildPhaseResult> {
  const { logger, hubDir } = options;
  const { context, warnings } = await loadAdditionalContext({ text: options.contextText, textSource: options.contextTextSource, file: options.contextFile });
  for (const warning of warnings) logger.warn(warning);
  const docker = await connectDocker();
  await ensureDocker(docker);
  const credentials = { ...(await loadCredentials(hubDir)), ...options.credentials };
  const { contextText: _text, contextTextSource: _source, contextFile: _file, ...phase } = options;
  return buildPhase({ ...phase, context, credentials, engine: dockerImageEngine(docker), registryHasBuild: registryBuildProbe(credentials) });
}
