/**
 * Deterministic Report fixtures: N entries of every ChangeClass (sorted as compare sorts them, with
 * counts to match), trend series, merge notes and provenance, so renderers can be tested without
 * running a comparison.
 */
import {
  SEVERITY,
  type ChangeClass,
  type ComparisonEntry,
  type Direction,
  type Report,
  type ReportMeta,
  type SideStats,
  type TrendSeries,
} from '../../src/core/report/types.ts';

export interface ReportFixtureOptions {
  /** Entries of each class: one number for all (default 2), or per class (absent classes: 0). */
  perClass?: number | Partial<Record<ChangeClass, number>>;
  /** false: no baseline, as compare reports it (no base sides; everything with a head is new or failed). */
  baselineFound?: boolean;
  /** Trend series for the first this many entries with a measured head (default 4). */
  trends?: number;
  /** The model name of an entry (default `<class>-model-<index>`). */
  model?: (changeClass: ChangeClass, index: number) => string;
  /** The reason of an entry (default: a sentence like compare writes). */
  reason?: (entry: ComparisonEntry) => string;
  meta?: Partial<ReportMeta>;
  merge?: Partial<Report['merge']>;
}

export const FIXTURE_META: ReportMeta = {
  title: 'madengine performance',
  repository: 'ROCm/madengine',
  headSha: '0123456789abcdef0123456789abcdef01234567',
  baseSha: 'fedcba9876543210fedcba9876543210fedcba98',
  runUrl: 'https://github.com/ROCm/madengine/actions/runs/123456789',
  workflow: 'perf-pr',
  pullRequest: 42,
  baseline: 'artifact madengine-perf of run 123456000 (main)',
  generatedAt: '2026-12-01T12:00:00.000Z',
  fullReportUrl: 'https://github.com/ROCm/madengine/actions/runs/123456789/artifacts/987654',
};

const ARCHS = ['gfx942', 'gfx90a', 'sm_90'] as const;
const GPUS = ['8', '1', '4'] as const;

function stats(samples: number[], rows = samples.length, failures: string[] = []): SideStats {
  const side: SideStats = { samples, rows, imageDigests: [], machines: [], failures };
  if (samples.length > 0) side.mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  if (samples.length > 1) {
    const mean = side.mean!;
    side.stddev = Math.sqrt(samples.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (samples.length - 1));
  }
  return side;
}

/** n samples around `mean` (spread 1 %), deterministic. */
function samplesAround(mean: number, n: number): number[] {
  if (n === 1) return [mean];
  return Array.from({ length: n }, (_, i) => mean * (1 + ((i - (n - 1) / 2) / n) * 0.02));
}

/** Signed percent change of class `changeClass` (the i-th of its class), worse or better for `direction`. */
function changeOf(changeClass: ChangeClass, i: number, direction: Direction): number | undefined {
  const worseSign = direction === 'higher' ? -1 : 1;
  switch (changeClass) {
    case 'regressed':
      return worseSign * (6 + ((i * 3.7) % 30));
    case 'improved':
      return -worseSign * (5.5 + ((i * 2.3) % 20));
    case 'unchanged':
      return ((i % 9) - 4) * 0.5;
    default:
      return undefined;
  }
}

function defaultReason(entry: ComparisonEntry): string {
  const change = entry.relativeChange;
  switch (entry.class) {
    case 'regressed':
      return `${change!.toFixed(1)} %, worse beyond the 5 % threshold`;
    case 'improved':
      return `${change!.toFixed(1)} %, better beyond the 5 % threshold`;
    case 'unchanged':
      return `${change!.toFixed(1)} %, within the 5 % threshold`;
    case 'failed':
      return `the head run failed: ${entry.head?.failures[0] ?? 'no reason'}`;
    case 'missing':
      return 'in the baseline, not in this run';
    case 'new':
      return 'not in the baseline';
  }
}

function counts(perClass: ReportFixtureOptions['perClass']): Record<ChangeClass, number> {
  return Object.fromEntries(SEVERITY.map((c) => [c, typeof perClass === 'number' ? perClass : perClass === undefined ? 2 : (perClass[c] ?? 0)])) as Record<
    ChangeClass,
    number
  >;
}

