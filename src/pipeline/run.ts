/**
 * The run pipeline of `madengine run`, the run-local action and the one-step action:
 * inputs loaded once -> GPU detection -> executor -> (manifest | build or host plan) -> run phase.
 * `deploy` (local | slurm | k8s) branches here: a cluster target never runs a model on this machine.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { AdditionalContext, DeployTarget } from '../core/context/schema.ts';
import { ConfigError, ExitCode, RunError } from '../core/errors.ts';
import { redactingLogger, type Logger } from '../core/log.ts';
import { Redactor, withRedactedErrors } from '../core/secrets/redactor.ts';
import { contextSecretVariables } from '../core/secrets/selection.ts';
import { detectSystem } from '../core/gpu/detect.ts';
import { readManifest, type BuildManifest, type FailedBuild } from '../core/manifest/manifest.ts';
import type { Credentials } from '../core/registry/credentials.ts';
import { preparePerfCsv } from '../core/perf/perf-csv.ts';
import { newRunId, runPhase, type RunPhaseResult } from '../core/run/run-phase.ts';
import { checkRunCount } from '../core/run/repeats.ts';
import { checkOutputOutsideRunDirectory, lockRunDirectory, type RunDirLock } from '../core/run/run-dir-lock.ts';
import { hostManifest } from '../core/run/host-manifest.ts';
import type { Executor } from '../core/run/executor.ts';
import { splitTags } from '../core/hub/tags.ts';
import { liveOutput } from '../core/util/live-output.ts';
import { dockerImageEngine } from '../engines/docker/image-engine.ts';
import { buildSelection } from './build.ts';
import { contextForBuild } from './build-context.ts';
import { removeRunContainers } from './cleanup.ts';
import { chooseExecutor } from './executor.ts';
import { addSecrets, loadAllCredentials, loadContext, loadDataConfig, loadSelection, type ContextInput } from './load.ts';
import { deployToSlurm, runTarget } from './run-cluster.ts';
import { effectiveRunContext, pullRegistries, withRegistryAuth } from './run-context.ts';
import type { SlurmClient } from '../core/deploy/slurm/client.ts';
import type { TaskOutcome } from '../core/deploy/types.ts';

export interface RunOptions {
  hubDir: string;
  tags: readonly string[];
  manifestFile?: string;
  registry?: string;
  /** Resolved timeout (cliTimeout()). */
  timeout: number | null;
  context: ContextInput;
  keepAlive?: boolean;
  keepModelDir?: boolean;
  cleanDockerCache?: boolean;
  /** A `--tags` run's build pushes images whose history holds secret build args (refused without it). */
  allowSecretsInImage?: boolean;
  skipModelRun?: boolean;
  /** The manifest a `--tags` run's build writes. */
  manifestOutput: string;
  liveOutput?: boolean;
  /** perf.csv path. */
  output: string;
  /** Data-provider config, relative to the hub (default data.json). */
  dataConfig?: string;
  disableSkipGpuArch?: boolean;
  /** Extra credentials (e.g. action inputs) over credential.json. */
  credentials?: Credentials;
  /** Fixed run id (actions save it for their post step). */
  runId?: string;
  /** The deploy-slurm action: the run must deploy to this target (a context without `deploy` gets it). */
  requiredTarget?: DeployTarget;
  /** Print what a cluster target would submit, submit nothing (also `dry_run` in the context). */
  dryRun?: boolean;
  /** Single-file CLI bundle SLURM nodes run (default: dist/cli/madengine.mjs beside the running bundle). */
  cliBundle?: string;
  /** Default: the real SLURM commands. */
  slurmClient?: SlurmClient;
  /** Each SLURM job id as it is submitted. */
  onJobSubmitted?: (jobId: string) => void;
  /** Where a dry run prints the scripts; default stdout. */
  print?: (text: string) => void;
  /** Measured runs per model (1 to 1000, default 1) and discarded warm-up runs before them (0 to 100, default 0). */
  repeat?: number;
  warmup?: number;
  logger: Logger;
  signal?: AbortSignal;
  /** Receives every secret value the run learns (the actions register them with the runner's log masking). */
  onSecrets?: (values: readonly string[]) => void;
}

