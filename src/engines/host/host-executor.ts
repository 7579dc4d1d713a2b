/**
 * Runs a model directly on the host (no container): the same run script, with the hub as the
 * workspace, in its own process group so a timeout or cancellation takes every child down.
 */
import path from 'node:path';
import { errorMessage } from '../../core/errors.ts';
import { consoleLogger, type Logger } from '../../core/log.ts';
import { runProcess, type ProcessOptions, type ProcessResult } from '../../core/exec/process.ts';
import type { Executor, GpuAssignment, ModelRunOutcome, ModelRunSpec } from '../../core/run/executor.ts';
import { MODEL_DIR_NAME, renderRunScript } from '../../core/run/script.ts';
import { hostBaseEnvironment } from './host-env.ts';
import { collectResults, openRunLog, removeModelDir, type RunLog } from './run-output.ts';
import { watchdogArgs } from './watchdog.ts';

export interface HostExecutorOptions {
  /** Process runner (default runProcess); injectable for tests. */
  runner?: (command: string, args: readonly string[], options: ProcessOptions) => Promise<ProcessResult>;
  /** Base environment (default process.env). */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /**
   * Told the process group of each model as it starts (undefined once it ended), so a post step or
   * the next run can stop it if this process is killed before it can (run-dir lock).
   */
  onModelProcessGroup?: (pgid: number | undefined) => void | Promise<void>;
}

/** Limits the model to its assigned GPUs the way the vendors' runtimes read it. */
export function gpuVisibilityEnv(gpus: GpuAssignment): Record<string, string> {
  if (gpus.devices.length === 0) return {};
  const list = gpus.devices.join(',');
  if (gpus.vendor === 'AMD') return { HIP_VISIBLE_DEVICES: list };
  if (gpus.vendor === 'NVIDIA') return { CUDA_VISIBLE_DEVICES: list };
  return {};
}

/** Why the host cannot honour the spec's mounts (it has no mount namespace to bind into), else undefined. */
export function unsupportedMounts(spec: ModelRunSpec): string | undefined {
  const moved = spec.mounts.filter((mount) => path.resolve(mount.hostPath) !== path.resolve(mount.containerPath));
  if (moved.length === 0) return undefined;
  const list = moved.map((mount) => `${mount.hostPath} -> ${mount.containerPath}`).join(', ');
  return `model ${spec.modelName} needs data mounts (${list}) that the host executor cannot make; run it with the docker executor, or use the same path on both sides`;
}

export function hostExecutor(options: HostExecutorOptions = {}): Executor {
  const runner = options.runner ?? runProcess;
  const baseEnv = options.env ?? process.env;
  const logger = options.logger ?? consoleLogger();

  async function run(spec: ModelRunSpec, collect: readonly string[]): Promise<ModelRunOutcome> {
    const script = renderRunScript(spec, { workspace: spec.hubDir });
    const modelDir = path.join(spec.hubDir, MODEL_DIR_NAME);
    const outcome: ModelRunOutcome = { exitCode: null, timedOut: false, cancelled: false, durationSeconds: 0, modelDir, collected: [] };
    const log = await openRunLog(spec.logFile, spec.onOutput, spec.redactor);
    const mountProblem = unsupportedMounts(spec);
    if (mountProblem !== undefined || spec.signal?.aborted) {
      if (mountProblem !== undefined) outcome.error = mountProblem;
      else outcome.cancelled = true;
      log.note(mountProblem !== undefined ? `error: ${mountProblem}` : 'cancelled before the model started');
      await closeLog(log, spec.logFile);
      return outcome;
    }

    // taskset stands in for docker's --cpuset-cpus. The watchdog kills the model if this process dies.
    const cpuset = spec.cpuset?.replace(/\s+/g, '') ?? '';
    const command = cpuset !== '' ? 'taskset' : 'bash';
    const args = cpuset !== '' ? ['-c', cpuset, 'bash', ...watchdogArgs(script)] : watchdogArgs(script);
    let recorded: Promise<void> = Promise.resolve();
    const processOptions: ProcessOptions = {
      cwd: spec.hubDir,
      env: { ...hostBaseEnvironment(baseEnv), ...gpuVisibilityEnv(spec.gpus), ...spec.env },
      onStdout: log.write,
      onStderr: log.write,
      // The output is in the log; keep little in memory.
      maxCaptureBytes: 64 * 1024,
      lifeline: true,
      onSpawn: (pid) => {
        recorded = recordProcessGroup(pid, log);
      },
    };
    if (spec.timeoutSeconds !== null && spec.timeoutSeconds > 0) processOptions.timeoutMs = spec.timeoutSeconds * 1000;
    if (spec.signal) processOptions.signal = spec.signal;
    try {
      const result = await runner(command, args, processOptions);
      outcome.timedOut = result.timedOut;
      outcome.cancelled = result.cancelled;
      if (result.timedOut) log.note(`timed out after ${spec.timeoutSeconds} seconds: killed the model's processes`);
      if (result.cancelled) log.note("cancelled: killed the model's processes");
      outcome.exitCode = result.timedOut || result.cancelled ? null : result.exitCode;
      outcome.durationSeconds = log.testDuration() ?? result.durationMs / 1000;
    } catch (error) {
      outcome.error = `cannot start ${command}: ${errorMessage(error)}`;
      log.note(`error: ${outcome.error}`);
    }
    await recorded;
    await recordProcessGroup(undefined, log);

    try {
      outcome.collected = await collectResults(modelDir, collect, spec.outputDir, spec.redactor);
    } catch (error) {
      log.note(`could not collect results from ${modelDir}: ${errorMessage(error)}`);
    }
    if (!spec.keepModelDir && !spec.keepAlive) {
      const problem = await removeModelDir(modelDir);
      if (problem !== undefined) log.note(problem);
    }
    await closeLog(log, spec.logFile);
    return outcome;
  }

  /** A record that cannot be written costs only the post step's safety net: noted, never fatal. */
  async function recordProcessGroup(pgid: number | undefined, log: RunLog): Promise<void> {
    try {
      await options.onModelProcessGroup?.(pgid);
    } catch (error) {
      log.note(`could not record the model's process group: ${errorMessage(error)}`);
    }
  }

  async function closeLog(log: RunLog, file: string): Promise<void> {
    try {
      await log.close();
    } catch (error) {
      logger.warn(`could not write the run log ${file}: ${errorMessage(error)}`);
    }
  }

  return {
    kind: 'host',
    run,
    // Processes die with their group on timeout/abort, and with the watchdog when this process dies.
    cleanup: async () => {},
  };
}
