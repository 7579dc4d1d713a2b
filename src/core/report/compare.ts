/**
 * Compares a head perf.csv with a baseline, key by key (KEY_COLUMNS: like with like), and fills
 * `relative_change` (difference 4). The rules are in the comments of compareRuns and classify.
 */
import { ConfigError } from '../errors.ts';
import type { PerfRow } from '../perf/perf-csv.ts';
import { metricDirection } from './direction.ts';
import { compareBytes, keyId, keyLookup, rowKey, rowStatus, sampleValue } from './rows.ts';
import { changeInterval, mean, reachesThreshold, relativeChange, stddev } from './stats.ts';
import {
  SEVERITY,
  type ChangeClass,
  type ComparisonEntry,
  type ComparisonKey,
  type ComparisonOptions,
  type ComparisonResult,
  type SideStats,
} from './types.ts';

/** One side of one key while rows are gathered. */
interface Side {
  samples: number[];
  rows: number;
  digests: Set<string>;
  machines: Set<string>;
  failures: string[];
  skipped: string[];
}

interface Group {
  key: ComparisonKey;
  side: Side;
}

/**
 * Classifies every key of head and base (see ChangeClass):
 * - samples are SUCCESS rows with a finite numeric performance;
 * - a FAILURE row makes its key `failed` even when the key also has SUCCESS samples (a failed repeat is
 *   never averaged away). A FAILURE row with an empty metric (the usual case: the run printed nothing)
 *   stands for every key of that model with the same gpu_architecture, n_gpus, nnodes and
 *   deployment_type on either side; when there is none it is its own key. The baseline's failures are
 *   spread the same way, so a model fixed since the baseline is `new` (no baseline sample), not
 *   `new` + `missing`;
 * - without a baseline every head key is `new` (failed keys stay `failed`).
 */
export function compareRuns(head: readonly PerfRow[], base: readonly PerfRow[] | undefined, options: ComparisonOptions): ComparisonResult {
  checkOptions(options);
  const heads = groupRows(head);
  const bases = base === undefined ? new Map<string, Group>() : groupRows(base);
  spreadModelFailures(heads, [bases, heads]);
  spreadModelFailures(bases, [heads, bases]);

  const entries: ComparisonEntry[] = [];
  for (const lookup of new Set([...heads.keys(), ...bases.keys()])) {
    const key = (heads.get(lookup) ?? bases.get(lookup))!.key;
    entries.push(classify(key, heads.get(lookup)?.side, bases.get(lookup)?.side, base !== undefined, options));
  }
  entries.sort((a, b) => SEVERITY.indexOf(a.class) - SEVERITY.indexOf(b.class) || magnitude(b) - magnitude(a) || compareBytes(a.id, b.id));
  const counts = Object.fromEntries(SEVERITY.map((name) => [name, 0])) as Record<ChangeClass, number>;
  for (const entry of entries) counts[entry.class]++;
  return { options, baselineFound: base !== undefined, entries, counts };
}

/**
 * Copies of `rows` whose relative_change is the row's own percent change against its key's base mean,
 * with 2 decimals and a sign ("+3.10", "-10.00"); "" without a base mean or for a row that is not a
 * numeric SUCCESS.
 */
export function fillRelativeChange(rows: readonly PerfRow[], result: ComparisonResult): PerfRow[] {
  const baseMeans = new Map<string, number>();
  for (const entry of result.entries) if (entry.base?.mean !== undefined) baseMeans.set(keyLookup(entry.key), entry.base.mean);
  return rows.map((row) => {
    const value = sampleValue(row);
    const baseMean = value === undefined ? undefined : baseMeans.get(keyLookup(rowKey(row)));
    const change = value === undefined || baseMean === undefined ? undefined : relativeChange(baseMean, value);
    return { ...row, relative_change: change === undefined ? '' : signed(change, 2) };
  });
}

/** |relativeChange|, or -1 without one (sorted after every entry that has one). */
function magnitude(entry: ComparisonEntry): number {
  return entry.relativeChange === undefined ? -1 : Math.abs(entry.relativeChange);
}

