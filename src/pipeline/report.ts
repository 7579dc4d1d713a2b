/**
 * collect-perf's pipeline: perf.csv shards -> one merged perf.csv, compared against a baseline, with
 * the trend history extended, written as the report's files (perf.csv, report.json, report.html,
 * history.csv, baseline.csv); the callers render summary and comment (after the upload, which gives
 * the full report's URL). Where the shards, the baseline and the history come from (files, artifacts, the Actions cache) is the caller's business:
 * the action downloads them, the CLI takes paths.
 */
import { copyFile, mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, MadError, errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { PerfRow } from '../core/perf/perf-csv.ts';
import { compareRuns, fillRelativeChange } from '../core/report/compare.ts';
import { appendHistory, formatHistoryCsv, parseHistoryCsv, trendSeries, type HistoryRow } from '../core/report/history.ts';
import { csvDigestHtml, csvToHtml, renderHtmlReport } from '../core/report/html.ts';
import { mergePerfCsvText, mergeShards } from '../core/report/merge.ts';
import type { ComparisonOptions, MergeResult, Report, ReportMeta } from '../core/report/types.ts';
import { writeFileAtomic } from '../core/util/atomic-file.ts';

export interface Shard {
  /** The perf.csv file. */
  file: string;
  /** How reports name it (e.g. "artifact perf-run-1a2b/perf.csv"); default: the file path. */
  name?: string;
}

export type BaselineSource =
  /** A baseline perf.csv and how reports describe where it came from. */
  | { file: string; description: string }
  /** No baseline, and why (not an error: every key is reported as new). */
  | { missing: string };

export interface CollectPerfOptions extends ComparisonOptions {
  shards: readonly Shard[];
  baseline: BaselineSource;
  /** Trend history: the history.csv restored from an earlier run (if any) and how many runs to keep. */
  history?: { file?: string; maxRuns: number; run: { runId: string; sha?: string; date: string } };
  meta: Omit<ReportMeta, 'baseline' | 'generatedAt'>;
  /** Where perf.csv, report.json, report.html, history.csv and baseline.csv are written. */
  outputDir: string;
  logger: Logger;
  now?: () => Date;
}

export interface CollectPerfResult {
  report: Report;
  files: { perfCsv: string; reportJson: string; reportHtml: string; historyCsv?: string; baselineCsv?: string };
  /** Whether anything is not `unchanged` (what `comment: on-change` posts on). */
  changed: boolean;
  regressions: number;
  /** Head rows with status FAILURE. */
  failed: number;
  /** Head rows rejected by the merge (each logged with shard and line): their keys could not be judged. */
  rejected: number;
}

export async function collectPerf(options: CollectPerfOptions): Promise<CollectPerfResult> {
  const { logger } = options;
  const merged = await mergeFiles(options.shards, logger);
  if (merged.rows.length === 0 && merged.problems.length === 0) {
    throw new ConfigError(
      `no perf.csv rows to report: ${options.shards.length ? `the ${options.shards.length} shard(s) hold only headers` : 'no shard was found (check the perf-csv paths and the artifact pattern)'}`,
    );
  }
  const baseline = 'file' in options.baseline ? await readBaseline(options.baseline.file, logger) : undefined;
  if ('missing' in options.baseline) logger.info(`no baseline: ${options.baseline.missing}`);
  const comparison = compareRuns(merged.rows, baseline, options);
  const rows = fillRelativeChange(merged.rows, comparison);

  await mkdir(options.outputDir, { recursive: true });
  const files: CollectPerfResult['files'] = {
    perfCsv: path.join(options.outputDir, 'perf.csv'),
    reportJson: path.join(options.outputDir, 'report.json'),
    reportHtml: path.join(options.outputDir, 'report.html'),
  };
  if ('file' in options.baseline) {
    // Kept beside the data, so a workflow_run reporter can compare from the artifact alone. Copied
    // before perf.csv is written: the baseline may be a perf.csv in this very directory.
    files.baselineCsv = path.join(options.outputDir, 'baseline.csv');
    if (path.resolve(options.baseline.file) !== path.resolve(files.baselineCsv)) await copyFile(options.baseline.file, files.baselineCsv);
  }
  await writeFileAtomic(files.perfCsv, mergePerfCsvText({ ...merged, rows }));

  let trends: Report['trends'];
  if (options.history) {
    const previous = options.history.file ? await readHistory(options.history.file) : [];
    const history = appendHistory(previous, rows, options.history.run, options.history.maxRuns);
    files.historyCsv = path.join(options.outputDir, 'history.csv');
    await writeFileAtomic(files.historyCsv, formatHistoryCsv(history));
    trends = trendSeries(history, options);
  }

  const report: Report = {
    meta: {
      ...options.meta,
      baseline: 'file' in options.baseline ? options.baseline.description : `none (${options.baseline.missing})`,
      generatedAt: (options.now?.() ?? new Date()).toISOString(),
    },
    comparison,
    merge: { shards: merged.shards, duplicates: merged.duplicates, problems: merged.problems },
    ...(trends ? { trends } : {}),
  };
  await writeFileAtomic(files.reportJson, JSON.stringify(report, null, 2) + '\n');
  await writeFileAtomic(files.reportHtml, renderHtmlReport(report));
  return {
    report,
    files,
    changed: comparison.entries.some((entry) => entry.class !== 'unchanged'),
    regressions: comparison.counts.regressed,
    failed: rows.filter((row) => row.status?.toUpperCase() === 'FAILURE').length,
    rejected: merged.problems.length,
  };
}

/** Reads and merges perf.csv files; every rejected row and duplicate is logged (and kept in the result). */
export async function mergeFiles(shards: readonly Shard[], logger: Logger): Promise<MergeResult> {
  const texts = await Promise.all(shards.map(async (shard) => ({ name: shard.name ?? shard.file, text: await readText(shard.file, 'perf.csv shard') })));
  const merged = mergeShards(texts);
  for (const problem of merged.problems) {
    logger.warn(`${problem.shard}${problem.line ? `:${problem.line}` : ''}: ${problem.message} (row not merged)`);
  }
  const plain = merged.duplicates.filter((note) => !note.conflicting).length;
  if (plain) logger.info(`${plain} duplicate row(s) dropped (identical copies across shards)`);
  for (const note of merged.duplicates.filter((n) => n.conflicting)) {
    const dropped = note.dropped.map((d) => `${d.shard}:${d.line}`).join(', ');
    logger.warn(`conflicting duplicates of ${note.identity}: kept ${note.kept.shard}:${note.kept.line}, dropped ${dropped}`);
  }
  return merged;
}

/** A baseline with no valid row is an error, not "no baseline": a broken file must not pass every key as new. */
async function readBaseline(file: string, logger: Logger): Promise<PerfRow[]> {
  const merged = mergeShards([{ name: `baseline ${file}`, text: await readText(file, 'baseline') }]);
  for (const problem of merged.problems) logger.warn(`${problem.shard}${problem.line ? `:${problem.line}` : ''}: ${problem.message} (baseline row ignored)`);
  if (merged.rows.length === 0) {
    const why = merged.problems[0] ? `: ${merged.problems[0].message}` : ' (it is empty or holds only a header)';
    throw new ConfigError(`baseline ${file} has no valid perf.csv row${why}`, { file });
  }
  return merged.rows;
}

async function readHistory(file: string): Promise<HistoryRow[]> {
  return parseHistoryCsv(await readText(file, 'history'), file);
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') throw new ConfigError(`${what} ${file} ${code === 'ENOENT' ? 'does not exist' : 'is a directory'}`, { file });
    throw new MadError(`cannot read ${what} ${file}: ${errorMessage(error)}`, { file, cause: error });
  }
}

