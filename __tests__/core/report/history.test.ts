import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendHistory, formatHistoryCsv, parseHistoryCsv, regressionStart, trendSeries, type HistoryRow } from '../../../src/core/report/history.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import type { PerfRow } from '../../../src/core/perf/perf-csv.ts';

const CONFIG = { gpu_architecture: 'gfx942', n_gpus: '8', nnodes: '1', deployment_type: 'local' };

function perf(model: string, metric: string, ...values: number[]): PerfRow[] {
  return values.map((value) => ({ model, metric, ...CONFIG, performance: String(value), status: 'SUCCESS' }));
}

function day(n: number): string {
  return new Date(Date.UTC(2026, 0, n)).toISOString();
}

/** A history of one key with the given means, one run per day. */
function series(metric: string, means: readonly number[]): HistoryRow[] {
  return means.reduce<HistoryRow[]>(
    (history, value, i) => appendHistory(history, perf('m', metric, value), { runId: `run${i + 1}`, date: day(i + 1) }, 100),
    [],
  );
}

describe('appendHistory', () => {
  it('adds one row per key with the mean and sample count of its numeric SUCCESS rows', () => {
    const rows = [...perf('m', 'qps', 10, 20), ...perf('n', 'latency_ms', 5), { model: 'f', metric: '', ...CONFIG, status: 'FAILURE' }];
    const history = appendHistory([], rows, { runId: '100', sha: 'abc', date: day(1) }, 10);
    assert.deepEqual(history, [
      { run_id: '100', sha: 'abc', date: day(1), model: 'm', metric: 'qps', ...CONFIG, mean: 15, samples: 2 },
      { run_id: '100', sha: 'abc', date: day(1), model: 'n', metric: 'latency_ms', ...CONFIG, mean: 5, samples: 1 },
    ]);
  });

  it('is idempotent for a re-run of the same run, and replaces its (run, key) rows', () => {
    const once = appendHistory([], perf('m', 'qps', 10), { runId: '1', date: day(1) }, 10);
    assert.deepEqual(appendHistory(once, perf('m', 'qps', 10), { runId: '1', date: day(1) }, 10), once);
    const replaced = appendHistory(once, perf('m', 'qps', 12), { runId: '1', date: day(1) }, 10);
    assert.equal(replaced.length, 1);
    assert.equal(replaced[0]!.mean, 12);
  });

  it('keeps only the newest maxRuns runs by date, oldest first', () => {
    let history: HistoryRow[] = [];
    for (const n of [3, 1, 4, 2, 5]) history = appendHistory(history, perf('m', 'qps', n), { runId: `r${n}`, date: day(n) }, 3);
    assert.deepEqual(
      history.map((row) => row.run_id),
      ['r3', 'r4', 'r5'],
    );
    // An older run arriving late is dropped when it is not among the newest.
    assert.deepEqual(
      appendHistory(history, perf('m', 'qps', 0), { runId: 'old', date: day(0) }, 3).map((row) => row.run_id),
      ['r3', 'r4', 'r5'],
    );
  });

  it('rejects a bad run length, run id or date', () => {
    assert.throws(() => appendHistory([], [], { runId: '1', date: day(1) }, 0), ConfigError);
    assert.throws(() => appendHistory([], [], { runId: ' ', date: day(1) }, 5), ConfigError);
    assert.throws(() => appendHistory([], [], { runId: '1', date: 'yesterday' }, 5), /'yesterday', which is not an ISO 8601 date/);
  });
});

