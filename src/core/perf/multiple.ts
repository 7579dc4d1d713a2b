/**
 * `multiple_results` models (compat §3.8, §3.9): the model writes a CSV with one row per result
 * (columns model, performance, metric, plus any others) instead of a performance line.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RunError, errorMessage } from '../errors.ts';
import { CsvSyntaxError, parseCsvTable } from '../util/csv.ts';
import type { CsvTable } from '../util/csv.ts';
import { isFile } from '../util/fs.ts';
import type { PerfRow } from './perf-csv.ts';

export const REQUIRED_RESULT_COLUMNS = ['model', 'performance', 'metric'] as const;

/**
 * Values pandas.read_csv reads as NaN by default; madengine marks such a row FAILURE
 * (`performance notna`), so we do too, while keeping the text as written in perf.csv.
 */
const PANDAS_NA = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
]);

export interface MultipleResultsLocation {
  /** The run's working directory (tried first). */
  cwd: string;
  /** The model's directory (tried second). */
  modelDir: string;
  /**
   * Where the cwd's files are published afterwards (the output dir, when cwd is the run's staging dir): a
   * file of that name there is another model's or run's, never read, only named when this run wrote none.
   */
  publishedTo?: string;
}

/** What tells this model's results from files an earlier model (or run) left behind. */
export interface ThisRun {
  /** When the model's run started (ms since the epoch). */
  startedAtMs: number;
  /** The files the executor copied out of the model dir for this run (absolute paths). */
  collected: readonly string[];
}

export interface MultipleResultsCheck {
  /** The resolved CSV path when it holds usable results (madengine's "performance" for the run). */
  path?: string;
  /** Why not, for the FAILURE reason. */
  reason?: string;
}

/** The existing CSV paths, in madengine's order: relative to cwd, then to the model directory. */
export async function multipleResultsCandidates(file: string, { cwd, modelDir }: MultipleResultsLocation): Promise<string[]> {
  const name = file.trim();
  if (name === '') return [];
  const found: string[] = [];
  for (const candidate of [resolve(cwd, name), resolve(cwd, modelDir, name)]) {
    if (!found.includes(candidate) && (await isFile(candidate))) found.push(candidate);
  }
  return found;
}

/** The first existing CSV path (cwd first, then the model directory), whoever wrote it. */
export async function resolveMultipleResultsPath(file: string, location: MultipleResultsLocation): Promise<string | undefined> {
  return (await multipleResultsCandidates(file, location))[0];
}

/** Written by this run: the executor collected it for this run, or it was modified after the run started. */
async function writtenBy(run: ThisRun, path: string): Promise<{ fresh: boolean; modified: Date }> {
  const modified = (await stat(path)).mtime;
  return { fresh: run.collected.some((file) => resolve(file) === path) || modified.getTime() >= run.startedAtMs, modified };
}

async function readTable(path: string): Promise<CsvTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new RunError(`cannot read multiple_results file ${path}: ${errorMessage(error)}`, { file: path, cause: error });
  }
  try {
    return parseCsvTable(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) {
      throw new RunError(`multiple_results file ${path} is not valid CSV: ${error.message}`, {
        file: path,
        line: error.line,
        column: error.column,
      });
    }
    throw error;
  }
}

/**
 * The run-level check (status rule for multiple_results models): the file must have been written by
 * this run (a file left by an earlier model is never read: its numbers are not this model's), have a
 * `performance` column and at least one row with a non-blank performance.
 */
export async function checkMultipleResults(file: string, location: MultipleResultsLocation, run: ThisRun): Promise<MultipleResultsCheck> {
  const name = file.trim();
  const stale: string[] = [];
  let path: string | undefined;
  for (const candidate of await multipleResultsCandidates(name, location)) {
    const { fresh, modified } = await writtenBy(run, candidate);
    if (fresh) {
      path = candidate;
      break;
    }
    stale.push(`${candidate} (modified ${modified.toISOString()})`);
  }
  const published = location.publishedTo === undefined ? undefined : resolve(location.publishedTo, name);
  if (path === undefined && published !== undefined && (await isFile(published))) {
    stale.push(`${published} (modified ${(await stat(published)).mtime.toISOString()})`);
  }
  if (path === undefined && stale.length > 0) {
    return {
      reason:
        `multiple_results file '${name}' was not written by this run (the model started at ${new Date(run.startedAtMs).toISOString()}; ` +
        `found only files left by an earlier model or another run: ${stale.join(', ')})`,
    };
  }
  if (path === undefined) {
    return { reason: `multiple_results file '${name}' not found (looked in ${location.cwd} and ${resolve(location.cwd, location.modelDir)})` };
  }
  let table: CsvTable;
  try {
    table = await readTable(path);
  } catch (error) {
    return { reason: errorMessage(error) };
  }
  if (!table.columns.includes('performance')) {
    return { reason: `multiple_results file ${path} has no 'performance' column (columns: ${table.columns.join(', ') || 'none'})` };
  }
  if (!table.rows.some((row) => (row.performance ?? '').trim() !== '')) {
    return { reason: `multiple_results file ${path} has no row with a performance value` };
  }
  return { path };
}

/**
 * One perf row per CSV row: `common` (the run's details) + every CSV column, with
 * model = `<modelName>_<row model>` and status SUCCESS when performance is present, else FAILURE.
 * Values are kept exactly as written (no "123" -> "123.0").
 */
export async function readMultipleResults(path: string, modelName: string, common: PerfRow): Promise<PerfRow[]> {
  const table = await readTable(path);
  const missing = REQUIRED_RESULT_COLUMNS.filter((column) => !table.columns.includes(column));
  if (missing.length > 0) {
    throw new RunError(
      `multiple_results file ${path} is missing the ${missing.map((c) => `'${c}'`).join(', ')} column${missing.length > 1 ? 's' : ''}` +
        ` (it must have ${REQUIRED_RESULT_COLUMNS.join(', ')}; found: ${table.columns.join(', ') || 'no columns'})`,
      { file: path, line: 1 },
    );
  }
  return table.rows.map((result, index) => {
    const row: PerfRow = { ...common };
    for (const column of table.columns) if (column !== '') row[column] = result[column] ?? '';
    row.model = `${modelName}_${result.model ?? ''}`;
    const performance = result.performance ?? '';
    if (PANDAS_NA.has(performance)) {
      row.status = 'FAILURE';
      row.reason = `no performance value in ${path} line ${table.lines[index]}`;
    } else {
      row.status = 'SUCCESS';
    }
    return row;
  });
}