function checkOptions({ threshold, confidence }: ComparisonOptions): void {
  if (!Number.isFinite(threshold) || threshold < 0) throw new ConfigError(`threshold must be a percentage >= 0 (e.g. 5), got ${threshold}`);
  if (!(confidence > 0 && confidence < 1)) throw new ConfigError(`confidence must be between 0 and 1, exclusive (e.g. 0.95), got ${confidence}`);
}

function groupRows(rows: readonly PerfRow[]): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const row of rows) {
    const key = rowKey(row);
    const lookup = keyLookup(key);
    let group = groups.get(lookup);
    if (group === undefined) {
      group = { key, side: emptySide() };
      groups.set(lookup, group);
    }
    addRow(group.side, row);
  }
  return groups;
}

function emptySide(): Side {
  return { samples: [], rows: 0, digests: new Set(), machines: new Set(), failures: [], skipped: [] };
}

function addRow(side: Side, row: PerfRow): void {
  side.rows++;
  const digest = (row.image_digest ?? '').trim();
  if (digest !== '') side.digests.add(digest);
  const machine = (row.machine_name ?? '').trim();
  if (machine !== '') side.machines.add(machine);
  const status = rowStatus(row);
  const reason = (row.reason ?? '').trim();
  if (status === 'FAILURE') side.failures.push(reason || 'status FAILURE, no reason given');
  else if (status === 'SKIPPED') side.skipped.push(reason || 'no reason given');
  else {
    const value = sampleValue(row);
    if (value !== undefined) side.samples.push(value);
  }
}

/** The model and configuration of a key: what a FAILURE row with an empty metric stands for. */
function configLookup(key: ComparisonKey): string {
  return keyLookup({ ...key, metric: '' });
}

/**
 * Moves the failures and skips of each empty-metric key in `groups` (what FAILURE and SKIPPED rows carry)
 * to the keys with a metric of the same model and
 * configuration found in `siblingSources`, creating this side's entry for them where needed. A key left
 * with no rows is removed; one whose model has no such sibling stays a key of its own.
 */
function spreadModelFailures(groups: Map<string, Group>, siblingSources: readonly Map<string, Group>[]): void {
  const siblings = new Map<string, Map<string, ComparisonKey>>();
  for (const source of siblingSources) {
    for (const [lookup, { key }] of source) {
      if (key.metric === '') continue;
      const config = configLookup(key);
      let keys = siblings.get(config);
      if (keys === undefined) siblings.set(config, (keys = new Map()));
      keys.set(lookup, key);
    }
  }
  for (const [lookup, group] of [...groups]) {
    const { failures, skipped } = group.side;
    if (group.key.metric !== '' || failures.length + skipped.length === 0) continue;
    const targets = siblings.get(configLookup(group.key));
    if (targets === undefined) continue;
    for (const [targetLookup, key] of targets) {
      let target = groups.get(targetLookup);
      if (target === undefined) groups.set(targetLookup, (target = { key, side: emptySide() }));
      target.side.failures.push(...failures);
      target.side.skipped.push(...skipped);
      target.side.rows += failures.length + skipped.length;
      group.side.digests.forEach((digest) => target.side.digests.add(digest));
      group.side.machines.forEach((machine) => target.side.machines.add(machine));
    }
    group.side.rows -= failures.length + skipped.length;
    group.side.failures = [];
    group.side.skipped = [];
    if (group.side.rows === 0) groups.delete(lookup);
  }
}

