/**
 * The data model of collect-perf (compare, report, trends): one comparison of a head perf.csv
 * against a baseline, keyed like with like. Shared by compare.ts (which computes it), the
 * renderers (markdown, HTML) and the report JSON the action writes (report-json output).
 */
import type { PerfRow } from '../perf/perf-csv.ts';

/** Whether a bigger number is better (throughput-like) or worse (latency/time-like). */
export type Direction = 'higher' | 'lower';

/**
 * What happened to one key between base and head:
 *   regressed  worse by at least the threshold, and significant where there are several samples
 *   failed     the head run of this model has status FAILURE (never counted as a regression)
 *   missing    in the baseline, absent from head
 *   new        in head, absent from the baseline (or no baseline at all)
 *   improved   better by at least the threshold, and significant where there are several samples
 *   unchanged  everything else (within the threshold, or not significant)
 */
export type ChangeClass = 'regressed' | 'failed' | 'missing' | 'new' | 'improved' | 'unchanged';

/** Most severe first: the order of report tables and of ComparisonResult.entries. */
export const SEVERITY: readonly ChangeClass[] = ['regressed', 'failed', 'missing', 'new', 'improved', 'unchanged'];

/** Like with like: rows compare only when all of these agree (image digest and machine are reported, not keyed). */
export const KEY_COLUMNS = ['model', 'metric', 'gpu_architecture', 'n_gpus', 'nnodes', 'deployment_type'] as const;
export type ComparisonKey = Record<(typeof KEY_COLUMNS)[number], string>;

/** One side (base or head) of one key. */
export interface SideStats {
  /** Measured values (SUCCESS rows with a numeric performance), in row order. */
  samples: number[];
  mean?: number;
  /** Sample standard deviation (n-1); undefined for fewer than 2 samples. */
  stddev?: number;
  /** Rows of this key on this side, SUCCESS or not. */
  rows: number;
  /** Distinct non-empty values, reported (not keyed). */
  imageDigests: string[];
  machines: string[];
  /** Reasons of FAILURE rows of this key (head side: what made the key `failed`). */
  failures: string[];
}

export interface ComparisonEntry {
  /** Stable id of the key: its KEY_COLUMNS values joined by ' | '. */
  id: string;
  key: ComparisonKey;
  class: ChangeClass;
  direction: Direction;
  head?: SideStats;
  base?: SideStats;
  /** Percent change of the head mean against the base mean: (head / base - 1) * 100. */
  relativeChange?: number;
  /** Confidence interval of relativeChange (percent), when either side has 2+ samples. */
  interval?: { low: number; high: number };
  /** Whether the interval excludes 0; undefined when both sides have one sample (threshold only). */
  significant?: boolean;
  /** One sentence: why this class, e.g. "-10.2 % (95 % CI -12.1 .. -8.3 %), beyond the 5 % threshold". */
  reason: string;
}

export interface ComparisonOptions {
  /** Minimum effect, percent (default 5). */
  threshold: number;
  /** Confidence level of the interval, 0..1 exclusive (default 0.95). */
  confidence: number;
  /** Per-metric direction overrides: metric name -> direction. */
  directions?: Readonly<Record<string, Direction>>;
}

export interface ComparisonResult {
  options: ComparisonOptions;
  /** False when no baseline was given or found: every head key is `new`, and reports say so. */
  baselineFound: boolean;
  /** Sorted by SEVERITY, then by |relativeChange| descending, then by id. */
  entries: ComparisonEntry[];
  counts: Record<ChangeClass, number>;
}

/** A row that could not be merged (never dropped silently). */
export interface RowProblem {
  /** Shard name (file path or artifact/file) and 1-based line, when there is one. */
  shard: string;
  line?: number;
  message: string;
}

/** Rows that appeared more than once across the shards, and which one was kept. */
export interface DuplicateNote {
  identity: string;
  kept: { shard: string; line: number };
  dropped: { shard: string; line: number }[];
  /** True when the dropped copies differ from the kept one (a conflict, not a plain copy). */
  conflicting: boolean;
}

export interface MergeResult {
  columns: string[];
  rows: PerfRow[];
  shards: { name: string; rows: number }[];
  duplicates: DuplicateNote[];
  problems: RowProblem[];
}

/** Where a report came from: every report names head and base SHAs and the workflow run. */
export interface ReportMeta {
  title: string;
  repository?: string;
  headSha?: string;
  baseSha?: string;
  /** e.g. "https://github.com/o/r/actions/runs/123" */
  runUrl?: string;
  workflow?: string;
  pullRequest?: number;
  /** Human description of the baseline, e.g. "artifact madengine-perf of run 123 (main)", or why none. */
  baseline: string;
  generatedAt: string;
  /** Where the full report lives (artifact URL or file name), for truncation pointers. */
  fullReportUrl?: string;
}

/** One point of a model's history (one run). */
export interface TrendPoint {
  runId: string;
  sha?: string;
  /** ISO 8601. */
  date: string;
  mean: number;
  samples: number;
}

export interface TrendSeries {
  id: string;
  key: ComparisonKey;
  direction: Direction;
  /** Oldest first, at most the configured history length. */
  points: TrendPoint[];
  /** Index into points where the current regression began, when the newest point is a regression. */
  regressionStart?: number;
}

export interface Report {
  meta: ReportMeta;
  comparison: ComparisonResult;
  merge: Omit<MergeResult, 'rows' | 'columns'>;
  trends?: TrendSeries[];
}
