import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { formatCsvRow } from '../../../../src/core/util/csv.ts';
import { NO_PERFORMANCE_LINE_REASON } from '../../../../src/core/perf/status.ts';
import { collectSlurmResults } from '../../../../src/core/deploy/slurm/collect.ts';
import { planSlurmJobs, type SlurmPlan } from '../../../../src/core/deploy/slurm/plan.ts';
import type { TaskOutcome } from '../../../../src/core/deploy/types.ts';
import type { PerfRow } from '../../../../src/core/perf/perf-csv.ts';
import { memoryLogger } from '../../../helpers/logger.ts';
import { planInput } from './plan-fixture.ts';

function csv(rows: PerfRow[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return formatCsvRow(columns) + rows.map((row) => formatCsvRow(columns.map((c) => row[c] ?? ''))).join('');
}

const success = (over: PerfRow = {}): PerfRow => ({
  model: 'm',
  n_gpus: '8',
  machine_name: 'node-a',
  deployment_type: 'local',
  performance: '100',
  metric: 'samples_per_second',
  status: 'SUCCESS',
  reason: '',
  run_id: 'node-run',
  test_duration: '10',
  ...over,
});

/** Files of the node dirs: {"<model index>/<rank>": rows or a raw perf.csv text}. */
function files(plan: SlurmPlan, perRank: Record<string, PerfRow[] | string>, exitCodes: Record<string, string> = {}): Map<string, string> {
  const map = new Map<string, string>();
  for (const [where, content] of Object.entries(perRank)) {
    const [index, rank] = where.split('/');
    map.set(path.join(plan.models[Number(index)]!.resultsDir, `node_${rank}`, 'perf.csv'), typeof content === 'string' ? content : csv(content));
  }
  for (const [where, code] of Object.entries(exitCodes)) {
    const [index, rank] = where.split('/');
    map.set(path.join(plan.models[Number(index)]!.resultsDir, `node_${rank}`, 'exit_code'), `${code}\n`);
  }
  return map;
}

const reader = (map: Map<string, string>) => ({ readFile: async (file: string) => map.get(file) });

describe('collectSlurmResults', () => {
  const arrayPlan = planSlurmJobs(planInput([{ name: 'm' }, { name: 'n' }], { slurm: { gpus_per_node: 8 } }));
  const outcomes: TaskOutcome[] = [
    { jobId: '77_0', model: 'm', state: 'COMPLETED', reason: '' },
    { jobId: '77_1', model: 'n', state: 'COMPLETED', reason: '' },
  ];

  it('a single-node row becomes a cluster row: deployment_type, nnodes, gpus_per_node, launcher, run_id, job_id; the host name stays', async () => {
    const rows = await collectSlurmResults(arrayPlan, outcomes, reader(files(arrayPlan, { '0/0': [success()], '1/0': [success({ model: 'n' })] })));
    assert.equal(rows.length, 2);
    assert.deepEqual(
      { ...rows[0] },
      { ...success(), deployment_type: 'slurm', nnodes: '1', gpus_per_node: '8', launcher: 'docker', run_id: 'run12345-abcd', job_id: '77_0' },
    );
    assert.equal(rows[1]!.job_id, '77_1');
  });

  it('a model without perf.csv is a FAILURE row with the state, the file it lacked and its log path', async () => {
    const failed: TaskOutcome[] = [outcomes[0]!, { jobId: '77_1', model: 'n', state: 'FAILED', reason: 'FAILED: exit code 1' }];
    const rows = await collectSlurmResults(arrayPlan, failed, reader(files(arrayPlan, { '0/0': [success()] }, { '1/0': '1' })));
    const row = rows[1]!;
    assert.equal(row.status, 'FAILURE');
    assert.equal(row.model, 'n');
    assert.equal(row.deployment_type, 'slurm');
    assert.equal(row.docker_image, 'ci-n_dummy.ubuntu.amd');
    assert.equal(row.job_id, '77_1');
    const logs = path.join(arrayPlan.jobDir, 'logs');
    assert.equal(
      row.reason,
      `FAILED: exit code 1 left no results: no ${path.join(arrayPlan.models[1]!.resultsDir, 'node_0', 'perf.csv')} (the node's run exited 1); see the log ${logs}/array_77_1.out`,
    );
  });

  it('a job that timed out turns a model without SUCCESS into a TIMEOUT row; a SUCCESS row stays', async () => {
    const timedOut: TaskOutcome[] = [
      { jobId: '77_0', model: 'm', state: 'TIMEOUT', reason: 'TIMEOUT: the job ran past its time limit (--time 00:01:00)' },
      { jobId: '77_1', model: 'n', state: 'TIMEOUT', reason: 'TIMEOUT: the job ran past its time limit (--time 00:01:00)' },
    ];
    const rows = await collectSlurmResults(
      arrayPlan,
      timedOut,
      reader(files(arrayPlan, { '0/0': [success({ status: 'FAILURE', performance: '', reason: 'killed by SIGTERM' })], '1/0': [success({ model: 'n' })] })),
    );
    assert.equal(rows[0]!.status, 'FAILURE');
    assert.equal(rows[0]!.reason, 'TIMEOUT: the job ran past its time limit (--time 00:01:00) (the run reported: killed by SIGTERM)');
    assert.equal(rows[1]!.status, 'SUCCESS');
    const missing = await collectSlurmResults(arrayPlan, timedOut, reader(new Map()));
    assert.match(missing[0]!.reason!, /^TIMEOUT: the job ran past its time limit \(--time 00:01:00\) left no results: no /);
  });

  it('a task with no reported end state says so', async () => {
    const rows = await collectSlurmResults(arrayPlan, [], reader(new Map()));
    assert.match(rows[0]!.reason!, /^UNKNOWN \(no end state was reported for its job\) left no results/);
    assert.match(rows[0]!.reason!, /array_<job id>_0\.out$/);
  });

  describe('a multi-rank model', () => {
    const plan = planSlurmJobs(planInput([{ name: 'm', launch: { launcher: 'torchrun', nnodes: 2, nprocPerNode: 8 } }]));
    const outcome: TaskOutcome[] = [{ jobId: '90', model: 'm', state: 'COMPLETED', reason: '' }];

    it('aggregates each metric over the ranks by its name (sum, mean, max) and warns about unknown metrics', async () => {
      const logger = memoryLogger();
      const rank = (host: string, scale: number): PerfRow[] => [
        success({ machine_name: host, performance: String(100 * scale), metric: 'samples_per_second', test_duration: String(10 * scale) }),
        success({ machine_name: host, performance: String(2 * scale), metric: 'latency_ms' }),
        success({ machine_name: host, performance: String(30 * scale), metric: 'peak_memory_gb' }),
        success({ machine_name: host, performance: String(scale), metric: 'widgets' }),
      ];
      const rows = await collectSlurmResults(plan, outcome, { ...reader(files(plan, { '0/0': rank('node-a', 1), '0/1': rank('node-b', 2) })), logger });
      assert.deepEqual(
        rows.map((r) => [r.metric, r.performance, r.status, r.reason]),
        [
          ['samples_per_second', '300', 'SUCCESS', 'sum of 2 ranks'],
          ['latency_ms', '3', 'SUCCESS', 'mean of 2 ranks'],
          ['peak_memory_gb', '60', 'SUCCESS', 'max of 2 ranks'],
          ['widgets', '3', 'SUCCESS', "sum of 2 ranks (no rule for metric 'widgets')"],
        ],
      );
      assert.equal(rows[0]!.n_gpus, '16');
      assert.equal(rows[0]!.test_duration, '20');
      assert.equal(rows[0]!.nnodes, '2');
      assert.equal(rows[0]!.machine_name, 'node-a');
      assert.equal(rows[0]!.job_id, '90');
      assert.match(logger.lines.join('\n'), /metric 'widgets' has no aggregation rule/);
    });

    it('a rank > 0 without a performance line is no failure when rank 0 measured (MAD_COLLECT_METRICS)', async () => {
      for (const worker of [
        success({ machine_name: 'node-b', performance: '', metric: '', status: 'FAILURE', reason: NO_PERFORMANCE_LINE_REASON }),
        success({
          machine_name: 'node-b',
          performance: '',
          metric: '',
          status: 'SUCCESS',
          reason: 'worker node (MAD_COLLECT_METRICS=false): no performance line, as expected',
        }),
      ]) {
        const rows = await collectSlurmResults(plan, outcome, reader(files(plan, { '0/0': [success()], '0/1': [worker] })));
        assert.deepEqual(
          rows.map((r) => [r.performance, r.status, r.reason]),
          [['100', 'SUCCESS', '']],
        );
      }
    });

    it('a rank that really failed, or wrote nothing, fails the model with the rank, its host and its log', async () => {
      const crashed = success({ machine_name: 'node-b', performance: '', metric: '', status: 'FAILURE', reason: 'error pattern RuntimeError at: boom' });
      let rows = await collectSlurmResults(plan, outcome, reader(files(plan, { '0/0': [success()], '0/1': [crashed] })));
      assert.equal(rows[0]!.status, 'FAILURE');
      assert.equal(rows[0]!.performance, '');
      assert.equal(rows[0]!.reason, 'rank 1 on node-b failed: error pattern RuntimeError at: boom');

      rows = await collectSlurmResults(plan, outcome, reader(files(plan, { '0/0': [success()] })));
      const rankLog = path.join(plan.jobDir, 'logs', `${plan.jobs[0]!.key}_90_1.out`);
      assert.equal(rows[0]!.reason, `rank 1 wrote nothing (no ${path.join(plan.models[0]!.resultsDir, 'node_1', 'perf.csv')}; log ${rankLog})`);

      rows = await collectSlurmResults(plan, outcome, reader(files(plan, { '0/1': [success({ machine_name: 'node-b' })] })));
      assert.match(rows[0]!.reason!, /^rank 0 wrote nothing \(no .*node_0\/perf\.csv; log .*_90_0\.out\)$/);
      assert.equal(rows[0]!.status, 'FAILURE');

      rows = await collectSlurmResults(plan, outcome, reader(files(plan, { '0/0': 'model,performance\n"unterminated' })));
      assert.match(rows[0]!.reason!, /rank 0 .*perf\.csv cannot be read/);
    });
  });
});