describe('history CSV', () => {
  it('round-trips through formatHistoryCsv and parseHistoryCsv', () => {
    const history = appendHistory(
      appendHistory([], perf('org/m, "x"', 'tokens/sec', 1 / 3, 0.1), { runId: '1', sha: 'abc', date: day(1) }, 5),
      perf('n', 'qps', 1e-7),
      { runId: '2', date: day(2) },
      5,
    );
    const text = formatHistoryCsv(history);
    assert.ok(text.startsWith('run_id,sha,date,model,metric,gpu_architecture,n_gpus,nnodes,deployment_type,mean,samples\n'));
    assert.deepEqual(parseHistoryCsv(text, 'history.csv'), history);
    assert.deepEqual(parseHistoryCsv('', 'empty.csv'), []);
  });

  it('names the file, line and value at fault', () => {
    const header = 'run_id,sha,date,model,metric,gpu_architecture,n_gpus,nnodes,deployment_type,mean,samples';
    const cases: [string, RegExp][] = [
      [`${header}\n1,,${day(1)},m,qps,,,,,fast,1\n`, /history h\.csv line 2: mean 'fast' is not a finite number/],
      [`${header}\n1,,${day(1)},m,qps,,,,,1,0\n`, /line 2: samples '0' is not a whole number >= 1/],
      [`${header}\n1,,soon,m,qps,,,,,1,1\n`, /line 2: date 'soon' is not an ISO 8601 date/],
      [`${header}\n,,${day(1)},m,qps,,,,,1,1\n`, /line 2: run_id '' is not a run id/],
      ['run_id,date\n1,2026\n', /history h\.csv lacks the columns sha, model/],
      [`${header}\n"open`, /history h\.csv: unterminated quoted field at line 2/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseHistoryCsv(text, 'h.csv'),
        (error: unknown) => error instanceof ConfigError && message.test(error.message) && error.file === 'h.csv',
        String(message),
      );
    }
  });
});

describe('regressionStart', () => {
  it('is unset for a flat, improving or single-point series', () => {
    assert.equal(regressionStart([100, 101, 99, 100], 'higher', 5), undefined);
    assert.equal(regressionStart([100, 110, 120], 'higher', 5), undefined);
    assert.equal(regressionStart([100], 'higher', 5), undefined);
    assert.equal(regressionStart([], 'higher', 5), undefined);
  });

  it('finds the first point of the trailing run worse than the median before it', () => {
    assert.equal(regressionStart([100, 101, 99, 100, 90], 'higher', 5), 4);
    assert.equal(regressionStart([100, 101, 99, 100, 90, 89, 91], 'higher', 5), 4);
  });

  it('needs every point of the run worse: a recovered point ends it', () => {
    assert.equal(regressionStart([100, 101, 90, 100, 90], 'higher', 5), 4);
  });

  it('follows the direction: a rising latency is a regression', () => {
    assert.equal(regressionStart([10, 10, 10, 12, 12], 'lower', 5), 3);
    assert.equal(regressionStart([10, 10, 10, 8, 8], 'lower', 5), undefined);
  });

  it('counts a change equal to the threshold', () => {
    assert.equal(regressionStart([100, 100, 95], 'higher', 5), 2);
    assert.equal(regressionStart([100, 100, 95.5], 'higher', 5), undefined);
  });

  it('does not judge against a median of 0', () => {
    assert.equal(regressionStart([0, 0, -5], 'higher', 5), undefined);
  });
});

describe('trendSeries', () => {
  it('groups by key, orders points oldest first and marks where a regression began', () => {
    const history = [...series('qps', [100, 102, 98, 101, 80, 79]), ...series('latency_ms', [10, 10, 10, 10, 10, 10])];
    const result = trendSeries([...history].reverse(), { threshold: 5 });
    assert.deepEqual(
      result.map((s) => [s.id, s.direction, s.regressionStart]),
      [
        ['m | latency_ms | gfx942 | 8 | 1 | local', 'lower', undefined],
        ['m | qps | gfx942 | 8 | 1 | local', 'higher', 4],
      ],
    );
    const qps = result[1]!;
    assert.deepEqual(
      qps.points.map((point) => [point.runId, point.mean]),
      [
        ['run1', 100],
        ['run2', 102],
        ['run3', 98],
        ['run4', 101],
        ['run5', 80],
        ['run6', 79],
      ],
    );
    assert.equal(qps.points[0]!.sha, undefined);
    assert.equal(qps.points[0]!.samples, 1);
    assert.equal(Object.hasOwn(result[0]!, 'regressionStart'), false);
  });

  it('takes direction overrides', () => {
    const [one] = trendSeries(series('score', [10, 10, 10, 12]), { threshold: 5, directions: { score: 'lower' } });
    assert.equal(one!.direction, 'lower');
    assert.equal(one!.regressionStart, 3);
  });
});