function classify(key: ComparisonKey, head: Side | undefined, base: Side | undefined, baselineFound: boolean, options: ComparisonOptions): ComparisonEntry {
  const id = keyId(key);
  const direction = metricDirection(key.metric, options.directions);
  const entry = (changeClass: ChangeClass, reason: string, extra: Partial<ComparisonEntry> = {}): ComparisonEntry => ({
    id,
    key,
    class: changeClass,
    direction,
    ...(head ? { head: sideStats(head) } : {}),
    ...(base ? { base: sideStats(base) } : {}),
    ...extra,
    reason,
  });

  if (head !== undefined && head.failures.length > 0) {
    const also = head.samples.length > 0 ? ` (${plural(head.samples.length, 'successful sample')} not averaged in)` : '';
    return entry('failed', `FAILURE on head: ${unique(head.failures).join('; ')}${also}`);
  }
  if (!baselineFound)
    return entry('new', head !== undefined && head.samples.length === 0 && head.skipped.length > 0 ? `no baseline; ${skipped(head)}` : 'no baseline');
  if (head === undefined) return entry('missing', 'in the baseline, not in head');
  if (base === undefined)
    return entry('new', head.samples.length === 0 && head.skipped.length > 0 ? `${skipped(head)}; not in the baseline` : 'not in the baseline');
  if (head.samples.length === 0) {
    return entry('unchanged', head.skipped.length > 0 ? skipped(head) : `not compared: no numeric SUCCESS sample on head (${plural(head.rows, 'row')})`);
  }
  if (base.samples.length === 0) {
    const why =
      base.failures.length > 0
        ? `FAILURE in the baseline: ${unique(base.failures).join('; ')}`
        : base.skipped.length > 0
          ? 'skipped in the baseline'
          : 'no numeric sample';
    return entry('new', `no successful baseline sample (${why})`);
  }

  const change = relativeChange(mean(base.samples), mean(head.samples));
  if (change === undefined) return entry('unchanged', 'not compared: the baseline mean is 0, so there is no relative change');
  const single = base.samples.length === 1 && head.samples.length === 1;
  const interval = single ? undefined : changeInterval(base.samples, head.samples, options.confidence, id);
  const significant = interval === undefined ? undefined : interval.low > 0 || interval.high < 0;
  const stats: Partial<ComparisonEntry> = { relativeChange: change, ...(interval ? { interval, significant } : {}) };

  const confidence = percent(options.confidence * 100);
  const described =
    `${signed(change, 1)} %${direction === 'lower' ? ' (lower is better)' : ''}` +
    (interval ? ` (${confidence} % CI ${signed(interval.low, 1)} .. ${signed(interval.high, 1)} %)` : ', one sample each side');
  const good = direction === 'higher' ? change : -change;
  const beyond = reachesThreshold(Math.abs(change), options.threshold);
  // The interval on the side of the effect: wholly below 0 for a fall, wholly above for a rise.
  const intervalAgrees = interval === undefined || (change < 0 ? interval.high < 0 : interval.low > 0);
  if (beyond && intervalAgrees) {
    return entry(good < 0 ? 'regressed' : 'improved', `${described}, beyond the ${percent(options.threshold)} % threshold`, stats);
  }
  if (!beyond) return entry('unchanged', `${signed(change, 1)} %, within the ${percent(options.threshold)} % threshold`, stats);
  return entry(
    'unchanged',
    `${signed(change, 1)} %, not significant at ${confidence} %: CI ${signed(interval!.low, 1)} .. ${signed(interval!.high, 1)} %`,
    stats,
  );
}

function sideStats(side: Side): SideStats {
  const stats: SideStats = {
    samples: side.samples,
    rows: side.rows,
    imageDigests: [...side.digests],
    machines: [...side.machines],
    failures: side.failures,
  };
  if (side.samples.length > 0) stats.mean = mean(side.samples);
  const spread = stddev(side.samples);
  if (spread !== undefined) stats.stddev = spread;
  return stats;
}

function skipped(side: Side): string {
  return `skipped on head: ${unique(side.skipped).join('; ')}`;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** "+3.10" / "-10.00"; a value that rounds to zero is "+0.00", never "-0.00". */
function signed(value: number, decimals: number): string {
  const magnitude = Math.abs(value).toFixed(decimals);
  return `${value < 0 && Number(magnitude) !== 0 ? '-' : '+'}${magnitude}`;
}

/** A percentage for prose: 95, 97.5, 5 (no float noise such as 95.00000000000001). */
function percent(value: number): string {
  return String(Number(value.toFixed(6)));
}
