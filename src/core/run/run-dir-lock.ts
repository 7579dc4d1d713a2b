/**
 * One run at a time per hub. Both executors run every model in <hub>/run_directory (madengine's
 * name, which its scripts rely on), so a second run beside the first would delete and overwrite the
 * first's files. The run phase holds <hub>/run_directory.lock; it records the run id and the host
 * model's process group, so whoever finds the lock of a run that was killed (the next run, or the
 * action's post step) can stop what that run left running and remove its run_directory.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, RunError, errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { acquireLock, LockBusyError, processAlive, readLockHolder, type LockHolder } from '../util/file-lock.ts';
import { MODEL_DIR_NAME } from './script.ts';

export const RUN_DIR_LOCK_NAME = `${MODEL_DIR_NAME}.lock`;

/** What a run records in its lock (LockHolder.data). */
export interface RunDirRecord {
  runId: string;
  /** Process group of the host model running now (its leader is the watchdog). */
  pgid?: number;
  /** /proc start time of that leader, so a reused pid is never taken for it. */
  pgidStart?: string;
}

export interface RunDirLock {
  /** Records the host model's process group as it starts, or that none is running (undefined). */
  recordProcessGroup(pgid: number | undefined): Promise<void>;
  release(): Promise<void>;
}

export interface RunDirLockOptions {
  runId: string;
  logger: Logger;
  /** More to clean up after a dead run (its containers), given its run id. */
  onDeadRun?: (runId: string) => Promise<void>;
}

/**
 * perf.csv (and the logs next to it) must not live in the hub's run directory: every model run deletes
 * and recreates it, taking earlier results with it. ConfigError naming the path otherwise.
 */
export function checkOutputOutsideRunDirectory(hubDir: string, output: string): void {
  const runDir = path.resolve(hubDir, MODEL_DIR_NAME);
  const relative = path.relative(runDir, path.resolve(output));
  if (relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))) {
    throw new ConfigError(
      `perf CSV ${output} is inside the hub's ${MODEL_DIR_NAME} (${runDir}), which every model run deletes and recreates: write it elsewhere (e.g. ${path.join(path.resolve(hubDir), 'perf.csv')})`,
      { file: output },
    );
  }
}

export function runDirLockPath(hubDir: string): string {
  return path.join(hubDir, RUN_DIR_LOCK_NAME);
}

/**
 * Takes the hub's run directory for this run. A live run holding it fails this one at once (a CI job
 * must not wait hours behind another's models): RunError naming the other run. A dead holder's lock is
 * taken over after its leftovers are cleaned up, with a warning.
 */
export async function lockRunDirectory(hubDir: string, options: RunDirLockOptions): Promise<RunDirLock> {
  const record: RunDirRecord = { runId: options.runId };
  let lock;
  try {
    lock = await acquireLock(runDirLockPath(hubDir), {
      waitMs: 0,
      guards: `the run directory of hub ${hubDir}`,
      data: { ...record },
      onStale: (holder) => cleanUpDeadRun(hubDir, holder, options),
    });
  } catch (error) {
    if (!(error instanceof LockBusyError)) throw error;
    const other = error.holder;
    const who = other ? `run ${runIdOf(other) ?? '?'} (process ${other.pid} on ${other.host}, started ${other.started})` : 'another run';
    throw new RunError(
      `hub ${hubDir} is in use by ${who}: two runs cannot share ${path.join(hubDir, MODEL_DIR_NAME)}. Wait for it to finish, or run from a separate copy of the hub (lock file ${runDirLockPath(hubDir)})`,
      { cause: error },
    );
  }
  const held = lock;
  return {
    async recordProcessGroup(pgid) {
      const next: RunDirRecord = { runId: options.runId };
      if (pgid !== undefined) {
        next.pgid = pgid;
        const start = await processStartTime(pgid);
        if (start !== undefined) next.pgidStart = start;
      }
      await held.update({ ...next });
    },
    release: () => held.release(),
  };
}

/**
 * The post step's half: if the run `runId` died holding the hub's lock, stop its host processes,
 * remove its run directory and release the lock. A lock of another run, or of a live one, is left alone.
 */
export async function releaseDeadRun(hubDir: string, runId: string, logger: Logger): Promise<void> {
  const holder = await readLockHolder(runDirLockPath(hubDir));
  if (holder === undefined || runIdOf(holder) !== runId || processAlive(holder.pid)) return;
  try {
    const lock = await acquireLock(runDirLockPath(hubDir), { waitMs: 0, onStale: (stale) => cleanUpDeadRun(hubDir, stale, { logger }) });
    await lock.release();
  } catch (error) {
    logger.warn(`could not clean up after run ${runId} in hub ${hubDir}: ${errorMessage(error)}`);
  }
}

async function cleanUpDeadRun(hubDir: string, holder: LockHolder | undefined, options: Pick<RunDirLockOptions, 'logger' | 'onDeadRun'>): Promise<void> {
  const { logger } = options;
  const deadRunId = holder ? runIdOf(holder) : undefined;
  const who = holder ? `run ${deadRunId ?? '?'} (process ${holder.pid}, started ${holder.started})` : 'a run';
  logger.warn(`${who} ended without releasing hub ${hubDir}: stopping what it left running and removing its ${MODEL_DIR_NAME}`);
  const data = (holder?.data ?? {}) as Partial<RunDirRecord>;
  if (typeof data.pgid === 'number') {
    const stopped = await stopProcessGroup(data.pgid, data.pgidStart);
    if (stopped === 'stopped') logger.warn(`stopped the host model processes (process group ${data.pgid}) of ${who}`);
  }
  if (deadRunId !== undefined) {
    await options.onDeadRun?.(deadRunId).catch((error: unknown) => logger.warn(`could not clean up the containers of ${who}: ${errorMessage(error)}`));
  }
  await rm(path.join(hubDir, MODEL_DIR_NAME), { recursive: true, force: true });
}

function runIdOf(holder: LockHolder): string | undefined {
  const runId = holder.data?.runId;
  return typeof runId === 'string' ? runId : undefined;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); undefined where there is no /proc. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops a recorded process group: SIGTERM, then SIGKILL after `graceMs`. Only when it is still the
 * recorded one: its leader, if alive, must have the recorded start time (a pid number is not reused
 * while a group still uses it, so members without their leader are the recorded group's).
 */
export async function stopProcessGroup(pgid: number, recordedStart: string | undefined, graceMs = 2000): Promise<'stopped' | 'gone' | 'not ours'> {
  if (!groupAlive(pgid)) return 'gone';
  const leaderStart = await processStartTime(pgid);
  if (recordedStart === undefined || (leaderStart !== undefined && leaderStart !== recordedStart)) return 'not ours';
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-pgid, name);
    } catch {
      /* gone meanwhile */
    }
  };
  signal('SIGTERM');
  for (let waited = 0; waited < graceMs && groupAlive(pgid); waited += 50) await sleep(50);
  signal('SIGKILL');
  return 'stopped';
}
