import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { metricDirection, parseDirections } from '../../../src/core/report/direction.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import type { Direction } from '../../../src/core/report/types.ts';

const TABLE: [string, Direction][] = [
  // throughput-like (madengine sums these across nodes)
  ['samples_per_second', 'higher'],
  ['tokens_per_second', 'higher'],
  ['images_per_second', 'higher'],
  ['requests_per_second', 'higher'],
  ['ops_per_second', 'higher'],
  ['samples/sec', 'higher'],
  ['tokens/sec', 'higher'],
  ['throughput', 'higher'],
  ['output_throughput_tok_s', 'higher'],
  ['qps', 'higher'],
  ['bandwidth', 'higher'],
  ['memory_bandwidth_gb', 'higher'],
  ['GB/s', 'higher'],
  ['it/s', 'higher'],
  ['/s', 'higher'],
  ['gbps', 'higher'],
  ['tokensPerSec', 'higher'],
  ['bytes_per_second', 'higher'],
  ['tflops', 'higher'],
  ['TFLOPS', 'higher'],
  ['samples', 'higher'],
  ['tokens', 'higher'],
  ['images', 'higher'],
  ['requests', 'higher'],
  ['accuracy', 'higher'],
  ['top1_accuracy', 'higher'],
  ['precision', 'higher'],
  ['recall', 'higher'],
  ['f1', 'higher'],
  ['min_tokens', 'higher'],
  ['score', 'higher'],
  ['metric123', 'higher'],
  // latency/time-like (averaged there)
  ['latency', 'lower'],
  ['p99_latency_ms', 'lower'],
  ['time_per_output_token_ms', 'lower'],
  ['ms_per_iter', 'lower'],
  ['ms', 'lower'],
  ['seconds', 'lower'],
  ['sec/iter', 'lower'],
  ['s/it', 'lower'],
  ['step_time', 'lower'],
  ['runtime', 'lower'],
  ['duration', 'lower'],
  ['milliseconds', 'lower'],
  ['mean_ttft_ms', 'lower'],
  ['tpot', 'lower'],
  ['median_itl_ms', 'lower'],
  ['e2el', 'lower'],
  ['response_time', 'lower'],
  ['timeToFirstToken', 'lower'],
  ['seconds_per_sample', 'lower'],
  ['loss', 'lower'],
  ['eval_loss', 'lower'],
  // memory-like (maxed there)
  ['peak_memory_gb', 'lower'],
  ['memory', 'lower'],
  ['bytes', 'lower'],
  ['ram', 'lower'],
  ['vram_mb', 'lower'],
  ['gb', 'lower'],
];

describe('metricDirection', () => {
  for (const [metric, expected] of TABLE) {
    it(`${metric} -> ${expected}`, () => assert.equal(metricDirection(metric), expected));
  }

  it('has a table of at least 25 names', () => assert.ok(TABLE.length >= 25));

  it('defaults to higher for an empty or unknown name', () => {
    assert.equal(metricDirection(''), 'higher');
    assert.equal(metricDirection('widgets'), 'higher');
  });

  it('takes an override for the exact name first', () => {
    assert.equal(metricDirection('latency', { latency: 'higher' }), 'higher');
    assert.equal(metricDirection('score', { score: 'lower' }), 'lower');
    assert.equal(metricDirection('Score', { score: 'lower' }), 'higher', 'overrides match the exact name');
    assert.equal(metricDirection('constructor', {}), 'higher', 'Object.prototype keys are not overrides');
  });
});

describe('parseDirections', () => {
  it('reads newline- and comma-separated metric=direction entries', () => {
    assert.deepEqual(parseDirections('score=lower, tokens/sec = HIGHER\n\n  latency_ms=higher ,', 'input directions'), {
      score: 'lower',
      'tokens/sec': 'higher',
      latency_ms: 'higher',
    });
    assert.deepEqual(parseDirections('', 'x'), {});
  });

  it('names the source and the bad entry', () => {
    for (const bad of ['score', 'score=up', '=lower', 'a=higher,b']) {
      assert.throws(
        () => parseDirections(bad, 'input metric-directions'),
        (error: unknown) =>
          error instanceof ConfigError && error.message.startsWith('input metric-directions: ') && /metric=higher or metric=lower/.test(error.message),
        bad,
      );
    }
  });

  it('rejects one metric given both directions, allows a repeat', () => {
    assert.deepEqual(parseDirections('a=lower,a=lower', 's'), { a: 'lower' });
    assert.throws(() => parseDirections('a=lower\na=higher', 's'), /metric 'a' is given both lower and higher/);
  });
});
