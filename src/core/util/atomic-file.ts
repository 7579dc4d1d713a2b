import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MadError, errorMessage } from '../errors.ts';

/**
 * Replaces `file` with `content` so that, whatever happens, `file` is either the old or the new
 * complete content: write a temp file in the same directory, fsync it, rename it over, fsync the dir.
 */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
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
