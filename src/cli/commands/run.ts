import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadAdditionalContext } from '../../core/context/load.ts';
import { mergeContexts } from '../../core/context/merge.ts';
import { validateContext } from '../../core/context/validate.ts';
import { ConfigError, ExitCode } from '../../core/errors.ts';
import { consoleLogger, type Logger } from '../../core/log.ts';
import { detectSystem } from '../../core/gpu/detect.ts';
import type { SystemInfo } from '../../core/gpu/types.ts';
import { discoverModels } from '../../core/hub/discover.ts';
import { selectModels, splitTags } from '../../core/hub/tags.ts';
import { readManifest, type BuildManifest } from '../../core/manifest/manifest.ts';
import { loadCredentials } from '../../core/registry/credentials.ts';
import { RegistryClient } from '../../core/registry/client.ts';
import { buildPhase } from '../../core/build/build-phase.ts';
import { BUILD_HASH_LABEL } from '../../core/build/build-images.ts';
import { runPhase } from '../../core/run/run-phase.ts';
import { cliTimeout } from '../../core/run/timeout.ts';
import { hostManifest } from '../../core/run/host-manifest.ts';
import type { DataConfig } from '../../core/run/data.ts';
import type { Executor } from '../../core/run/executor.ts';
import { readJsonFile } from '../../core/util/json-file.ts';
import { connectDocker, ensureDocker } from '../../engines/docker-connection.ts';
import { dockerImageEngine } from '../../engines/docker/image-engine.ts';
import { dockerExecutor } from '../../engines/docker/container-executor.ts';
import { hostExecutor } from '../../engines/host/host-executor.ts';
import { collect, resolveHub } from '../options.ts';
import { formatTable } from '../table.ts';
import { cancellationSignal } from '../signals.ts';

interface RunOptions {
  tags: string[];
  manifestFile?: string;
  registry?: string;
  timeout: string;
  additionalContext?: string;
  additionalContextFile?: string;
  keepAlive?: boolean;
  keepModelDir?: boolean;
  cleanDockerCache?: boolean;
  skipModelRun?: boolean;
  manifestOutput: string;
  summaryOutput?: string;
  liveOutput?: boolean;
  output: string;
  dataConfig: string;
  disableSkipGpuArch?: boolean;
  verbose?: boolean;
  hub?: string;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run models: from a manifest (--manifest-file), or build then run the models --tags selects')
    .option('-t, --tags <tags>', 'tags/model names to build and run (repeatable, comma-separated)', collect, [])
    .option('-m, --manifest-file <file>', 'run the images of this build manifest (no build)')
    .option('-r, --registry <registry>', 'registry to push to during the build of a --tags run')
    .option('--timeout <seconds>', 'per-model timeout: -1 = default (7200 s, or the model\'s own), 0 = none', '-1')
    .option('-c, --additional-context <json>', 'additional context: JSON or a Python dict literal (wins over the manifest\'s)')
    .option('-f, --additional-context-file <file>', 'additional context from a file (the string wins on conflicts)')
    .option('--keep-alive', 'leave containers running after each model (prints how to enter and remove them)')
    .option('--keep-model-dir', 'keep run_directory after each model')
    .option('--clean-docker-cache', 'rebuild images without reuse or cache (with --tags)')
    .option('--skip-model-run', 'prepare each model but do not run its script')
    .option('--manifest-output <file>', 'manifest written by the build of a --tags run', 'build_manifest.json')
    .option('-s, --summary-output <file>', 'write the run summary as JSON here')
    .option('-l, --live-output', 'stream model output to the console')
    .option('-o, --output <file>', 'perf.csv to append results to', 'perf.csv')
    .option('--data-config <file>', 'data provider config (data.json; relative to the hub)', 'data.json')
    .option('--disable-skip-gpu-arch', 'run models even when their skip_gpu_arch lists this GPU')
    .option('-v, --verbose', 'more detail')
    .option('--hub <dir>', 'model hub directory (default: $MODEL_DIR or the current directory)')
    .action(async (options: RunOptions) => {
      process.exitCode = await runCommand(options);
    });
}

