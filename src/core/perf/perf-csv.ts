/**
 * perf.csv (compat §3.9): madengine's 29 columns first, in order, then ours, then any extra
 * columns (multiple_results CSVs, older files). Values are written as given: "123" stays "123"
 * (madengine's pandas turns it into "123.0").
 *
 * Appends are safe between processes and survive kill -9 at any instant:
 * - every change happens under a lock file next to perf.csv (`.<name>.lock`, util/file-lock.ts);
 * - rows with the file's columns (the common case) are appended with one O_APPEND write: the cost is
 *   the new rows, never the file. The holder records the file's size in the lock before it writes,
 *   so if it dies mid-write the next writer cuts the torn rows off (complete rows stay);
 * - rows bringing new columns (or a file lacking ours) migrate the file once: parsed whole and
 *   replaced atomically (temp file, fsync, rename), never truncated; temp files a killed writer left
 *   are removed by the next writer.
 */
import { constants } from 'node:fs';
import { access, mkdir, readFile, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { removeStaleTempFiles, writeFileAtomic } from '../util/atomic-file.ts';
import { acquireLock, LockBusyError, type FileLock, type LockHolder } from '../util/file-lock.ts';
import { ConfigError, MadError, errorMessage } from '../errors.ts';
import { formatCsvRow } from '../util/csv.ts';
import { appendDurably, inspectPerfCsv, parseTable, truncateTornAppend, type PerfCsvState } from './perf-csv-file.ts';

/** madengine's header, in its order (reporting/update_perf_csv.py PERF_CSV_HEADER). */
export const PERF_CSV_COLUMNS = [
  'model',
  'n_gpus',
  'nnodes',
  'gpus_per_node',
  'training_precision',
  'pipeline',
  'args',
  'tags',
  'docker_file',
  'base_docker',
  'docker_sha',
  'docker_image',
  'git_commit',
  'machine_name',
  'deployment_type',
  'launcher',
  'gpu_architecture',
  'performance',
  'metric',
  'relative_change',
  'status',
  'build_duration',
  'test_duration',
  'dataname',
  'data_provider_type',
  'data_size',
  'data_download_duration',
  'build_number',
  'additional_docker_run_options',
] as const;

/**
 * Our columns, after madengine's:
 *   executor      where the model ran: docker, podman, host, slurm or k8s
 *   image_digest  content digest of the image that ran (sha256:...), so a row names exactly what ran
 *   run_id        the run that produced the row (GitHub run id/attempt, or a generated id)
 *   sample        which measured run of the model the row is from, 1-based ("1" without --repeat;
 *                 warm-up runs write no rows); "" for a row from no measured run (a failed build,
 *                 a failed warm-up)
 *   started_at    when the model run started, ISO 8601 UTC
 *   reason        why the status is what it is (always set for FAILURE and SKIPPED)
 *   job_id        the cluster job that ran the model (SLURM: "<job id>" or "<array id>_<task>"); "" for a local run
 */
export const OUR_COLUMNS = ['executor', 'image_digest', 'run_id', 'sample', 'started_at', 'reason', 'job_id'] as const;

export const KNOWN_COLUMNS: readonly string[] = [...PERF_CSV_COLUMNS, ...OUR_COLUMNS];

/** One perf.csv row; a missing column is written as "". */
export type PerfRow = Partial<Record<string, string>>;

/**
 * The column order after adding `rows` to a file with `existing` columns: every known column in
 * canonical order, then the file's other columns in their order, then new extra columns in the
 * order the rows first use them.
 */
export function perfCsvColumns(existing: readonly string[], rows: readonly PerfRow[]): string[] {
  const columns = [...KNOWN_COLUMNS];
  const seen = new Set(columns);
  const add = (name: string): void => {
    if (!seen.has(name)) {
      seen.add(name);
      columns.push(name);
    }
  };
  existing.forEach(add);
  for (const row of rows) Object.keys(row).forEach(add);
  return columns;
}

/** How long a writer waits for another process's append or migration. */
const LOCK_WAIT_MS = 120_000;

const writers = new Map<string, Promise<void>>();

/**
 * Appends rows to a perf.csv, creating it (with the header) if missing. Writers in this process queue
 * per file (no lock polling between them); other processes are kept out by the lock file.
 */
export function appendPerfRows(file: string, rows: readonly PerfRow[]): Promise<void> {
  return serialised(resolve(file), async (key) => appendNow(await symlinkTarget(key), rows));
}

/** The file a path names: a symlinked perf.csv is written where it points (a rewrite must not replace the link). */
async function symlinkTarget(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch {
    return file; // missing: created here
  }
}

/**
 * Checks a perf.csv before any model runs, so a file that cannot take rows fails the run up front
 * instead of dropping the first model's row: its header parses (a small file is parsed whole; a
 * file whose header lacks our columns, which the first append will migrate, is parsed whole too),
 * it is a writable regular file, and what a killed writer left (torn rows, temp files) is repaired.
 * A missing file is fine (the first append creates it). Throws ConfigError naming the file.
 */
export function preparePerfCsv(file: string, options: { onWait?: (message: string) => void; waitMs?: number } = {}): Promise<void> {
  return serialised(resolve(file), async (link) => {
    const key = await symlinkTarget(link);
    try {
      await withLock(
        key,
        async () => {
          const state = await inspectPerfCsv(key);
          if (state?.columns === undefined) return;
          if (!state.fullyParsed && !KNOWN_COLUMNS.every((name) => state.columns!.includes(name))) parseTable(await readWhole(key), key);
          await access(key, constants.W_OK);
        },
        options,
      );
    } catch (error) {
      if (error instanceof ConfigError || error instanceof LockBusyError) throw error;
      throw new ConfigError(`perf CSV ${key} cannot be used: ${errorMessage(error)}`, { file: key, cause: error });
    }
  });
}

function serialised(key: string, task: (key: string) => Promise<void>): Promise<void> {
  const previous = writers.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => task(key));
  writers.set(key, next);
  void next
    .finally(() => {
      if (writers.get(key) === next) writers.delete(key);
    })
    .catch(() => undefined);
  return next;
}