/** `report compare`: two perf.csv files (each validated like a shard), compared; rejected rows are logged. */
export async function compareFiles(options: ComparisonOptions & { base: string; head: string; logger: Logger }) {
  const head = await mergeFiles([{ file: options.head, name: `head ${options.head}` }], options.logger);
  const base = await readBaseline(options.base, options.logger);
  const comparison = compareRuns(head.rows, base, options);
  return { comparison, rows: fillRelativeChange(head.rows, comparison), columns: head.columns, problems: head.problems };
}

/** `report to-html` (madengine's command): `<dir>/<stem>.html` beside the CSV, with our chart. Returns the file written. */
export async function csvFileToHtml(file: string): Promise<string> {
  if (path.extname(file).toLowerCase() !== '.csv') throw new ConfigError(`--csv-file-path ${file}: expected a .csv file`, { file });
  const text = await readText(file, 'CSV');
  if (text.trim() === '') throw new ConfigError(`--csv-file-path ${file} is empty`, { file });
  const output = path.join(path.dirname(file), `${path.basename(file, path.extname(file))}.html`);
  await writeFileAtomic(output, csvToHtml(text, path.basename(file)));
  return output;
}

/** `report to-email` (madengine's command): every *.csv of `directory`, sorted, as one HTML digest. */
export async function csvDigestToHtml(directory: string, output: string, logger: Logger): Promise<string | undefined> {
  let names: string[];
  try {
    names = (await readdir(directory, { withFileTypes: true })).filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.csv')).map((e) => e.name);
  } catch (error) {
    throw new ConfigError(`--directory ${directory} cannot be read: ${errorMessage(error)}`, { cause: error });
  }
  if (names.length === 0) {
    logger.warn(`no .csv file in ${directory}: nothing written`);
    return undefined;
  }
  names.sort();
  const files = await Promise.all(names.map(async (name) => ({ name, text: await readText(path.join(directory, name), 'CSV') })));
  const target = path.resolve(directory, output);
  await writeFileAtomic(target, csvDigestHtml(files));
  return target;
}
