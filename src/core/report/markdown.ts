/**
 * The job summary and the pull request comment, in GitHub markdown, each kept under its GitHub limit:
 * when the whole does not fit, table rows are dropped from the end (the least severe) and one line
 * points to the full report; then the chart and the merge lists go. Rows are never cut in the middle.
 */
import { ConfigError } from '../errors.ts';
import { topByChange } from './charts.ts';
import { capText } from './escape.ts';
import { CLASS_EMOJI, formatCount, formatSigned, isWorse } from './format.ts';
import { renderReportTemplate } from './templates.ts';
import type { Report } from './types.ts';
import { reportView, type ReportView, type RowView } from './view.ts';

/** GitHub's limit on a step summary, in UTF-8 bytes. */
export const SUMMARY_LIMIT_BYTES = 1_048_576;
/** The default summary size: the limit less a margin for what else the job writes to the summary. */
export const DEFAULT_SUMMARY_MAX_BYTES = 1_000_000;
/** GitHub's limit on a comment body, in characters (counted here as UTF-16 code units, never fewer). */
export const COMMENT_LIMIT_CHARS = 65_536;
/** Left free for the hidden marker the comment adapter adds. */
export const COMMENT_MARKER_RESERVE = 1_000;
export const DEFAULT_COMMENT_MAX_CHARS = COMMENT_LIMIT_CHARS - COMMENT_MARKER_RESERVE;
/** Bars of the Mermaid chart: the largest changes. */
export const CHART_MAX_BARS = 20;
/** Merge problems and duplicates listed by name (the rest counted). */
export const MERGE_LIST_MAX = 5;

export type MarkdownKind = 'summary' | 'comment';

/** How much of a report a rendering shows. */
export interface MarkdownLayout {
  /** Table rows shown (the first ones). */
  rows: number;
  /** Comment only: list the unchanged results in a collapsed <details>. */
  unchangedList: boolean;
  /** The chart and the merge lists. */
  extras: boolean;
}

interface ChartView {
  title: string;
  axis: string;
  labels: string[];
  worse: string[];
  better: string[];
  max: string;
}

interface Prepared {
  kind: MarkdownKind;
  view: ReportView;
  chart: ChartView | null;
  tableRows: RowView[];
  unchangedRows: RowView[];
}

/** The job summary: every result in the table, at most `maxBytes` UTF-8 bytes (default 1,000,000). */
export function renderSummary(report: Report, options: { maxBytes?: number } = {}): string {
  const limit = checkLimit('maxBytes', options.maxBytes ?? DEFAULT_SUMMARY_MAX_BYTES);
  return fit(prepare(report, 'summary'), (text) => Buffer.byteLength(text, 'utf8'), limit, 'maxBytes', 'bytes');
}

/**
 * The pull request comment: headline, counts, chart and the results that are not unchanged (those only
 * counted, and listed collapsed when there is room); at most `maxChars` characters (default 64,536:
 * 65,536 less the marker's reserve).
 */
export function renderComment(report: Report, options: { maxChars?: number } = {}): string {
  const limit = checkLimit('maxChars', options.maxChars ?? DEFAULT_COMMENT_MAX_CHARS);
  return fit(prepare(report, 'comment'), (text) => text.length, limit, 'maxChars', 'characters');
}

/** What a markdown template sees for `report` at `layout` (the template tests render with it too). */
export function markdownContext(report: Report, kind: MarkdownKind, layout?: MarkdownLayout): object {
  const prepared = prepare(report, kind);
  return context(prepared, layout ?? { rows: prepared.tableRows.length, unchangedList: kind === 'comment', extras: true });
}