export interface RunResult extends RunPhaseResult {
  /** Where the models ran: this machine's executor, or the cluster target. */
  executor: Executor['kind'] | 'slurm';
  /** A cluster run's jobs (absent for local runs). */
  deployment?: { target: 'slurm'; dryRun: boolean; jobIds: string[]; outcomes: TaskOutcome[]; jobDir: string };
  /** The worse of the build and run exit codes. */
  exitCode: ExitCode;
}

/** One redactor for the whole run: every log line, result and escaping error goes through it. */
export async function runModels(options: RunOptions): Promise<RunResult> {
  const redactor = new Redactor();
  if (options.onSecrets) redactor.onAdd(options.onSecrets);
  return withRedactedErrors(redactor, () => runRedacted({ ...options, logger: redactingLogger(options.logger, redactor) }, redactor));
}

async function runRedacted(options: RunOptions, redactor: Redactor): Promise<RunResult> {
  const { logger, hubDir } = options;
  // Checked before anything is built (the run phase checks again, for its other callers).
  const repeat = checkRunCount(options.repeat ?? 1, 'repeat');
  const warmup = checkRunCount(options.warmup ?? 0, 'warmup');
  addSecrets(redactor, { env: process.env }, logger);
  const loaded = await loadContext(options.context, logger);
  const manifestFile = options.manifestFile || undefined;
  if (manifestFile && !existsSync(manifestFile)) throw new ConfigError(`manifest ${manifestFile}: file not found`);
  const tags = splitTags(options.tags);
  if (!manifestFile && tags.length === 0) throw new ConfigError('Either a manifest file or tags are required');
  const stored = manifestFile ? await readManifest(manifestFile) : undefined;
  const target = runTarget(loaded.context, stored, manifestFile, loaded.raw, options.requiredTarget);
  if (target === 'k8s') {
    throw new ConfigError('deploy: k8s: the Kubernetes target is not available yet; nothing was run (use deploy "slurm", or run locally without "deploy")');
  }
  if (target === 'slurm') return deployToSlurm(options, { loaded, stored, manifestFile, tags, redactor, repeat, warmup });
  if (options.dryRun || loaded.context.dry_run) {
    throw new ConfigError(
      '--dry-run / dry_run shows what a cluster deployment would submit: it needs "deploy": "slurm" (a local dry run is not available yet)',
    );
  }

  const system = await logger.group('Detect GPUs', () => detectSystem());
  logger.info(
    `GPUs: ${system.gpuVendor === 'NONE' ? 'none detected' : `${system.gpuCount} x ${system.gpuVendor} ${system.gpuArchitecture} (${system.gpuProductName})`}`,
  );
  let credentials = await loadAllCredentials(hubDir, options.credentials);
  addSecrets(redactor, { credentials }, logger);
  const dataConfig = await loadDataConfig(hubDir, options.dataConfig);
  checkOutputOutsideRunDirectory(hubDir, options.output);
  // A perf.csv that cannot take rows fails now, not after a long build (the run phase checks again).
  await preparePerfCsv(options.output, { onWait: (message) => logger.info(message) });
  const runId = options.runId ?? newRunId();
  let executor: Executor | undefined;
  let runDirLock: RunDirLock | undefined;
  try {
    // The manifest's stored `executor` counts too (a SLURM node's manifest says how its model runs).
    const requested = stored && manifestFile ? effectiveRunContext(stored, loaded.raw, manifestFile).executor : loaded.context.executor;
    const chosen = await chooseExecutor(requested, logger, undefined, {
      onModelProcessGroup: (pgid) => runDirLock?.recordProcessGroup(pgid),
    });
    executor = chosen.executor;
    // One run at a time in <hub>/run_directory, taken before a build so a refused run changes nothing;
    // a killed run's leftovers are cleaned up here.
    runDirLock = await lockRunDirectory(hubDir, { runId, logger, onDeadRun: (deadRunId) => removeRunContainers(deadRunId, logger) });

    let manifest: BuildManifest;
    let failedBuilds: FailedBuild[] = [];
    let buildExit: ExitCode = ExitCode.SUCCESS;
    let context: AdditionalContext;
    if (manifestFile && stored) {
      manifest = stored;
      if (chosen.fellBackToHost) refuseImagesOnHost(manifest, manifestFile);
      context = effectiveRunContext(manifest, loaded.raw, manifestFile);
      addSecrets(redactor, { contextEnv: contextSecretVariables(context) }, logger);
      credentials = withRegistryAuth(credentials, context, options.registry ? [options.registry] : pullRegistries(manifest), options.credentials, logger);
      addSecrets(redactor, { credentials }, logger);
    } else {
      context = contextForBuild(loaded.raw, loaded.context, system);
      // Before the build: its docker_build_arg secrets must be masked in the build's output and manifest.
      addSecrets(redactor, { contextEnv: contextSecretVariables(context) }, logger);
      credentials = withRegistryAuth(credentials, context, options.registry ? [options.registry] : [], options.credentials, logger);
      addSecrets(redactor, { credentials }, logger);
      const selection = await loadSelection(hubDir, tags, logger);
      if (executor.kind === 'host') {
        manifest = hostManifest(selection.selected, context);
      } else {
        const built = await buildSelection({
          hubDir,
          selection,
          context,
          credentials,
          engine: dockerImageEngine(chosen.docker!),
          registry: options.registry,
          noCache: options.cleanDockerCache ?? false,
          allowSecretsInImage: options.allowSecretsInImage ?? false,
          manifestOutput: options.manifestOutput,
          liveOutput: options.liveOutput ?? false,
          logger,
          redactor,
          signal: options.signal,
        });
        manifest = built.manifest;
        failedBuilds = built.failedBuilds;
        buildExit = built.exitCode;
      }
    }

    // Bounded and never fatal: a slow or closed console must not cost the run (issue 9).
    const live = options.liveOutput
      ? liveOutput(process.stdout, { fullOutput: `the run logs (*.live.log) in ${path.dirname(path.resolve(options.output))}` })
      : undefined;
    const result = await logger
      .group('Run models', () =>
        runPhase({
          redactor,
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
          onModelOutput: live ? (text) => live.write(text) : undefined,
          disableSkipGpuArch: options.disableSkipGpuArch ?? false,
          dataConfig,
          runId,
          failedBuilds,
          repeat,
          warmup,
          logger,
          signal: options.signal,
        }),
      )
      .finally(() => live?.close());
    return { ...result, executor: executor.kind, exitCode: result.exitCode !== ExitCode.SUCCESS ? result.exitCode : buildExit };
  } finally {
    await executor?.cleanup();
    await runDirLock?.release();
  }
}

/**
 * A manifest of built images is meant for containers: with `auto` and no daemon, running their scripts
 * on the host would report results under image names that never ran. The user can still ask for it.
 */
function refuseImagesOnHost(manifest: BuildManifest, manifestFile: string): void {
  const images = Object.entries(manifest.built_images)
    .filter(([, entry]) => entry.dockerfile)
    .map(([image]) => image);
  if (images.length === 0) return;
  throw new RunError(
    `${manifestFile} lists container images (${images.slice(0, 3).join(', ')}${images.length > 3 ? ', ...' : ''}), but no Docker daemon answers (executor auto): ` +
      'start Docker (or the podman API), or set "executor": "host" in the additional context to run their scripts on this machine without containers',
    { file: manifestFile },
  );
}
