/**
 * Trends over runs (nightly history): one history row per (run, key) with the key's mean, kept as a
 * small CSV (HISTORY_COLUMNS), and the series the HTML report draws, with where a regression began.
 */
import { ConfigError } from '../errors.ts';
import type { PerfRow } from '../perf/perf-csv.ts';
import { CsvSyntaxError, formatCsvRow, parseCsvTable, type CsvTable } from '../util/csv.ts';
import { metricDirection } from './direction.ts';
import { compareBytes, keyId, keyLookup, parseDecimal, rowKey, sampleValue } from './rows.ts';
import { mean, reachesThreshold, relativeChange } from './stats.ts';
import { KEY_COLUMNS, type ComparisonKey, type Direction, type TrendPoint, type TrendSeries } from './types.ts';

/** One key's result in one run. */
export interface HistoryRow extends ComparisonKey {
  run_id: string;
  /** Commit of the run; "" when unknown. */
  sha: string;
  /** ISO 8601. */
  date: string;
  mean: number;
  /** How many samples the mean is of (>= 1). */
  samples: number;
}

export const HISTORY_COLUMNS = ['run_id', 'sha', 'date', ...KEY_COLUMNS, 'mean', 'samples'] as const;

/**
 * Adds one run (its perf rows, one history row per key with numeric SUCCESS samples) to `history`.
 * A (run_id, key) already there is replaced, so re-running the same run changes nothing. Only the
 * newest `maxRuns` runs by date are kept (a run's date: its newest row). Sorted oldest first, then by key.
 */
export function appendHistory(
  history: readonly HistoryRow[],
  rows: readonly PerfRow[],
  run: { runId: string; sha?: string; date: string },
  maxRuns: number,
): HistoryRow[] {
  if (!Number.isInteger(maxRuns) || maxRuns < 1) throw new ConfigError(`history length must be a whole number of runs >= 1, got ${maxRuns}`);
  if (run.runId.trim() === '') throw new ConfigError('history: the run id is empty');
  if (Number.isNaN(Date.parse(run.date))) throw new ConfigError(`history: run ${run.runId} has date '${run.date}', which is not an ISO 8601 date`);

  const samples = new Map<string, { key: ComparisonKey; values: number[] }>();
  for (const row of rows) {
    const value = sampleValue(row);
    if (value === undefined) continue;
    const key = rowKey(row);
    const lookup = keyLookup(key);
    const entry = samples.get(lookup) ?? { key, values: [] };
    entry.values.push(value);
    samples.set(lookup, entry);
  }

  const byRunAndKey = new Map<string, HistoryRow>();
  const add = (row: HistoryRow): void => void byRunAndKey.set(JSON.stringify([row.run_id, keyLookup(row)]), row);
  history.forEach(add);
  for (const { key, values } of samples.values()) {
    add({ run_id: run.runId, sha: run.sha ?? '', date: run.date, ...key, mean: mean(values), samples: values.length });
  }

  const runDates = new Map<string, number>();
  for (const row of byRunAndKey.values()) runDates.set(row.run_id, Math.max(runDates.get(row.run_id) ?? -Infinity, Date.parse(row.date)));
  const kept = new Set(
    [...runDates]
      .sort(([a, dateA], [b, dateB]) => dateB - dateA || compareBytes(b, a))
      .slice(0, maxRuns)
      .map(([runId]) => runId),
  );
  return [...byRunAndKey.values()].filter((row) => kept.has(row.run_id)).sort(byDateRunAndKey);
}

