import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mean, quantile, ratioInterval, reachesThreshold, relativeChange, stddev } from '../../../src/core/report/stats.ts';

describe('mean and stddev', () => {
  it('computes the mean and the sample standard deviation (n - 1)', () => {
    assert.equal(mean([1, 2, 3, 4]), 2.5);
    assert.equal(stddev([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
    assert.equal(stddev([5]), undefined);
    assert.throws(() => mean([]), RangeError);
  });
});

describe('relativeChange', () => {
  it('is (head / base - 1) * 100, undefined for a zero base, signed by the rise for a negative base', () => {
    assert.equal(relativeChange(200, 180), -10);
    assert.equal(relativeChange(0, 5), undefined);
    assert.equal(relativeChange(-10, -5), 50);
  });
});

describe('reachesThreshold', () => {
  it('counts an effect equal to the threshold, despite float noise', () => {
    assert.equal(reachesThreshold(5, 5), true);
    assert.equal(reachesThreshold((1 - 0.9) * 100, 10), true); // 9.999999999999998
    assert.equal(reachesThreshold(4.99, 5), false);
    assert.equal(reachesThreshold(0, 0), false, 'no effect never reaches a threshold');
  });
});

describe('ratioInterval', () => {
  const base = [100, 101, 99, 100.5, 99.5, 100, 100.2, 99.8, 100.1, 99.9];
  const head = base.map((value) => value * 0.9);

  it('is deterministic for the same seed and differs for another seed', () => {
    const a = ratioInterval(base, head, 0.95, 'key');
    assert.deepEqual(ratioInterval(base, head, 0.95, 'key'), a);
    assert.notDeepEqual(ratioInterval(base, head, 0.95, 'other'), a);
  });

  it('brackets the true change tightly for low noise', () => {
    const { low, high } = ratioInterval(base, head, 0.95, 'k');
    assert.ok(low < -10 && high > -10, `${low} .. ${high}`);
    assert.ok(high < -9 && low > -11, `${low} .. ${high}`);
  });

  it('is wide for high noise (CV 30 %)', () => {
    const noisy = [70, 130, 100, 60, 140, 95, 105, 75, 125, 100];
    const { low, high } = ratioInterval(
      noisy,
      noisy.map((value) => value * 0.9),
      0.95,
      'k',
    );
    assert.ok(low < -25 && high > 5, `${low} .. ${high}`);
  });

  it('a higher confidence gives a wider interval', () => {
    const noisy = [70, 130, 100, 60, 140, 95, 105, 75, 125, 100];
    const narrow = ratioInterval(noisy, noisy, 0.8, 'k');
    const wide = ratioInterval(noisy, noisy, 0.99, 'k');
    assert.ok(wide.low < narrow.low && wide.high > narrow.high);
  });

  it('keeps a side with one sample fixed, and is the point with one sample each', () => {
    assert.deepEqual(ratioInterval([100], [90], 0.95, 'k'), { low: -10, high: -10 });
    const { low, high } = ratioInterval([100], [89, 90, 91], 0.95, 'k');
    assert.ok(low >= -11 && high <= -9 && low < high, `${low} .. ${high}`);
  });

  it('brackets the change for odd sample counts and for more samples than the pair table holds', () => {
    for (const n of [2, 3, 11, 64, 65, 200]) {
      const values = Array.from({ length: n }, (_, i) => 100 + ((i * 37) % 7) - 3);
      const { low, high } = ratioInterval(
        values,
        values.map((value) => value * 1.2),
        0.95,
        `n${n}`,
      );
      assert.ok(low <= 20 + 1e-9 && high >= 20 - 1e-9 && low > 10 && high < 30, `n=${n}: ${low} .. ${high}`);
    }
  });

  it('has the spread of the bootstrap distribution of the mean (about mean +- 1.96 sigma / sqrt(n))', () => {
    for (const n of [10, 11, 100]) {
      const head = Array.from({ length: n }, (_, i) => 95.5 + (i % 10));
      const center = mean(head) - 100; // the base is one sample of 100: the change is the mean's offset
      const sigma = Math.sqrt(head.reduce((sum, value) => sum + (value - mean(head)) ** 2, 0) / n);
      const halfWidth = (1.96 * sigma) / Math.sqrt(n);
      const { low, high } = ratioInterval([100], head, 0.95, `spread${n}`);
      assert.ok(Math.abs((high - low) / 2 - halfWidth) < halfWidth * 0.1, `n=${n}: ${low} .. ${high}, expected ${center} +- ${halfWidth}`);
      assert.ok(Math.abs((high + low) / 2 - center) < halfWidth * 0.1, `n=${n}: ${low} .. ${high}, expected ${center} +- ${halfWidth}`);
    }
  });

  it('rejects empty sides and confidences outside (0, 1)', () => {
    assert.throws(() => ratioInterval([], [1], 0.95, 'k'), RangeError);
    assert.throws(() => ratioInterval([1], [1], 1, 'k'), RangeError);
  });
});

describe('quantile', () => {
  it('matches the sorted-array definition (linear interpolation) on random arrays with ties', () => {
    let seed = 7;
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
    for (let round = 0; round < 200; round++) {
      const length = 1 + Math.floor(random() * 60);
      const values = Array.from({ length }, () => Math.floor(random() * 12) / 3);
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of [0, 0.025, 0.05, 0.5, 0.95, 0.975, 1]) {
        const position = q * (length - 1);
        const below = Math.floor(position);
        const expected = sorted[below]! + (sorted[Math.min(below + 1, length - 1)]! - sorted[below]!) * (position - below);
        assert.ok(Math.abs(quantile(Float64Array.from(values), q) - expected) < 1e-12, `q=${q} of ${values.join(',')}`);
      }
    }
  });
});