async function runCommand(options: RunOptions): Promise<number> {
  const logger = consoleLogger({ verbose: options.verbose ?? false });
  const hubDir = resolveHub(options.hub);
  const timeoutValue = Number(options.timeout);
  if (!/^-?\d+$/.test(options.timeout.trim())) throw new ConfigError(`--timeout ${options.timeout}: expected a whole number of seconds`);
  const timeout = cliTimeout(timeoutValue);
  const loaded = await loadAdditionalContext({
    ...(options.additionalContext !== undefined ? { text: options.additionalContext } : {}),
    ...(options.additionalContextFile !== undefined ? { file: options.additionalContextFile } : {}),
  });
  for (const warning of loaded.warnings) logger.warn(warning);
  const manifestGiven = options.manifestFile !== undefined && options.manifestFile !== '';
  if (manifestGiven && !existsSync(options.manifestFile!)) throw new ConfigError(`--manifest-file ${options.manifestFile}: file not found`);
  if (!manifestGiven && splitTags(options.tags).length === 0) throw new ConfigError('Either --manifest-file or --tags is required');

  const system = await logger.group('Detect GPUs', () => detectSystem());
  logger.info(`GPUs: ${system.gpuVendor === 'NONE' ? 'none detected' : `${system.gpuCount} x ${system.gpuVendor} ${system.gpuArchitecture} (${system.gpuProductName})`}`);
  const credentials = await loadCredentials(hubDir);
  const dataConfig = await readDataConfig(hubDir, options.dataConfig);
  const { signal, dispose } = cancellationSignal(logger);
  let executor: Executor | undefined;
  try {
    const chosen = await chooseExecutor(loaded.context.executor, logger);
    executor = chosen.executor;

    let manifest: BuildManifest;
    let failedBuilds: { model: string; error: string; dockerfile?: string }[] = [];
    let buildExit: ExitCode = ExitCode.SUCCESS;
    let context: Record<string, unknown>;
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
          ...(options.registry ? { registry: options.registry } : {}),
          registryHasBuild: registryProbe(credentials),
          noCache: options.cleanDockerCache ?? false,
          manifestOutput: options.manifestOutput,
          liveOutput: options.liveOutput ?? false,
          logger,
          signal,
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
        timeout,
        keepAlive: options.keepAlive ?? false,
        keepModelDir: options.keepModelDir ?? false,
        skipModelRun: options.skipModelRun ?? false,
        liveOutput: options.liveOutput ?? false,
        disableSkipGpuArch: options.disableSkipGpuArch ?? false,
        ...(dataConfig ? { dataConfig } : {}),
        failedBuilds,
        logger,
        signal,
      }),
    );
    const rows = result.results.map((r) => [
      r.model,
      r.status,
      r.performance,
      r.metric,
      r.durationSeconds.toFixed(2),
      (r.reason.split('\n')[0] ?? '').slice(0, 100),
    ]);
    process.stdout.write(formatTable(['MODEL', 'STATUS', 'PERFORMANCE', 'METRIC', 'DURATION (s)', 'REASON'], rows));
    const count = (status: string): number => result.results.filter((r) => r.status === status).length;
    process.stdout.write(
      `\n${count('SUCCESS')} succeeded, ${count('FAILURE')} failed, ${count('SKIPPED')} skipped (executor: ${executor.kind}); results: ${options.output}\n`,
    );
    if (options.summaryOutput) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(options.summaryOutput, JSON.stringify({ run_id: result.runId, executor: executor.kind, results: result.results.map(({ rows: _rows, ...r }) => r) }, null, 2) + '\n');
    }
    if (result.exitCode !== ExitCode.SUCCESS) return result.exitCode;
    return buildExit;
  } finally {
    dispose();
    await executor?.cleanup();
  }
}

/**
 * The context a --tags build uses: the user's gpu_vendor if given, else the detected vendor (so an
 * NVIDIA machine builds its NVIDIA Dockerfiles; madengine defaulted to AMD, quirk 15), and the
 * detected GPU architecture as MAD_SYSTEM_GPU_ARCHITECTURE build arg unless set.
 */
function buildContextFor(raw: Record<string, unknown>, validated: Record<string, unknown>, system: SystemInfo): Record<string, unknown> {
  const context: Record<string, unknown> = { ...validated };
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

function registryProbe(credentials: Awaited<ReturnType<typeof loadCredentials>>) {
  const client = new RegistryClient({ credentials });
  return async (ref: string, hash: string): Promise<string | undefined> => {
    const labels = await client.imageLabels(ref);
    return labels?.[BUILD_HASH_LABEL] === hash ? client.manifestDigest(ref) : undefined;
  };
}

async function readDataConfig(hubDir: string, file: string): Promise<DataConfig | undefined> {
  const { resolve } = await import('node:path');
  const candidate = resolve(hubDir, file);
  if (!existsSync(candidate)) return undefined;
  return (await readJsonFile(candidate, ConfigError)) as DataConfig;
}
