/** Noise alone must not alert: with equal true means, few keys may be flagged (red-team finding, issue 10). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRuns } from '../../../src/core/report/compare.ts';
import { studentT } from '../../../src/core/report/stats.ts';
import type { PerfRow } from '../../../src/core/perf/perf-csv.ts';

/** mulberry32: a seeded generator, so the test is the same on every run. */
function generator(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() || 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

function rows(keys: number, samples: number, cv: number, normal: () => number): PerfRow[] {
  const out: PerfRow[] = [];
  for (let k = 0; k < keys; k++)
    for (let s = 0; s < samples; s++) {
      out.push({
        model: `m${k}`,
        metric: 'samples_per_second',
        gpu_architecture: 'gfx942',
        n_gpus: '1',
        nnodes: '1',
        deployment_type: 'local',
        performance: String(1000 * (1 + cv * normal())),
        status: 'SUCCESS',
        sample: String(s + 1),
      });
    }
  return out;
}

for (const samples of [2, 3, 5]) {
  test(`equal means, ${samples} samples a side, 10 % noise: at most 4 % of keys flagged regressed at 95 % (was up to 16 %)`, () => {
    const normal = generator(samples * 7919);
    const result = compareRuns(rows(1000, samples, 0.1, normal), rows(1000, samples, 0.1, normal), { threshold: 5, confidence: 0.95 });
    const share = result.counts.regressed / 1000;
    assert.ok(share <= 0.04, `${(share * 100).toFixed(1)} % flagged`);
  });
}

test('studentT: the table values (two-sided 95 %)', () => {
  assert.equal(studentT(0.975, 1).toFixed(3), '12.706');
  assert.equal(studentT(0.975, 2).toFixed(3), '4.303');
  assert.ok(Math.abs(studentT(0.975, 4) - 2.776) < 0.02);
  assert.ok(Math.abs(studentT(0.975, 30) - 2.042) < 0.005);
});

test('a SKIPPED head row with an empty metric is its model\'s key (unchanged, skipped), not "missing" plus "new" (red-team finding)', () => {
  const key = { gpu_architecture: 'gfx942', n_gpus: '1', nnodes: '1', deployment_type: 'local' };
  const base: PerfRow[] = [{ model: 'skip2', metric: 'samples_per_second', performance: '10', status: 'SUCCESS', ...key }];
  const head: PerfRow[] = [{ model: 'skip2', metric: '', performance: '', status: 'SKIPPED', reason: 'skip_gpu_arch', ...key }];
  const result = compareRuns(head, base, { threshold: 5, confidence: 0.95 });
  assert.deepEqual(
    result.entries.map((e) => [e.key.metric, e.class]),
    [['samples_per_second', 'unchanged']],
  );
  assert.match(result.entries[0]!.reason, /skipped on head: skip_gpu_arch/);
});
