/** File-system questions that are answered "no" when the path cannot be stat'ed at all. */
import { stat } from 'node:fs/promises';

/** Whether `target` is a directory, following symbolic links (like os.path.isdir). */
export async function isDirectory(target: string): Promise<boolean> {
  return (await stat(target).catch(() => undefined))?.isDirectory() ?? false;
}

/** Whether `target` is a regular file, following symbolic links (like os.path.isfile). */
export async function isFile(target: string): Promise<boolean> {
  return (await stat(target).catch(() => undefined))?.isFile() ?? false;
}
