/** Files named by paths or globs (one per entry, relative to the workspace), through @actions/glob as a runner expands them. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import * as glob from '@actions/glob';
import { ConfigError } from '../core/errors.ts';

const GLOB_CHARS = /[*?[\]]/;

/**
 * Every regular file the entries name, sorted, each once. A plain path that does not exist, or a glob
 * that matches nothing, is an error naming `input`: a shard that silently vanished is a lost result.
 */
export async function expandFiles(entries: readonly string[], root: string, input: string): Promise<string[]> {
  const found = new Set<string>();
  for (const entry of entries) {
    const absolute = path.resolve(root, entry);
    if (!GLOB_CHARS.test(entry)) {
      const info = await stat(absolute).catch(() => undefined);
      if (!info?.isFile()) throw new ConfigError(`${input}: ${entry} ${info ? 'is not a file' : 'does not exist'} (resolved to ${absolute})`);
      found.add(absolute);
      continue;
    }
    const globber = await glob.create(absolute, { matchDirectories: false, implicitDescendants: false, followSymbolicLinks: true });
    const matches = await globber.glob();
    if (matches.length === 0) throw new ConfigError(`${input}: no file matches ${entry} (resolved to ${absolute})`);
    for (const match of matches) found.add(match);
  }
  return [...found].sort();
}
