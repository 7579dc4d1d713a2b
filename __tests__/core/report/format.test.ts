import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  commitUrl,
  formatChange,
  formatConfidence,
  formatCount,
  formatGpu,
  formatNumber,
  formatSigned,
  formatStats,
  headline,
  isWorse,
  plural,
} from '../../../src/core/report/format.ts';
import { reportFixture, FIXTURE_META } from '../../helpers/report-fixture.ts';

describe('report formatting', () => {
  it('formats counts and numbers the same on every machine', () => {
    assert.deepEqual([0, 7, 1000, 1234567, -4500].map(formatCount), ['0', '7', '1,000', '1,234,567', '-4,500']);
    assert.deepEqual([1234.567, 12.345, 0.012345, 0, -150.04].map(formatNumber), ['1234.6', '12.35', '0.0123', '0', '-150.0']);
    assert.deepEqual([10.24, -3, 0.04, -0.04].map(formatSigned), ['+10.2', '-3.0', '0.0', '0.0']);
    assert.equal(plural(1, 'row'), '1 row');
    assert.equal(plural(2000, 'row'), '2,000 rows');
    assert.equal(formatConfidence(0.95), '95');
    assert.equal(formatConfidence(0.999), '99.9');
  });

  it('formats sides, changes and GPU topology', () => {
    const base = { samples: [1, 2, 3], mean: 2, stddev: 1, rows: 3, imageDigests: [], machines: [], failures: [] };
    assert.equal(formatStats(base), '2.00 ± 1.00 (n=3)');
    assert.equal(formatStats({ ...base, samples: [5], mean: 5, stddev: undefined }), '5.00 (n=1)');
    assert.equal(formatStats({ ...base, samples: [], mean: undefined, stddev: undefined }), '—');
    assert.equal(formatStats(undefined), '—');
    const [entry] = reportFixture({ perClass: { regressed: 2 } }).comparison.entries;
    assert.equal(formatChange(entry!), '-9.7 % [-11.2, -8.2]');
    assert.equal(formatChange({ ...entry!, relativeChange: undefined }), '—');
    const key = { model: 'm', metric: 't', gpu_architecture: 'gfx942', n_gpus: '8', nnodes: '1', deployment_type: 'local' };
    assert.equal(formatGpu(key), 'gfx942 × 8, 1 node');
    assert.equal(formatGpu({ ...key, nnodes: '2', deployment_type: 'slurm' }), 'gfx942 × 8, 2 nodes (slurm)');
    assert.equal(formatGpu({ ...key, gpu_architecture: '', n_gpus: '' }), '? × ?, 1 node');
  });

  it('knows which way is worse', () => {
    assert.equal(isWorse('higher', -1), true);
    assert.equal(isWorse('higher', 1), false);
    assert.equal(isWorse('lower', 1), true);
    assert.equal(isWorse('lower', -1), false);
  });

  it('writes the headline', () => {
    assert.equal(headline(reportFixture().comparison), '⚠️ 2 regressions, ❌ 2 failed');
    assert.equal(headline(reportFixture({ perClass: { regressed: 1 } }).comparison), '⚠️ 1 regression');
    assert.equal(headline(reportFixture({ perClass: { improved: 1 } }).comparison), '✅ no regressions');
    assert.equal(headline(reportFixture({ baselineFound: false, perClass: { new: 1 } }).comparison), 'ℹ️ no baseline found');
  });

  it('links commits only for an owner/name repository and a hex SHA', () => {
    assert.equal(commitUrl(FIXTURE_META, 'abc1234'), 'https://github.com/ROCm/madengine/commit/abc1234');
    assert.equal(commitUrl({ ...FIXTURE_META, repository: 'a b/c' }, 'abc1234'), undefined);
    assert.equal(commitUrl({ ...FIXTURE_META, repository: undefined }, 'abc1234'), undefined);
    assert.equal(commitUrl(FIXTURE_META, 'not-a-sha'), undefined);
  });
});
