/**
 * The real SlurmClient: sbatch, squeue and scancel run as child processes (never through a shell), on
 * the login node the deploy-slurm target runs on. One squeue per poll covers every job of the run.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { type SlurmClient, runComment } from '../../core/deploy/slurm/client.ts';
import { ConfigError, ExitCode, SlurmError } from '../../core/errors.ts';
import { type ProcessResult, runProcess } from '../../core/exec/process.ts';
import { JOBS_FORMAT, RUN_JOBS_FORMAT, parseJobs, parseRunJobs } from './squeue.ts';

export interface SlurmBinaries {
  sbatch: string;
  squeue: string;
  scontrol: string;
  scancel: string;
}

export interface SlurmCliOptions {
  /** Environment of the commands (SLURM_CONF, PATH); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Names or paths of the tools; default the names, found on PATH. */
  bin?: Partial<SlurmBinaries>;
  /** Aborting kills a command in flight. */
  signal?: AbortSignal;
  /** Limit for one command, ms (a controller that does not answer); default 120 s. */
  timeoutMs?: number;
}

const TOOLS = ['sbatch', 'squeue', 'scontrol', 'scancel'] as const;

/** squeue/scancel's words for an id the controller does not know (never submitted, or forgotten after MinJobAge). */
const UNKNOWN_ID = /Invalid job id specified/i;
/** scancel's words for a job that has already ended: nothing to cancel. */
const ALREADY_DONE = /already completing or completed|Job\/step already/i;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `name` resolved on `PATH` (or as given when it has a '/'); undefined when it is not there. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

function notFound(tool: string, name: string): ConfigError {
  const where = name.includes('/') ? `${name} does not exist or is not executable` : `${name} not found on PATH`;
  return new ConfigError(
    `${where} (the deploy-slurm target runs on a SLURM login node, where sbatch, squeue, scontrol and scancel are installed: ` +
      `run it there, e.g. on a self-hosted runner; ${tool} is needed)`,
  );
}

/**
 * The SlurmClient over the SLURM commands. Throws a ConfigError at once when a tool is missing, so a
 * deployment fails before it writes or submits anything.
 */
export function slurmCli(options: SlurmCliOptions = {}): SlurmClient {
  const env = options.env ?? process.env;
  const bin: SlurmBinaries = { sbatch: 'sbatch', squeue: 'squeue', scontrol: 'scontrol', scancel: 'scancel', ...options.bin };
  for (const tool of TOOLS) if (findExecutable(bin[tool], env) === undefined) throw notFound(tool, bin[tool]);

  const run = async (tool: keyof SlurmBinaries, args: string[]): Promise<ProcessResult & { command: string }> => {
    const command = [bin[tool], ...args].join(' ');
    let result: ProcessResult;
    try {
      result = await runProcess(bin[tool], args, { env, timeoutMs: options.timeoutMs ?? 120_000, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(tool, bin[tool]);
      throw error;
    }
    if (result.timedOut) {
      throw new SlurmError(`${command} did not answer within ${(options.timeoutMs ?? 120_000) / 1000} s (is slurmctld up?)`, {
        command,
        stderr: result.stderr,
      });
    }
    return { ...result, command };
  };

  const failed = (result: ProcessResult & { command: string }, what: string, exitCode: ExitCode = ExitCode.FAILURE): SlurmError => {
    const stderr = result.stderr.trim() || result.stdout.trim() || `exit status ${result.exitCode ?? result.signal}`;
    return new SlurmError(`${what}:\n${stderr}`, { command: result.command, stderr: result.stderr, exitCode });
  };

  return {
    async testSubmit(scriptPath) {
      const result = await run('sbatch', ['--test-only', scriptPath]);
      // A refused script is bad input (partition, account, time, GPUs): the user fixes the settings.
      if (result.exitCode !== 0) throw failed(result, `sbatch refused ${scriptPath} (sbatch --test-only)`, ExitCode.INVALID_ARGS);
    },

    async submit(scriptPath) {
      const result = await run('sbatch', ['--parsable', scriptPath]);
      if (result.exitCode !== 0) throw failed(result, `sbatch could not submit ${scriptPath}`, ExitCode.INVALID_ARGS);
      // --parsable prints "<id>" or "<id>;<cluster>".
      const id = result.stdout.trim().split('\n').pop()?.split(';')[0]?.trim() ?? '';
      if (!/^\d+$/.test(id)) {
        throw new SlurmError(`sbatch --parsable ${scriptPath} printed no job id: ${JSON.stringify(result.stdout.trim())}`, {
          command: result.command,
          stderr: result.stderr,
        });
      }
      return id;
    },

    async jobs(jobIds) {
      if (jobIds.length === 0) return [];
      const result = await run('squeue', ['--noheader', '--states=all', '--array', `--jobs=${jobIds.join(',')}`, `--Format=${JOBS_FORMAT}`]);
      if (result.exitCode !== 0) {
        // Every id unknown: squeue fails with "Invalid job id specified"; some unknown: it lists the others.
        if (UNKNOWN_ID.test(result.stderr)) return [];
        throw failed(result, 'squeue could not list the jobs');
      }
      return parseJobs(result.stdout);
    },

    async cancel(jobIds) {
      if (jobIds.length === 0) return;
      const result = await run('scancel', [...jobIds]);
      if (result.exitCode === 0) return;
      // Only complaints about ids that are gone or done are harmless; anything else is reported.
      const complaints = result.stderr
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !UNKNOWN_ID.test(line) && !ALREADY_DONE.test(line));
      if (complaints.length > 0) throw failed({ ...result, stderr: complaints.join('\n') }, `scancel ${jobIds.join(' ')} failed`);
    },

    async findRunJobs(runId) {
      const result = await run('squeue', ['--noheader', '--me', `--Format=${RUN_JOBS_FORMAT}`]);
      if (result.exitCode !== 0) throw failed(result, "squeue could not list this user's jobs");
      return parseRunJobs(result.stdout, runComment(runId));
    },
  };
}
