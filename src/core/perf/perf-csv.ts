/**
 * perf.csv (compat §3.9): madengine's 29 columns first, in order, then ours, then any extra
 * columns (multiple_results CSVs, older files). Every update replaces the file atomically (temp file
 * in the same directory, fsync, rename), so a crash at any instant leaves either the old or the new
 * complete file, and a file with a different column set is migrated, never truncated.
 * Values are written as given: "123" stays "123" (madengine's pandas turns it into "123.0").
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { ConfigError, MadError, errorMessage } from '../errors.ts';
import { CsvSyntaxError, formatCsvRow, parseCsvTable } from '../util/csv.ts';
import type { CsvTable } from '../util/csv.ts';

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
 *   started_at    when the model run started, ISO 8601 UTC
 *   reason        why the status is what it is (always set for FAILURE and SKIPPED)
 */
export const OUR_COLUMNS = ['executor', 'image_digest', 'run_id', 'started_at', 'reason'] as const;

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

const writers = new Map<string, Promise<void>>();

/**
 * Appends rows to a perf.csv, creating it (with the header) if missing. Writers in this process are
 * serialised per file, so concurrent model runs never lose each other's rows.
 */
export function appendPerfRows(file: string, rows: readonly PerfRow[]): Promise<void> {
  const key = resolve(file);
  const previous = writers.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => appendNow(key, rows));
  writers.set(key, next);
  void next
    .finally(() => {
      if (writers.get(key) === next) writers.delete(key);
    })
    .catch(() => undefined);
  return next;
}

async function appendNow(file: string, rows: readonly PerfRow[]): Promise<void> {
  const text = await readText(file);
  let content: string;
  if (text === undefined || text.replace(/^\uFEFF/, '').trim() === '') {
    const columns = perfCsvColumns([], rows);
    content = formatCsvRow(columns) + formatRows(columns, rows, '\n');
  } else {
    const table = parseTable(text, file);
    const eol = /\r\n/.test(text.slice(0, text.search(/\n|$/) + 1)) ? '\r\n' : '\n';
    const columns = perfCsvColumns(table.columns, rows);
    if (sameColumns(columns, table.columns)) {
      // Same header: keep the existing bytes exactly and add the new lines.
      const separator = /[\r\n]$/.test(text) ? '' : eol;
      content = text + separator + formatRows(columns, rows, eol);
    } else {
      content = formatCsvRow(columns, eol) + formatRows(columns, [...table.rows, ...rows], eol);
    }
  }
  await writeFileAtomic(file, content);
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

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MadError(`cannot read perf CSV ${file}: ${errorMessage(error)}`, { file, cause: error });
  }
}

function parseTable(text: string, file: string): CsvTable {
  try {
    return parseCsvTable(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) {
      throw new ConfigError(`perf CSV ${file} is malformed (${error.message}); it was left unchanged`, {
        file,
        line: error.line,
        column: error.column,
      });
    }
    throw error;
  }
}
