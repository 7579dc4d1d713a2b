/**
 * An exclusive lock between processes on one machine: a lock file created with O_EXCL that records
 * who holds it (pid, host, start time, a random token, and whatever the holder adds with update()).
 *
 * A holder that died without releasing (kill -9, power loss) leaves its lock behind; the next
 * acquirer sees that the pid is gone, lets `onStale` repair what the dead holder may have left half
 * done (it gets the holder's record, e.g. the offset it was appending at), and takes the lock over.
 * Breaking a stale lock is itself serialised by a second lock file (`<lock>.break`), so two
 * processes that find the same stale lock never both repair, and never remove a live lock.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { open, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, MadError, errorMessage } from '../errors.ts';

/** What a lock file holds. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO 8601 time the lock was taken. */
  started: string;
  token: string;
  /** The holder's own data (update()). */
  data?: Record<string, unknown>;
}

export interface FileLock {
  readonly path: string;
  /** Replaces the holder's data in the lock file (fsynced: it survives the holder's death). */
  update(data: Record<string, unknown>): Promise<void>;
  /** Removes the lock file if it is still this holder's. Safe to call twice. */
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** How long to wait for a live holder, in ms (0: give up at once). Default 30 s. */
  waitMs?: number;
  /** Poll interval while waiting, in ms. Default 25. */
  pollMs?: number;
  /** What the lock guards, for messages ("perf CSV results/perf.csv"). */
  guards?: string;
  /** Holder data written with the lock. */
  data?: Record<string, unknown>;
  /** Repairs what a dead holder left behind; runs before its lock is removed, while no one else can take it. */
  onStale?: (holder: LockHolder | undefined) => Promise<void>;
  /** Seen while waiting for a live holder (once per acquire). */
  onWait?: (holder: LockHolder) => void;
}

/** The lock is held by a live process and did not come free in time (another run: exit 3, like a busy hub). */
export class LockBusyError extends MadError {
  readonly holder: LockHolder | undefined;
  constructor(message: string, holder: LockHolder | undefined) {
    super(message, { exitCode: ExitCode.RUN_FAILURE });
    this.holder = holder;
  }
}

/** A lock file that exists but has no complete record is a holder that died while creating it, once it is this old. */
const EMPTY_LOCK_GRACE_MS = 5_000;

export async function acquireLock(lockPath: string, options: AcquireOptions = {}): Promise<FileLock> {
  const waitMs = options.waitMs ?? 30_000;
  const pollMs = options.pollMs ?? 25;
  const deadline = Date.now() + waitMs;
  let waited = false;
  for (;;) {
    const lock = await tryCreate(lockPath, options.data);
    if (lock) return lock;
    const holder = await readLockHolder(lockPath);
    if (await isStale(lockPath, holder)) {
      await breakStale(lockPath, holder, options.onStale);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder ? `process ${holder.pid} on ${holder.host} since ${holder.started}` : 'another process';
      throw new LockBusyError(
        `${options.guards ?? lockPath} is locked by ${who} (lock file ${lockPath}); wait for it to finish, or remove the lock file if that process is gone`,
        holder,
      );
    }
    if (!waited && holder) options.onWait?.(holder);
    waited = true;
    await sleep(pollMs);
  }
}

async function tryCreate(lockPath: string, data: Record<string, unknown> | undefined): Promise<FileLock | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(lockPath, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new MadError(`cannot create the lock file ${lockPath}: ${errorMessage(error)}`, { file: lockPath, cause: error });
  }
  const holder: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  const write = async (record: LockHolder): Promise<void> => {
    const text = JSON.stringify(record);
    await handle.truncate(0);
    await handle.write(text, 0, 'utf8');
    await handle.sync();
  };
  try {
    await write(data ? { ...holder, data } : holder);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(lockPath).catch(() => undefined);
    throw new MadError(`cannot write the lock file ${lockPath}: ${errorMessage(error)}`, { file: lockPath, cause: error });
  }
  let released = false;
  return {
    path: lockPath,
    update: (next) => write({ ...holder, data: next }),
    async release() {
      if (released) return;
      released = true;
      await handle.close().catch(() => undefined);
      // Only our own lock: a lock broken as stale (we were presumed dead) may belong to someone else now.
      if ((await readLockHolder(lockPath))?.token === holder.token) await unlink(lockPath).catch(() => undefined);
    },
  };
}

/** The record of a lock file, or undefined when there is none (or it is torn: see isStale()). */
export async function readLockHolder(lockPath: string): Promise<LockHolder | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(lockPath, 'utf8'));
    const record = parsed as Partial<LockHolder>;
    if (typeof record.pid !== 'number' || typeof record.host !== 'string' || typeof record.token !== 'string') return undefined;
    return record as LockHolder;
  } catch {
    return undefined; // missing, empty or torn: isStale() decides from its age
  }
}

/** Whether a process with this pid exists here (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isStale(lockPath: string, holder: LockHolder | undefined): Promise<boolean> {
  if (holder) return holder.host === hostname() && !processAlive(holder.pid);
  // No readable record: a holder died between creating and writing it, or it is being written right now.
  const info = await stat(lockPath).catch(() => undefined);
  if (!info) return false; // gone meanwhile: retry creating it
  return Date.now() - info.mtimeMs > EMPTY_LOCK_GRACE_MS;
}

async function breakStale(lockPath: string, stale: LockHolder | undefined, onStale: AcquireOptions['onStale']): Promise<void> {
  const breaker = await tryCreate(`${lockPath}.break`, undefined);
  if (!breaker) {
    // Someone else is breaking it; if that breaker died too, its lock is stale in turn.
    const other = await readLockHolder(`${lockPath}.break`);
    if (await isStale(`${lockPath}.break`, other)) await unlink(`${lockPath}.break`).catch(() => undefined);
    else await sleep(10);
    return;
  }
  try {
    // Still the same stale holder? (Another breaker may have finished and a live process taken the lock.)
    const current = await readLockHolder(lockPath);
    if (current?.token !== stale?.token) return;
    if (!(await isStale(lockPath, current))) return;
    await onStale?.(current);
    await unlink(lockPath).catch(() => undefined);
  } finally {
    await breaker.release();
  }
}
