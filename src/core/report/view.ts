/**
 * A Report as the templates see it: every value already formatted as plain (unescaped) text, absent
 * values as null (the templates run with throwOnUndefined). The markdown and HTML renderers share it,
 * so both say the same thing in the same words.
 */
import {
  CLASS_EMOJI,
  classLabel,
  commitUrl,
  formatChange,
  formatConfidence,
  formatCount,
  formatGpu,
  formatStats,
  headline,
  isWorse,
  plural,
  shortSha,
} from './format.ts';
import { safeUrl } from './escape.ts';
import { SEVERITY, type ChangeClass, type ComparisonEntry, type Report } from './types.ts';

export interface LinkView {
  text: string;
  /** A safe http(s) URL, or null: then the text stands alone. */
  url: string | null;
}

export interface RowView {
  id: string;
  class: ChangeClass;
  classLabel: string;
  model: string;
  metric: string;
  gpu: string;
  base: string;
  head: string;
  change: string;
  reason: string;
  /** Whether the change is for the worse, the better, or neither (no change to show). */
  tone: 'bad' | 'good' | 'none';
  /** Machines and image digests the head (else base) ran on. */
  ranOn: string;
}

export interface MergeView {
  shards: string;
  rows: string;
  /** "1,234 rows from 3 shards" */
  rowsText: string;
  /** "2 rows could not be merged" */
  problemsText: string;
  /** "1 duplicated row (1 conflicting)" */
  duplicatesText: string;
  problemCount: number;
  problems: { where: string; message: string }[];
  duplicateCount: number;
  conflictingCount: number;
  duplicates: { identity: string; kept: string; dropped: string; conflicting: boolean }[];
}

export interface ReportView {
  title: string;
  headline: string;
  baselineFound: boolean;
  counts: { class: ChangeClass; emoji: string; name: string; count: string }[];
  /** Header of the change column, naming the confidence level: "change (95 % CI)". */
  changeHeader: string;
  provenance: {
    head: LinkView | null;
    base: LinkView | null;
    run: LinkView | null;
    pullRequest: string | null;
    baseline: string;
    generatedAt: string;
    /** Where the full report is: the truncation pointer and the footer point there. */
    fullReport: LinkView;
  };
  rows: RowView[];
  merge: MergeView;
}

export function reportView(report: Report): ReportView {
  const { meta, comparison } = report;
  const sha = (value: string | undefined): LinkView | null =>
    value === undefined || value === '' ? null : { text: shortSha(value), url: safeUrl(commitUrl(meta, value)) ?? null };
  const runUrl = safeUrl(meta.runUrl) ?? null;
  const runText = meta.workflow ? `${meta.workflow} run` : 'workflow run';
  const fullUrl = safeUrl(meta.fullReportUrl) ?? null;
  return {
    title: meta.title,
    headline: headline(comparison),
    baselineFound: comparison.baselineFound,
    counts: SEVERITY.map((changeClass) => ({
      class: changeClass,
      emoji: CLASS_EMOJI[changeClass],
      name: changeClass,
      count: formatCount(comparison.counts[changeClass]),
    })),
    changeHeader: `change (${formatConfidence(comparison.options.confidence)} % CI)`,
    provenance: {
      head: sha(meta.headSha),
      base: sha(meta.baseSha),
      run: runUrl !== null || meta.workflow ? { text: runText, url: runUrl } : null,
      pullRequest: meta.pullRequest === undefined ? null : String(meta.pullRequest),
      baseline: meta.baseline,
      generatedAt: meta.generatedAt,
      fullReport: { text: fullUrl === null && meta.fullReportUrl ? meta.fullReportUrl : 'report.html artifact', url: fullUrl },
    },
    rows: comparison.entries.map(rowView),
    merge: mergeView(report.merge),
  };
}

function rowView(entry: ComparisonEntry): RowView {
  const change = entry.relativeChange;
  const side = entry.head ?? entry.base;
  const ranOn = side === undefined ? [] : [...side.machines, ...side.imageDigests.map((digest) => digest.slice(0, 19))];
  return {
    id: entry.id,
    class: entry.class,
    classLabel: classLabel(entry.class),
    model: entry.key.model,
    metric: entry.key.metric,
    gpu: formatGpu(entry.key),
    base: formatStats(entry.base),
    head: formatStats(entry.head),
    change: formatChange(entry),
    reason: entry.reason,
    tone: change === undefined || change === 0 ? 'none' : isWorse(entry.direction, change) ? 'bad' : 'good',
    ranOn: ranOn.join(', '),
  };
}

function where(shard: string, line: number | undefined): string {
  return line === undefined ? shard : `${shard}:${line}`;
}

function mergeView(merge: Report['merge']): MergeView {
  const rows = merge.shards.reduce((sum, shard) => sum + shard.rows, 0);
  const conflicting = merge.duplicates.filter((note) => note.conflicting).length;
  return {
    shards: formatCount(merge.shards.length),
    rows: formatCount(rows),
    rowsText: `${plural(rows, 'row')} from ${plural(merge.shards.length, 'shard')}`,
    problemsText: `${plural(merge.problems.length, 'row')} could not be merged`,
    duplicatesText: `${plural(merge.duplicates.length, 'duplicated row')} (${formatCount(conflicting)} conflicting)`,
    problemCount: merge.problems.length,
    problems: merge.problems.map((problem) => ({ where: where(problem.shard, problem.line), message: problem.message })),
    duplicateCount: merge.duplicates.length,
    conflictingCount: conflicting,
    duplicates: merge.duplicates.map((note) => ({
      identity: note.identity,
      kept: where(note.kept.shard, note.kept.line),
      dropped: note.dropped.map((copy) => where(copy.shard, copy.line)).join(', '),
      conflicting: note.conflicting,
    })),
  };
}
