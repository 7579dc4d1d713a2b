/**
 * How a report's values read, the same in the summary, the comment and the HTML report: class
 * labels, numbers, mean ± sd (n), change with its interval, GPU topology, short SHAs and links.
 * Plain text out; each renderer escapes for its output.
 */
import type { ChangeClass, ComparisonEntry, ComparisonKey, ComparisonResult, Direction, ReportMeta, SideStats } from './types.ts';

export const CLASS_EMOJI: Readonly<Record<ChangeClass, string>> = {
  regressed: '🔴',
  failed: '❌',
  missing: '❓',
  new: '🆕',
  improved: '🟢',
  unchanged: '⚪',
};

/** "🔴 regressed" */
export function classLabel(changeClass: ChangeClass): string {
  return `${CLASS_EMOJI[changeClass]} ${changeClass}`;
}

/** 1234567 -> "1,234,567" (fixed, not the machine's locale, so golden files match everywhere). */
export function formatCount(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "1 row", "2,000 rows" */
export function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${n === 1 ? noun : `${noun}s`}`;
}

/** A measured value: 1 decimal from 100 up, 2 from 1 up, 3 significant digits below. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a === 0) return '0';
  return x.toPrecision(3);
}

/** A percentage with its sign: "+10.2", "-3.0", "0.0". */
export function formatSigned(percent: number): string {
  const text = percent.toFixed(1);
  if (text === '0.0' || text === '-0.0') return '0.0';
  return percent > 0 ? `+${text}` : text;
}

/** "123.4 ± 1.20 (n=5)", "123.4 (n=1)", or "—" when nothing was measured. */
export function formatStats(side: SideStats | undefined): string {
  if (side === undefined || side.mean === undefined) return '—';
  const spread = side.stddev === undefined ? '' : ` ± ${formatNumber(side.stddev)}`;
  return `${formatNumber(side.mean)}${spread} (n=${side.samples.length})`;
}

/** The confidence level as a percentage: 0.95 -> "95". */
export function formatConfidence(confidence: number): string {
  return String(Math.round(confidence * 1000) / 10);
}

/** "-10.2 % [-12.1, -8.3]" (the interval when there is one), or "—" without a baseline value. */
export function formatChange(entry: ComparisonEntry): string {
  if (entry.relativeChange === undefined) return '—';
  const interval = entry.interval === undefined ? '' : ` [${formatSigned(entry.interval.low)}, ${formatSigned(entry.interval.high)}]`;
  return `${formatSigned(entry.relativeChange)} %${interval}`;
}

/** "gfx942 × 8, 1 node", with the deployment type when it is not local: "gfx90a × 4, 2 nodes (slurm)". */
export function formatGpu(key: ComparisonKey): string {
  const nodes = key.nnodes === '' ? '' : `, ${key.nnodes} ${key.nnodes === '1' ? 'node' : 'nodes'}`;
  const deployment = key.deployment_type === '' || key.deployment_type === 'local' ? '' : ` (${key.deployment_type})`;
  return `${key.gpu_architecture || '?'} × ${key.n_gpus || '?'}${nodes}${deployment}`;
}

/** Whether a change of `percent` is for the worse, given the metric's direction. */
export function isWorse(direction: Direction, percent: number): boolean {
  return direction === 'higher' ? percent < 0 : percent > 0;
}

/** "⚠️ 3 regressions, ❌ 1 failed" / "✅ no regressions" / "ℹ️ no baseline found" (the reports say why next to it). */
export function headline(comparison: ComparisonResult): string {
  const regressed = comparison.counts.regressed;
  const first = !comparison.baselineFound ? 'ℹ️ no baseline found' : regressed > 0 ? `⚠️ ${plural(regressed, 'regression')}` : '✅ no regressions';
  const failed = comparison.counts.failed;
  return failed > 0 ? `${first}, ❌ ${formatCount(failed)} failed` : first;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** The GitHub server the run lives on (GitHub Enterprise too), from the run URL; github.com otherwise. */
function serverUrl(meta: ReportMeta): string {
  if (meta.runUrl !== undefined) {
    try {
      return new URL(meta.runUrl).origin;
    } catch {
      // not a URL: fall back
    }
  }
  return 'https://github.com';
}

/** The commit's page when the repository is known (and both look like what GitHub names: owner/name, hex SHA). */
export function commitUrl(meta: ReportMeta, sha: string): string | undefined {
  const repository = meta.repository ?? '';
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository) || !/^[0-9a-f]{7,64}$/i.test(sha)) return undefined;
  return `${serverUrl(meta)}/${repository}/commit/${sha}`;
}
