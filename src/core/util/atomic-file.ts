import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MadError, errorMessage } from '../errors.ts';
import { processAlive } from './file-lock.ts';

/**
 * Replaces `file` with `content` so that, whatever happens, `file` is either the old or the new
 * complete content: write a temp file in the same directory, fsync it, rename it over, fsync the dir.
 * A writer killed before the rename leaves its temp file (`.<name>.<pid>.<hex>.tmp`) behind;
 * removeStaleTempFiles() removes those of dead processes.
 */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `${tempPrefix(file)}${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new MadError(`cannot write ${file}: ${errorMessage(error)}`, { file, cause: error });
  }
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync(); // persist the rename itself
    } finally {
      await handle.close();
    }
  } catch {
    // Directory fsync is not supported everywhere; the rename is still atomic.
  }
}

/**
 * Removes the temp files that writeFileAtomic(file) left when its process died (kill -9, OOM) before
 * the rename; returns their paths. The pid in the name decides: a live process may still be writing
 * its temp file, so only dead pids' files go. Pids are per host, so call this only where no other
 * host writes `file` at the same time (perf.csv: under its lock).
 */
export async function removeStaleTempFiles(file: string): Promise<string[]> {
  const dir = dirname(file);
  const prefix = tempPrefix(file);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new MadError(`cannot list ${dir}: ${errorMessage(error)}`, { file: dir, cause: error });
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = tempFilePid(name, prefix);
    if (pid === undefined || processAlive(pid)) continue;
    const path = join(dir, name);
    await rm(path, { force: true });
    removed.push(path);
  }
  return removed;
}

function tempPrefix(file: string): string {
  return `.${basename(file)}.`;
}

/** The pid in `<prefix><pid>.<hex>.tmp`, or undefined when `name` is not such a temp file. */
function tempFilePid(name: string, prefix: string): number | undefined {
  if (!name.startsWith(prefix) || !name.endsWith('.tmp')) return undefined;
  const [pid, hex, ...rest] = name.slice(prefix.length, -'.tmp'.length).split('.');
  if (rest.length || !pid || !hex || !/^[1-9][0-9]*$/.test(pid) || !/^[0-9a-f]+$/.test(hex)) return undefined;
  return Number(pid);
}