/** Reads a history CSV; ConfigError naming `source`, the line and the bad value. */
export function parseHistoryCsv(text: string, source: string): HistoryRow[] {
  let table: CsvTable;
  try {
    table = parseCsvTable(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError)
      throw new ConfigError(`history ${source}: ${error.message}`, { file: source, line: error.line, column: error.column, cause: error });
    throw error;
  }
  if (table.columns.length === 0) return [];
  const missing = HISTORY_COLUMNS.filter((name) => !table.columns.includes(name));
  if (missing.length > 0) {
    throw new ConfigError(
      `history ${source} lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (a history CSV has ${HISTORY_COLUMNS.join(', ')})`,
      {
        file: source,
        line: 1,
      },
    );
  }
  return table.rows.map((cells, index) => {
    const line = table.lines[index]!;
    const bad = (column: string, expected: string): ConfigError =>
      new ConfigError(`history ${source} line ${line}: ${column} '${cells[column]}' is not ${expected}`, { file: source, line });
    const row: HistoryRow = {
      run_id: (cells.run_id ?? '').trim(),
      sha: (cells.sha ?? '').trim(),
      date: (cells.date ?? '').trim(),
      ...rowKey(cells),
      mean: parseDecimal(cells.mean ?? '') ?? Number.NaN,
      samples: /^\s*\d+\s*$/.test(cells.samples ?? '') ? Number(cells.samples) : Number.NaN,
    };
    if (row.run_id === '') throw bad('run_id', 'a run id');
    if (Number.isNaN(Date.parse(row.date))) throw bad('date', 'an ISO 8601 date');
    if (row.model === '') throw bad('model', 'a model name');
    if (Number.isNaN(row.mean)) throw bad('mean', 'a finite number');
    if (!Number.isInteger(row.samples) || row.samples < 1) throw bad('samples', 'a whole number >= 1');
    return row;
  });
}

export function formatHistoryCsv(rows: readonly HistoryRow[]): string {
  return formatCsvRow(HISTORY_COLUMNS) + rows.map((row) => formatCsvRow(HISTORY_COLUMNS.map((name) => String(row[name])))).join('');
}

/**
 * One series per key, oldest point first. regressionStart: the first point of the longest trailing run of
 * points that are each worse, by at least `threshold` percent in the metric's bad direction, than the
 * median of all points before that run. Found by growing the run backwards from the newest point while
 * every point of it stays that much worse than the median of what precedes it; unset when the newest point
 * is not worse than the median of the points before it (or is the only point).
 */
export function trendSeries(history: readonly HistoryRow[], options: { threshold: number; directions?: Readonly<Record<string, Direction>> }): TrendSeries[] {
  const groups = new Map<string, HistoryRow[]>();
  for (const row of history) {
    const lookup = keyLookup(row);
    const rows = groups.get(lookup) ?? [];
    rows.push(row);
    groups.set(lookup, rows);
  }
  const series: TrendSeries[] = [];
  for (const rows of groups.values()) {
    const first = rows[0]!;
    const key = Object.fromEntries(KEY_COLUMNS.map((column) => [column, first[column]])) as ComparisonKey;
    const direction = metricDirection(key.metric, options.directions);
    const points: TrendPoint[] = [...rows].sort(byDateRunAndKey).map((row) => ({
      runId: row.run_id,
      ...(row.sha !== '' ? { sha: row.sha } : {}),
      date: row.date,
      mean: row.mean,
      samples: row.samples,
    }));
    const start = regressionStart(
      points.map((point) => point.mean),
      direction,
      options.threshold,
    );
    series.push({ id: keyId(key), key, direction, points, ...(start !== undefined ? { regressionStart: start } : {}) });
  }
  return series.sort((a, b) => compareBytes(a.id, b.id));
}

/** The rule of trendSeries, on the means oldest first. */
export function regressionStart(means: readonly number[], direction: Direction, threshold: number): number | undefined {
  const worse = (value: number, reference: number): boolean => {
    const change = relativeChange(reference, value);
    if (change === undefined) return false;
    return reachesThreshold(direction === 'higher' ? -change : change, threshold);
  };
  let start: number | undefined;
  for (let k = means.length - 1; k >= 1; k--) {
    const reference = median(means.slice(0, k));
    if (!means.slice(k).every((value) => worse(value, reference))) break;
    start = k;
  }
  return start;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function byDateRunAndKey(a: HistoryRow, b: HistoryRow): number {
  return Date.parse(a.date) - Date.parse(b.date) || compareBytes(a.run_id, b.run_id) || compareBytes(keyLookup(a), keyLookup(b));
}
