import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, aggregationFor, formatAggregate } from '../../../src/core/deploy/aggregate.ts';

describe('aggregationFor (compat §4.0)', () => {
  it('sums throughput, averages times and accuracy, takes the maximum of memory, in that order', () => {
    assert.deepEqual(aggregationFor('samples_per_second'), { method: 'sum', known: true });
    assert.deepEqual(aggregationFor('Tokens/sec'), { method: 'sum', known: true });
    assert.deepEqual(aggregationFor('throughput_time'), { method: 'sum', known: true });
    assert.deepEqual(aggregationFor('latency_ms'), { method: 'mean', known: true });
    assert.deepEqual(aggregationFor('TTFT'), { method: 'mean', known: true });
    assert.deepEqual(aggregationFor('peak_memory'), { method: 'max', known: true });
    assert.deepEqual(aggregationFor('vram_gb'), { method: 'max', known: true });
    assert.deepEqual(aggregationFor('widgets'), { method: 'sum', known: false });
  });

  it('aggregates and formats without binary noise', () => {
    assert.equal(aggregate([1, 2, 3], 'sum'), 6);
    assert.equal(aggregate([1, 2], 'mean'), 1.5);
    assert.equal(aggregate([1, 7, 3], 'max'), 7);
    assert.equal(formatAggregate(0.1 + 0.2), '0.3');
    assert.throws(() => aggregate([], 'sum'));
  });
});