/** What a writer records in the lock before it changes the file: where the file ended, and which file. */
interface AppendMark extends Record<string, unknown> {
  offset: number;
  dev: number;
  ino: number;
}

/** Runs `task` holding the file's lock; `onWait` hears once that another process holds it, `waitMs` is how long to wait for it. */
async function withLock(
  file: string,
  task: (lock: FileLock) => Promise<void>,
  { onWait, waitMs = LOCK_WAIT_MS }: { onWait?: (message: string) => void; waitMs?: number } = {},
): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const lockPath = join(dirname(file), `.${basename(file)}.lock`);
  const lock = await acquireLock(lockPath, {
    waitMs,
    guards: `perf CSV ${file}`,
    onStale: (holder) => repairAfterDeadWriter(file, holder),
    ...(onWait
      ? {
          onWait: (holder: LockHolder) =>
            onWait(
              `waiting up to ${Math.round(waitMs / 1000)} s for perf CSV ${file}: process ${holder.pid} on ${holder.host} holds ${lockPath} since ${holder.started}`,
            ),
        }
      : {}),
  });
  try {
    await removeStaleTempFiles(file);
    await task(lock);
  } finally {
    await lock.release();
  }
}

/** A writer died holding the lock: cut off the rows it may have torn (its mark says where it started). */
async function repairAfterDeadWriter(file: string, holder: LockHolder | undefined): Promise<void> {
  const mark = holder?.data;
  if (typeof mark?.offset !== 'number' || typeof mark.dev !== 'number' || typeof mark.ino !== 'number') return;
  await truncateTornAppend(file, { offset: mark.offset, dev: mark.dev, ino: mark.ino });
}

async function appendNow(file: string, rows: readonly PerfRow[]): Promise<void> {
  await withLock(file, async (lock) => {
    const state = await inspectPerfCsv(file);
    if (state?.columns === undefined) {
      // Missing or blank: a fresh file, written atomically so no reader ever sees half a header.
      const columns = perfCsvColumns([], rows);
      await writeFileAtomic(file, formatCsvRow(columns) + formatRows(columns, rows, '\n'));
      return;
    }
    const columns = perfCsvColumns(state.columns, rows);
    await lock.update(markOf(state, state.size));
    if (!sameColumns(columns, state.columns)) {
      await migrate(file, columns, rows, state.eol);
      return;
    }
    // Same header: keep the existing bytes exactly and add the new lines.
    const separator = state.endsWithBreak ? '' : state.eol;
    const written = await appendDurably(file, separator + formatRows(columns, rows, state.eol));
    // Done: a death from here until the release must not cut these complete rows off.
    await lock.update(markOf(state, state.size + written));
  });
}

function markOf(state: PerfCsvState, offset: number): AppendMark {
  return { offset, dev: state.dev, ino: state.ino };
}

/** Rewrites the file with the new column set (parsed whole: migrations are rare, once per new column). */
async function migrate(file: string, columns: readonly string[], rows: readonly PerfRow[], eol: string): Promise<void> {
  const table = parseTable(await readWhole(file), file);
  await writeFileAtomic(file, formatCsvRow(columns, eol) + formatRows(columns, [...table.rows, ...rows], eol));
}

function formatRows(columns: readonly string[], rows: readonly PerfRow[], eol: string): string {
  return rows
    .map((row) =>
      formatCsvRow(
        columns.map((name) => cell(row[name])),
        eol,
      ),
    )
    .join('');
}

function cell(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, index) => name === b[index]);
}

async function readWhole(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new MadError(`cannot read perf CSV ${file}: ${errorMessage(error)}`, { file, cause: error });
  }
}