function checkLimit(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function prepare(report: Report, kind: MarkdownKind): Prepared {
  const view = reportView(report);
  const changed = view.rows.filter((row) => row.class !== 'unchanged');
  return {
    kind,
    view,
    chart: report.comparison.baselineFound ? chartView(report) : null,
    tableRows: kind === 'summary' ? view.rows : changed,
    unchangedRows: kind === 'summary' ? [] : view.rows.filter((row) => row.class === 'unchanged'),
  };
}

function chartView(report: Report): ChartView | null {
  const top = topByChange(report.comparison.entries, CHART_MAX_BARS);
  if (top.length === 0) return null;
  const size = (change: number): string => Math.abs(change).toFixed(1);
  return {
    title: top.length < CHART_MAX_BARS ? 'Change against the baseline' : `Largest ${CHART_MAX_BARS} changes against the baseline`,
    axis: 'change % (red: worse, green: better)',
    labels: top.map((entry) => `${capText(`${entry.key.model} ${entry.key.metric}`, 36)} (${formatSigned(entry.relativeChange!)}%)`),
    worse: top.map((entry) => (isWorse(entry.direction, entry.relativeChange!) ? size(entry.relativeChange!) : '0')),
    better: top.map((entry) => (isWorse(entry.direction, entry.relativeChange!) ? '0' : size(entry.relativeChange!))),
    max: String(Math.max(1, Math.ceil(Math.max(...top.map((entry) => Math.abs(entry.relativeChange!)))))),
  };
}

function context(prepared: Prepared, layout: MarkdownLayout): object {
  const { view, tableRows, unchangedRows } = prepared;
  const rows = Math.min(layout.rows, tableRows.length);
  const merge = view.merge;
  return {
    ...view,
    chart: layout.extras ? prepared.chart : null,
    tableRows: tableRows.slice(0, rows),
    omitted: rows < tableRows.length ? formatCount(tableRows.length - rows) : null,
    unchanged: {
      emoji: CLASS_EMOJI.unchanged,
      count: formatCount(unchangedRows.length),
      rows: layout.unchangedList && unchangedRows.length > 0 ? unchangedRows : null,
      listed: unchangedRows.length > 0,
    },
    mergeLists: layout.extras
      ? {
          problems: merge.problems.slice(0, MERGE_LIST_MAX),
          moreProblems: merge.problemCount > MERGE_LIST_MAX ? formatCount(merge.problemCount - MERGE_LIST_MAX) : null,
          duplicates: merge.duplicates.slice(0, MERGE_LIST_MAX),
          moreDuplicates: merge.duplicateCount > MERGE_LIST_MAX ? formatCount(merge.duplicateCount - MERGE_LIST_MAX) : null,
        }
      : null,
  };
}

function render(prepared: Prepared, layout: MarkdownLayout): string {
  return tidy(renderReportTemplate(`${prepared.kind}.md.njk`, context(prepared, layout)));
}

/** At most one blank line in a row, none first, one newline last (values never hold a line break: escapeMarkdown flattens them). */
function tidy(markdown: string): string {
  return `${markdown.replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

/**
 * The fullest rendering within `limit`: everything; else without the unchanged list; else the most
 * rows that fit (binary search: more rows never make it shorter); else the same without chart and
 * merge lists. A limit too small for headline, counts and provenance is an error.
 */
function fit(prepared: Prepared, size: (text: string) => number, limit: number, option: string, unit: string): string {
  const total = prepared.tableRows.length;
  if (prepared.unchangedRows.length > 0) {
    const everything = render(prepared, { rows: total, unchangedList: true, extras: true });
    if (size(everything) <= limit) return everything;
  }
  for (const extras of [true, false]) {
    const all = render(prepared, { rows: total, unchangedList: false, extras });
    if (size(all) <= limit) return all;
    let low = 0;
    let high = total - 1;
    let best: string | undefined;
    while (low <= high) {
      const rows = (low + high) >> 1;
      const text = render(prepared, { rows, unchangedList: false, extras });
      if (size(text) <= limit) {
        best = text;
        low = rows + 1;
      } else {
        high = rows - 1;
      }
    }
    if (best !== undefined) return best;
  }
  const minimal = render(prepared, { rows: 0, unchangedList: false, extras: false });
  throw new ConfigError(`${option} ${limit} is too small for the ${prepared.kind}: its headline, counts and provenance alone take ${size(minimal)} ${unit}`);
}
