import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareRuns, fillRelativeChange } from '../../../src/core/report/compare.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import type { PerfRow } from '../../../src/core/perf/perf-csv.ts';
import type { ComparisonEntry, ComparisonResult } from '../../../src/core/report/types.ts';

const OPTIONS = { threshold: 5, confidence: 0.95 };
const CONFIG = { gpu_architecture: 'gfx942', n_gpus: '8', nnodes: '1', deployment_type: 'local' };

function rows(model: string, metric: string, values: readonly number[], extra: PerfRow = {}): PerfRow[] {
  return values.map((value, sample) => ({ model, metric, ...CONFIG, performance: String(value), status: 'SUCCESS', sample: String(sample + 1), ...extra }));
}

function failure(model: string, reason: string, metric = ''): PerfRow {
  return { model, metric, ...CONFIG, performance: '', status: 'FAILURE', reason };
}

function only(result: ComparisonResult): ComparisonEntry {
  assert.equal(result.entries.length, 1, JSON.stringify(result.entries.map((entry) => [entry.id, entry.class])));
  return result.entries[0]!;
}

/** 10 values with mean exactly `mean` and a coefficient of variation of about `cv`. */
function noisy(mean: number, cv: number): number[] {
  const pattern = [-1.5, 1.2, -0.4, 0.9, -1.1, 1.6, -0.2, 0.3, -1.3, 0.5]; // sums to 0, stddev ~1.06
  return pattern.map((z) => mean * (1 + (z * cv) / 1.06));
}

