/**
 * The `run` workflow shared by `madengine run`, the run-local action and the one-step action:
 * context -> GPU detection -> executor -> (manifest | build or host plan) -> run phase.
 * It composes the core with the engines; front ends only parse their inputs and print.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadAdditionalContext } from '../core/context/load.ts';
import { mergeContexts } from '../core/context/merge.ts';
import { validateContext } from '../core/context/validate.ts';
import type { AdditionalContext } from '../core/context/schema.ts';
import { ConfigError, ExitCode } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { detectSystem } from '../core/gpu/detect.ts';
import type { SystemInfo } from '../core/gpu/types.ts';
import { discoverModels } from '../core/hub/discover.ts';
import { selectModels, splitTags } from '../core/hub/tags.ts';
import { readManifest, type BuildManifest } from '../core/manifest/manifest.ts';
import { loadCredentials, type Credentials } from '../core/registry/credentials.ts';
import { buildPhase } from '../core/build/build-phase.ts';
import { registryBuildProbe } from '../core/build/registry-probe.ts';
import { runPhase, type RunPhaseResult } from '../core/run/run-phase.ts';
import { hostManifest } from '../core/run/host-manifest.ts';
import type { DataConfig } from '../core/run/data.ts';
import type { Executor } from '../core/run/executor.ts';
import { readJsonFile } from '../core/util/json-file.ts';
import { connectDocker, ensureDocker } from '../engines/docker-connection.ts';
import { dockerImageEngine } from '../engines/docker/image-engine.ts';
import { dockerExecutor } from '../engines/docker/container-executor.ts';
import { hostExecutor } from '../engines/host/host-executor.ts';

export interface RunWorkflowOptions {
  hubDir: string;
  tags: readonly string[];
  manifestFile?: string;
  registry?: string;
  /** Resolved timeout (cliTimeout()). */
  timeout: number | null;
  contextText?: string;
  contextTextSource?: string;
  contextFile?: string;
  keepAlive?: boolean;
  keepModelDir?: boolean;
  cleanDockerCache?: boolean;
  skipModelRun?: boolean;
  manifestOutput: string;
  liveOutput?: boolean;
  output: string;
  dataConfig?: string;
  disableSkipGpuArch?: boolean;
  /** Extra credentials (e.g. action inputs) over credential.json. */
  credentials?: Credentials;
  /** Fixed run id (actions save it for their post step). */
  runId?: string;
  logger: Logger;
  signal?: AbortSignal;
}

export interface RunWorkflowResult extends RunPhaseResult {
  executor: Executor['kind'];
  /** The worse of the build and run exit codes. */
  exitCode: ExitCode;
}

