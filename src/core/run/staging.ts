/**
 * A model run's private staging directory inside the output directory. The run log and the collected
 * result files are written there, so a model's status and rows are judged from this run's own bytes
 * even when runs from other hubs share the output directory (`-o same/perf.csv`) and so the same file
 * names. Afterwards the files are published: renamed into the output directory under their madengine
 * names (last writer wins for the name) and the staging directory removed.
 *
 * The directory's name says whose it is: `.madengine-staging-<host>-<pid>-<hex>`. A run killed before
 * it could publish (kill -9) leaves it behind; publishAbandonedStaging() publishes the leftovers of dead
 * pids of this host at the start of the next run phase, so their partial logs reach the documented names.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.ts';
import { processAlive } from '../util/file-lock.ts';

const PREFIX = '.madengine-staging-';

export interface Staging {
  /** The private directory (absolute): the executor's log file and collected copies go here. */
  readonly dir: string;
  /** Where the files are published. */
  readonly outputDir: string;
  /** `text` with paths into the staging directory named as they are once published. */
  published(text: string): string;
  /** Moves every file into the output directory and removes the staging directory; returns what went wrong (the directory is kept then). */
  publish(): Promise<string[]>;
}

/** The host part of a staging directory's name: no path separators and no `-` confusion with the pid. */
function hostTag(): string {
  return hostname().replace(/[^A-Za-z0-9.]/g, '_') || 'host';
}

export async function createStaging(outputDir: string): Promise<Staging> {
  const output = path.resolve(outputDir);
  const dir = path.join(output, `${PREFIX}${hostTag()}-${process.pid}-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  return {
    dir,
    outputDir: output,
    published: (text) => text.replaceAll(dir, output),
    publish: () => publishStaging(dir, output, { keepNewer: false }),
  };
}

/**
 * Renames every file of `dir` into `outputDir`, then removes `dir`. keepNewer: a file already there that
 * is newer than the staged one stays (a dead run's leftover never replaces a later run's file).
 * A file another process published first (gone: ENOENT) is fine.
 */
async function publishStaging(dir: string, outputDir: string, { keepNewer }: { keepNewer: boolean }): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return [`cannot list the staging directory ${dir}: ${errorMessage(error)}`];
  }
  const problems: string[] = [];
  for (const name of names) {
    const from = path.join(dir, name);
    const to = path.join(outputDir, name);
    try {
      if (keepNewer && (await newerThere(from, to))) continue;
      await rename(from, to);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      problems.push(`cannot publish ${from} as ${to}: ${errorMessage(error)} (the file stays in ${dir})`);
    }
  }
  if (problems.length === 0) {
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (error) {
      problems.push(`cannot remove the staging directory ${dir}: ${errorMessage(error)}`);
    }
  }
  return problems;
}

async function newerThere(staged: string, target: string): Promise<boolean> {
  const there = await stat(target).catch(() => undefined);
  return there !== undefined && there.mtimeMs > (await stat(staged)).mtimeMs;
}

/** The pid of a staging directory of this host, or undefined when `name` is not one. */
function stagingPid(name: string): number | undefined {
  const match = /^(.+)-([1-9][0-9]*)-([0-9a-f]+)$/.exec(name.startsWith(PREFIX) ? name.slice(PREFIX.length) : '');
  if (!match || match[1] !== hostTag()) return undefined; // another host's pid says nothing here
  return Number(match[2]);
}

/**
 * Publishes and removes the staging directories that dead processes of this host left in `outputDir`.
 * Returns what happened, one message per directory, for the log.
 */
export async function publishAbandonedStaging(outputDir: string): Promise<{ published: string[]; problems: string[] }> {
  const output = path.resolve(outputDir);
  const result = { published: [] as string[], problems: [] as string[] };
  let names: string[];
  try {
    names = await readdir(output);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') result.problems.push(`cannot list ${output}: ${errorMessage(error)}`);
    return result;
  }
  for (const name of names) {
    const pid = stagingPid(name);
    if (pid === undefined || processAlive(pid)) continue;
    const dir = path.join(output, name);
    const problems = await publishStaging(dir, output, { keepNewer: true });
    if (problems.length === 0) result.published.push(`published the files of an interrupted run (process ${pid}) from ${dir}`);
    result.problems.push(...problems);
  }
  return result;
}