describe('compareRuns', () => {
  it('flags a 10 % throughput slowdown with one sample each side (threshold only)', () => {
    const entry = only(compareRuns(rows('m', 'samples_per_second', [90]), rows('m', 'samples_per_second', [100]), OPTIONS));
    assert.equal(entry.class, 'regressed');
    assert.equal(entry.direction, 'higher');
    assert.ok(Math.abs(entry.relativeChange! + 10) < 1e-9);
    assert.equal(entry.interval, undefined);
    assert.equal(entry.significant, undefined);
    assert.equal(entry.reason, '-10.0 %, one sample each side, beyond the 5 % threshold');
    assert.equal(entry.id, 'm | samples_per_second | gfx942 | 8 | 1 | local');
  });

  it('flags the same slowdown over 10 low-noise samples as significant', () => {
    const entry = only(compareRuns(rows('m', 'samples_per_second', noisy(90, 0.01)), rows('m', 'samples_per_second', noisy(100, 0.01)), OPTIONS));
    assert.equal(entry.class, 'regressed');
    assert.equal(entry.significant, true);
    assert.ok(entry.interval!.high < 0 && entry.interval!.low < -10 && entry.interval!.high > -10, JSON.stringify(entry.interval));
    assert.match(entry.reason, /^-10\.0 % \(95 % CI -1\d\.\d \.\. -\d\.\d %\), beyond the 5 % threshold$/);
    assert.equal(entry.head!.samples.length, 10);
    assert.ok(Math.abs(entry.head!.mean! - 90) < 1e-9);
    assert.ok(entry.head!.stddev! > 0.5 && entry.head!.stddev! < 1.5);
  });

  it('does not flag the same means under high noise (CV 30 %) across 10 repeats', () => {
    const entry = only(compareRuns(rows('m', 'samples_per_second', noisy(90, 0.3)), rows('m', 'samples_per_second', noisy(100, 0.3)), OPTIONS));
    assert.ok(Math.abs(entry.relativeChange! + 10) < 1e-9);
    assert.equal(entry.class, 'unchanged');
    assert.equal(entry.significant, false);
    assert.match(entry.reason, /^-10\.0 %, not significant at 95 %: CI -\d+\.\d \.\. \+\d+\.\d %$/);
  });

  it('uses the interval when only one side has several samples', () => {
    const entry = only(compareRuns(rows('m', 'samples_per_second', noisy(90, 0.3)), rows('m', 'samples_per_second', [100]), OPTIONS));
    assert.equal(entry.class, 'unchanged');
    assert.equal(entry.significant, false);
  });

  it('a latency (lower is better) rising 10 % regressed, falling 10 % improved', () => {
    const base = rows('m', 'latency_ms', [100]);
    const up = only(compareRuns(rows('m', 'latency_ms', [110]), base, OPTIONS));
    assert.equal(up.direction, 'lower');
    assert.equal(up.class, 'regressed');
    assert.equal(up.reason, '+10.0 % (lower is better), one sample each side, beyond the 5 % threshold');
    const down = only(compareRuns(rows('m', 'latency_ms', noisy(90, 0.01)), rows('m', 'latency_ms', noisy(100, 0.01)), OPTIONS));
    assert.equal(down.class, 'improved');
    assert.equal(down.significant, true);
  });

  it('a throughput rising beyond the threshold improved', () => {
    assert.equal(only(compareRuns(rows('m', 'tokens/sec', [120]), rows('m', 'tokens/sec', [100]), OPTIONS)).class, 'improved');
  });

  it('takes an effect exactly at the threshold as beyond it, and one just inside as within', () => {
    const at = only(compareRuns(rows('m', 'qps', [95]), rows('m', 'qps', [100]), OPTIONS));
    assert.equal(at.class, 'regressed');
    const at10 = only(compareRuns(rows('m', 'qps', [0.9]), rows('m', 'qps', [1]), { ...OPTIONS, threshold: 10 }));
    assert.equal(at10.class, 'regressed', 'float noise: 0.9 / 1 - 1 is -9.999999999999998 %');
    const inside = only(compareRuns(rows('m', 'qps', [95.01]), rows('m', 'qps', [100]), OPTIONS));
    assert.equal(inside.class, 'unchanged');
    assert.equal(inside.reason, '-5.0 %, within the 5 % threshold');
  });

  it('marks keys only in head new, only in the baseline missing', () => {
    const result = compareRuns(rows('added', 'qps', [1]), rows('gone', 'qps', [1]), OPTIONS);
    assert.deepEqual(
      result.entries.map((entry) => [entry.key.model, entry.class, entry.reason]),
      [
        ['gone', 'missing', 'in the baseline, not in head'],
        ['added', 'new', 'not in the baseline'],
      ],
    );
  });

  it('a FAILURE head row with an empty metric fails every base key of that model and configuration', () => {
    const base = [...rows('m', 'qps', [100]), ...rows('m', 'latency_ms', [5]), ...rows('m', 'qps', [100], { n_gpus: '1' }), ...rows('other', 'qps', [1])];
    const head = [failure('m', 'exit code 137 (killed)'), ...rows('other', 'qps', [1])];
    const result = compareRuns(head, base, OPTIONS);
    assert.deepEqual(
      result.entries.map((entry) => [entry.id, entry.class]),
      [
        ['m | latency_ms | gfx942 | 8 | 1 | local', 'failed'],
        ['m | qps | gfx942 | 8 | 1 | local', 'failed'],
        ['m | qps | gfx942 | 1 | 1 | local', 'missing'],
        ['other | qps | gfx942 | 8 | 1 | local', 'unchanged'],
      ],
    );
    const failed = result.entries[0]!;
    assert.equal(failed.reason, 'FAILURE on head: exit code 137 (killed)');
    assert.deepEqual(failed.head!.failures, ['exit code 137 (killed)']);
    assert.equal(failed.head!.rows, 1);
    assert.deepEqual(failed.head!.samples, []);
    assert.deepEqual(result.counts, { regressed: 0, failed: 2, missing: 1, new: 0, improved: 0, unchanged: 1 });
  });

  it('a FAILURE head row with no matching base key is its own failed entry', () => {
    const entry = only(compareRuns([failure('m', 'no performance line')], [], OPTIONS));
    assert.equal(entry.class, 'failed');
    assert.equal(entry.key.metric, '');
    assert.equal(entry.id, 'm |  | gfx942 | 8 | 1 | local');
  });

  it('a key with SUCCESS samples and a FAILURE repeat is failed, not averaged', () => {
    const head = [...rows('m', 'qps', [100, 101]), failure('m', 'repeat 3: timeout after 600 s')];
    const entry = only(compareRuns(head, rows('m', 'qps', [100]), OPTIONS));
    assert.equal(entry.class, 'failed');
    assert.equal(entry.reason, 'FAILURE on head: repeat 3: timeout after 600 s (2 successful samples not averaged in)');
    assert.equal(entry.head!.rows, 3);
  });

  it('a FAILURE in the baseline makes a now-working model new, not new + missing', () => {
    const entry = only(compareRuns(rows('m', 'qps', [100]), [failure('m', 'oom')], OPTIONS));
    assert.equal(entry.class, 'new');
    assert.equal(entry.reason, 'no successful baseline sample (FAILURE in the baseline: oom)');
  });

  it('a SKIPPED head row is unchanged with a baseline, new without one, never regressed', () => {
    const skipped: PerfRow = { model: 'm', metric: 'qps', ...CONFIG, status: 'SKIPPED', reason: 'skip_gpu_arch gfx942' };
    const withBase = only(compareRuns([skipped], rows('m', 'qps', [100]), OPTIONS));
    assert.equal(withBase.class, 'unchanged');
    assert.equal(withBase.reason, 'skipped on head: skip_gpu_arch gfx942');
    const notInBase = only(compareRuns([skipped], [], OPTIONS));
    assert.equal(notInBase.class, 'new');
    assert.match(notInBase.reason, /skipped on head/);
  });

  it('without a baseline every head key is new', () => {
    const result = compareRuns([...rows('a', 'qps', [1]), ...rows('b', 'qps', [2])], undefined, OPTIONS);
    assert.equal(result.baselineFound, false);
    assert.deepEqual(
      result.entries.map((entry) => [entry.class, entry.reason]),
      [
        ['new', 'no baseline'],
        ['new', 'no baseline'],
      ],
    );
    assert.equal(result.counts.new, 2);
    assert.equal(result.entries[0]!.base, undefined);
  });

  it('an empty baseline is a baseline (found, with nothing in it)', () => {
    const result = compareRuns(rows('a', 'qps', [1]), [], OPTIONS);
    assert.equal(result.baselineFound, true);
    assert.equal(only(result).reason, 'not in the baseline');
  });

  it('a base mean of 0 gives no relative change', () => {
    const entry = only(compareRuns(rows('m', 'qps', [5]), rows('m', 'qps', [0]), OPTIONS));
    assert.equal(entry.class, 'unchanged');
    assert.equal(entry.relativeChange, undefined);
    assert.match(entry.reason, /baseline mean is 0/);
  });

  it('takes direction overrides per metric', () => {
    const entry = only(compareRuns(rows('m', 'score', [110]), rows('m', 'score', [100]), { ...OPTIONS, directions: { score: 'lower' } }));
    assert.equal(entry.direction, 'lower');
    assert.equal(entry.class, 'regressed');
  });

  it('keys like with like: trimmed key columns, other configurations apart', () => {
    const head = rows(' m ', 'qps', [90], { gpu_architecture: ' gfx942' });
    const result = compareRuns(head, [...rows('m', 'qps', [100]), ...rows('m', 'qps', [50], { nnodes: '2' })], OPTIONS);
    assert.deepEqual(
      result.entries.map((entry) => [entry.key.nnodes, entry.class]),
      [
        ['1', 'regressed'],
        ['2', 'missing'],
      ],
    );
  });

  it('sorts by severity, then by the size of the change, then by id, and counts every class', () => {
    const head = [
      ...rows('small', 'qps', [94]),
      ...rows('big', 'qps', [50]),
      ...rows('b-same', 'qps', [100]),
      ...rows('a-same', 'qps', [100]),
      ...rows('up', 'qps', [200]),
    ];
    const base = [
      ...rows('small', 'qps', [100]),
      ...rows('big', 'qps', [100]),
      ...rows('b-same', 'qps', [100]),
      ...rows('a-same', 'qps', [100]),
      ...rows('up', 'qps', [100]),
    ];
    const result = compareRuns(head, base, OPTIONS);
    assert.deepEqual(
      result.entries.map((entry) => entry.key.model),
      ['big', 'small', 'up', 'a-same', 'b-same'],
    );
    assert.deepEqual(result.counts, { regressed: 2, failed: 0, missing: 0, new: 0, improved: 1, unchanged: 2 });
  });

  it('sorts entries without a relative change after those with one', () => {
    const head = [...rows('zero-base', 'qps', [5]), ...rows('half', 'qps', [100.5])];
    const base = [...rows('zero-base', 'qps', [0]), ...rows('half', 'qps', [100])];
    assert.deepEqual(
      compareRuns(head, base, OPTIONS).entries.map((entry) => entry.key.model),
      ['half', 'zero-base'],
    );
  });

  it('reports image digests and machines per side, not keyed', () => {
    const head = [
      ...rows('m', 'qps', [100], { image_digest: 'sha256:a', machine_name: 'n1' }),
      ...rows('m', 'qps', [100], { image_digest: 'sha256:b', machine_name: 'n1' }),
    ];
    const entry = only(compareRuns(head, rows('m', 'qps', [100], { image_digest: 'sha256:a' }), OPTIONS));
    assert.deepEqual(entry.head!.imageDigests, ['sha256:a', 'sha256:b']);
    assert.deepEqual(entry.head!.machines, ['n1']);
    assert.deepEqual(entry.base!.machines, []);
  });

  it('is deterministic', () => {
    const run = (): ComparisonResult => compareRuns(rows('m', 'qps', noisy(95, 0.05)), rows('m', 'qps', noisy(100, 0.05)), OPTIONS);
    assert.deepEqual(run(), run());
  });

  it('rejects a bad threshold or confidence', () => {
    assert.throws(
      () => compareRuns([], [], { threshold: -1, confidence: 0.95 }),
      (error: unknown) => error instanceof ConfigError && /threshold/.test(error.message),
    );
    assert.throws(
      () => compareRuns([], [], { threshold: 5, confidence: 95 }),
      (error: unknown) => error instanceof ConfigError && /confidence/.test(error.message),
    );
  });
});

describe('fillRelativeChange', () => {
  it("writes each numeric SUCCESS row's change against its key's base mean, with 2 decimals and a sign", () => {
    const head = [...rows('m', 'qps', [103.1, 90]), failure('m', 'x', 'qps'), ...rows('new', 'qps', [5]), ...rows('same', 'qps', [100])];
    const base = [...rows('m', 'qps', [99, 101]), ...rows('same', 'qps', [100])];
    const result = compareRuns(head, base, OPTIONS);
    const filled = fillRelativeChange(head, result);
    assert.deepEqual(
      filled.map((row) => row.relative_change),
      ['+3.10', '-10.00', '', '', '+0.00'],
    );
    assert.equal(head[0]!.relative_change, undefined, 'the input rows are not changed');
    assert.equal(filled[0]!.performance, '103.1');
  });
});