export async function runWorkflow(options: RunWorkflowOptions): Promise<RunWorkflowResult> {
  const { logger, hubDir } = options;
  const loaded = await loadAdditionalContext({ text: options.contextText, textSource: options.contextTextSource, file: options.contextFile });
  for (const warning of loaded.warnings) logger.warn(warning);
  const manifestGiven = options.manifestFile !== undefined && options.manifestFile !== '';
  if (manifestGiven && !existsSync(options.manifestFile!)) throw new ConfigError(`manifest ${options.manifestFile}: file not found`);
  if (!manifestGiven && splitTags(options.tags).length === 0) throw new ConfigError('Either a manifest file or tags are required');

  const system = await logger.group('Detect GPUs', () => detectSystem());
  logger.info(`GPUs: ${system.gpuVendor === 'NONE' ? 'none detected' : `${system.gpuCount} x ${system.gpuVendor} ${system.gpuArchitecture} (${system.gpuProductName})`}`);
  const credentials = { ...(await loadCredentials(hubDir)), ...options.credentials };
  const dataConfig = await readDataConfig(hubDir, options.dataConfig ?? 'data.json');
  let executor: Executor | undefined;
  try {
    const chosen = await chooseExecutor(loaded.context.executor, logger);
    executor = chosen.executor;

    let manifest: BuildManifest;
    let failedBuilds: { model: string; error: string; dockerfile?: string }[] = [];
    let buildExit: ExitCode = ExitCode.SUCCESS;
    let context: AdditionalContext;
    if (manifestGiven) {
      manifest = await readManifest(options.manifestFile!);
      // Runtime context wins over the stored one (madengine let the manifest win; quirk 8).
      context = validateContext(mergeContexts(manifest.context, loaded.raw), `${options.manifestFile} context + runtime context`).context;
    } else {
      context = buildContextFor(loaded.raw, loaded.context, system);
      if (executor.kind === 'host') {
        const catalogue = await discoverModels(hubDir);
        manifest = hostManifest(selectModels(catalogue, splitTags(options.tags)), context);
      } else {
        const built = await buildPhase({
          hubDir,
          tags: options.tags,
          context: context as never,
          engine: dockerImageEngine(chosen.docker!),
          registry: options.registry,
          registryHasBuild: registryBuildProbe(credentials),
          credentials,
          noCache: options.cleanDockerCache ?? false,
          manifestOutput: options.manifestOutput,
          liveOutput: options.liveOutput ?? false,
          logger,
          signal: options.signal,
        });
        manifest = built.manifest;
        failedBuilds = built.failedBuilds;
        buildExit = built.exitCode;
      }
    }

    const result = await logger.group('Run models', () =>
      runPhase({
        manifest,
        hubDir,
        context,
        executor: executor!,
        system,
        credentials,
        output: options.output,
        timeout: options.timeout,
        keepAlive: options.keepAlive ?? false,
        keepModelDir: options.keepModelDir ?? false,
        skipModelRun: options.skipModelRun ?? false,
        onModelOutput: options.liveOutput ? (text) => process.stdout.write(text) : undefined,
        disableSkipGpuArch: options.disableSkipGpuArch ?? false,
        ...(dataConfig ? { dataConfig } : {}),
        runId: options.runId,
        failedBuilds,
        logger,
        signal: options.signal,
      }),
    );
    return { ...result, executor: executor.kind, exitCode: result.exitCode !== ExitCode.SUCCESS ? result.exitCode : buildExit };
  } finally {
    await executor?.cleanup();
  }
}

/**
 * The context a --tags build uses: the user's gpu_vendor if given, else the detected vendor (so an
 * NVIDIA machine builds its NVIDIA Dockerfiles; madengine defaulted to AMD, quirk 15), and the
 * detected GPU architecture as MAD_SYSTEM_GPU_ARCHITECTURE build arg unless set.
 */
function buildContextFor(raw: Record<string, unknown>, validated: AdditionalContext, system: SystemInfo): AdditionalContext {
  const context: AdditionalContext = { ...validated };
  if (raw.gpu_vendor === undefined && system.gpuVendor !== 'NONE') context.gpu_vendor = system.gpuVendor;
  const buildArgs = { ...((validated.docker_build_arg as Record<string, string> | undefined) ?? {}) };
  if (buildArgs.MAD_SYSTEM_GPU_ARCHITECTURE === undefined && system.gpuVendor === 'AMD' && system.gpuArchitecture) {
    buildArgs.MAD_SYSTEM_GPU_ARCHITECTURE = system.gpuArchitecture;
    context.docker_build_arg = buildArgs;
  }
  return context;
}

async function chooseExecutor(requested: unknown, logger: Logger): Promise<{ executor: Executor; docker?: Awaited<ReturnType<typeof connectDocker>> }> {
  const kind = typeof requested === 'string' ? requested : 'auto';
  if (kind === 'host') return { executor: hostExecutor() };
  const docker = await connectDocker();
  try {
    const info = await ensureDocker(docker, { timeoutMs: 5000 });
    logger.info(`executor: docker (${info.podman ? 'podman' : 'Docker'} ${info.version})${kind === 'auto' ? ', picked automatically' : ''}`);
    return { executor: dockerExecutor(docker, { logger }), docker };
  } catch (error) {
    if (kind === 'docker') throw error;
    logger.info('executor: host (no Docker daemon answers; picked automatically — set executor in the additional context to choose)');
    return { executor: hostExecutor() };
  }
}

async function readDataConfig(hubDir: string, file: string): Promise<DataConfig | undefined> {
  const candidate = path.resolve(hubDir, file);
  if (!existsSync(candidate)) return undefined;
  return (await readJsonFile(candidate, ConfigError)) as DataConfig;
}