function entry(changeClass: ChangeClass, i: number, g: number, baselineFound: boolean, options: ReportFixtureOptions): ComparisonEntry {
  const direction: Direction = g % 3 === 2 ? 'lower' : 'higher';
  const key = {
    model: options.model?.(changeClass, i) ?? `${changeClass}-model-${i}`,
    metric: direction === 'lower' ? 'latency_ms' : 'throughput',
    gpu_architecture: ARCHS[g % 3]!,
    n_gpus: GPUS[g % 3]!,
    nnodes: g % 4 === 3 ? '2' : '1',
    deployment_type: g % 4 === 3 ? 'slurm' : 'local',
  };
  const baseMean = 100 + (g % 50) * 7.5;
  const n = 1 + (g % 4);
  let cls = changeClass;
  if (!baselineFound && cls !== 'failed') cls = 'new';
  const result: ComparisonEntry = { id: Object.values(key).join(' | '), key, class: cls, direction, reason: '' };
  const change = baselineFound ? changeOf(changeClass, i, direction) : undefined;
  const hasBase = baselineFound && cls !== 'new';
  if (hasBase) result.base = stats(samplesAround(baseMean, n));
  if (cls === 'failed') result.head = stats([], 1 + (i % 2), ['exit code 137 (out of memory)']);
  else if (cls !== 'missing') result.head = stats(samplesAround(change === undefined ? baseMean : baseMean * (1 + change / 100), n));
  if (result.head && result.head.samples.length > 0) {
    result.head.machines = [`gpu-node-${g % 7}`];
    result.head.imageDigests = [`sha256:${(g * 2654435761).toString(16).padStart(8, '0').repeat(8).slice(0, 64)}`];
  }
  if (change !== undefined) {
    result.relativeChange = change;
    if (n > 1) {
      const half = 1 + (i % 3) * 0.5;
      result.interval = { low: change - half, high: change + half };
      result.significant = cls === 'unchanged' ? false : true;
    }
  }
  result.reason = options.reason?.(result) ?? defaultReason(result);
  return result;
}

function trend(e: ComparisonEntry, length: number): TrendSeries {
  const mean = e.head!.mean!;
  const regressed = e.class === 'regressed';
  const before = regressed ? e.base!.mean! : mean;
  const points = Array.from({ length }, (_, k) => {
    const late = regressed && k >= length - 2;
    const wobble = 1 + (((k * 7) % 5) - 2) * 0.004;
    return {
      runId: String(123456000 + k),
      sha: `${k}`.repeat(40).slice(0, 40),
      date: `2026-11-${String(20 + k).padStart(2, '0')}T03:00:00Z`,
      mean: (late ? mean : before) * wobble,
      samples: 3,
    };
  });
  const series: TrendSeries = { id: e.id, key: e.key, direction: e.direction, points };
  if (regressed) series.regressionStart = length - 2;
  return series;
}

export function reportFixture(options: ReportFixtureOptions = {}): Report {
  const baselineFound = options.baselineFound ?? true;
  const perClass = counts(options.perClass);
  const entries: ComparisonEntry[] = [];
  let g = 0;
  for (const changeClass of SEVERITY) {
    for (let i = 0; i < perClass[changeClass]; i++) {
      if (!baselineFound && changeClass === 'missing') continue;
      entries.push(entry(changeClass, i, g++, baselineFound, options));
    }
  }
  const rank = (e: ComparisonEntry): number => SEVERITY.indexOf(e.class);
  entries.sort((a, b) => rank(a) - rank(b) || Math.abs(b.relativeChange ?? -1) - Math.abs(a.relativeChange ?? -1) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const tally = Object.fromEntries(SEVERITY.map((c) => [c, entries.filter((e) => e.class === c).length])) as Record<ChangeClass, number>;
  const trendCount = options.trends ?? 4;
  const trends = entries
    .filter((e) => e.head?.mean !== undefined && (e.base?.mean !== undefined || !baselineFound))
    .slice(0, trendCount)
    .map((e) => trend(e, 8));
  const meta: ReportMeta = { ...FIXTURE_META, ...options.meta };
  if (!baselineFound && options.meta?.baseline === undefined) meta.baseline = 'no successful run of perf-nightly on main';
  if (!baselineFound) delete meta.baseSha;
  const rows = entries.reduce((sum, e) => sum + (e.head?.rows ?? 0), 0);
  const report: Report = {
    meta,
    comparison: { options: { threshold: 5, confidence: 0.95 }, baselineFound, entries, counts: tally },
    merge: {
      shards: [
        { name: 'perf-gfx942/perf.csv', rows: Math.ceil(rows / 2) },
        { name: 'perf-gfx90a/perf.csv', rows: Math.floor(rows / 2) },
      ],
      duplicates: [
        {
          identity: 'regressed-model-0 | throughput | run 1',
          kept: { shard: 'perf-gfx942/perf.csv', line: 3 },
          dropped: [{ shard: 'perf-gfx90a/perf.csv', line: 7 }],
          conflicting: true,
        },
      ],
      problems: [
        { shard: 'perf-gfx90a/perf.csv', line: 12, message: "performance 'fast' is not a number" },
        { shard: 'perf-gfx90a/perf.csv', line: 15, message: 'row has 31 fields but the header has 34 columns' },
      ],
      ...options.merge,
    },
  };
  if (trendCount > 0) report.trends = trends;
  return report;
}
