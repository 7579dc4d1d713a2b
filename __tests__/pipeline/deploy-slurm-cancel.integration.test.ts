/**
 * A SLURM deployment that does not end by itself (issue 11's acceptance): a job over its time limit is a
 * TIMEOUT row, and SIGTERM to the CLI scancels exactly its run's jobs, running and pending, while a job of
 * someone else stays. The CLI runs from its sources on the real SLURM of scripts/test-infra.sh.
 */
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readPerfCsv } from '../helpers/csv.ts';
import { cancelAll, requireSlurm, slurmCommand, type SlurmInfra } from '../helpers/slurm.ts';
import { activeRunJobs, cancelJobsUnder, jobsUnder, runCli, runIdsIn, scratchDir, scratchHub, startCli, type QueuedJob } from '../helpers/deploy-slurm.ts';

/** A bound on waiting for SLURM to schedule (not an assertion on its speed). */
const SCHEDULE_BOUND_MS = 60_000;

async function workDir(t: TestContext, slurm: SlurmInfra, name: string): Promise<string> {
  const root = await scratchDir(name);
  t.after(async () => {
    await cancelJobsUnder(slurm, root);
    await rm(root, { recursive: true, force: true });
  });
  return root;
}

/** Polls squeue until `ready` holds for the jobs under `dir`; throws with what it saw after the bound. */
async function waitForJobs(slurm: SlurmInfra, dir: string, ready: (jobs: QueuedJob[]) => boolean, what: string): Promise<QueuedJob[]> {
  const deadline = Date.now() + SCHEDULE_BOUND_MS;
  for (;;) {
    const jobs = await jobsUnder(slurm, dir);
    if (ready(jobs)) return jobs;
    if (Date.now() > deadline) throw new Error(`${what} not seen within ${SCHEDULE_BOUND_MS} ms; squeue: ${JSON.stringify(jobs)}`);
    await sleep(250);
  }
}

describe('deploy to SLURM: time limits and cancellation', () => {
  it('a job over its time limit (slurm.time "1") is a TIMEOUT row whose reason says so', async (t) => {
    const slurm = await requireSlurm(t);
    if (!slurm) return;
    const root = await workDir(t, slurm, 'timeout');
    const hub = await scratchHub(root, [{ name: 'sleeper', script: 'sleep 200\necho "performance: 1 samples_per_second"' }]);
    // SLURM checks time limits on a ~30 s tick: the job ends between 60 and ~95 s after it started.
    const run = await runCli(
      ['run', '--hub', hub, '--tags', 'sleeper', '-o', path.join(root, 'perf.csv'), '-c', '{"deploy": "slurm", "executor": "host", "slurm": {"time": "1"}}'],
      { cwd: root, env: slurm.env },
    );
    assert.equal(run.code, 3, `${run.stdout}\n${run.stderr}`);
    const { rows } = await readPerfCsv(path.join(root, 'perf.csv'));
    assert.equal(rows.length, 1, JSON.stringify(rows));
    const row = rows[0]!;
    assert.deepEqual([row.model, row.status, row.deployment_type], ['sleeper', 'FAILURE', 'slurm']);
    assert.match(row.reason ?? '', /^TIMEOUT/);
    assert.match(row.reason ?? '', /time limit/i);
    assert.match(row.job_id ?? '', /^\d+_0$/);
  });

  it("SIGTERM while one task runs and the next pends: the run's jobs are cancelled, a foreign job stays, rows say CANCELLED", async (t) => {
    const slurm = await requireSlurm(t);
    if (!slurm) return;
    const root = await workDir(t, slurm, 'sigterm');
    // Someone else's job: a comment of the same form, another run id.
    const foreign = await slurmCommand(slurm, 'sbatch', [
      '--parsable',
      `--comment=madengine-run=foreign-${process.pid}`,
      '-J',
      'foreign-sleeper',
      '-o',
      '/dev/null',
      '--wrap',
      'sleep 300',
    ]);
    assert.equal(foreign.exitCode, 0, foreign.stderr);
    const foreignId = foreign.stdout.trim().split(';')[0]!;
    t.after(() => cancelAll(slurm, [foreignId]));

    const hub = await scratchHub(root, [
      { name: 'sleeper_a', script: 'sleep 200' },
      { name: 'sleeper_b', script: 'sleep 200' },
    ]);
    // max_parallel 1: task 0 runs, task 1 pends behind it (JobArrayTaskLimit).
    const cli = startCli(
      [
        'run',
        '--hub',
        hub,
        '--tags',
        'sleeper_a,sleeper_b',
        '-o',
        path.join(root, 'perf.csv'),
        '-c',
        '{"deploy": "slurm", "executor": "host", "slurm": {"max_parallel": 1}}',
      ],
      { cwd: root, env: slurm.env },
    );
    t.after(() => {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    });
    await waitForJobs(
      slurm,
      root,
      (jobs) => jobs.some((j) => /_0$/.test(j.id) && j.state === 'RUNNING') && jobs.some((j) => j.state === 'PENDING'),
      'task 0 RUNNING and task 1 PENDING',
    );
    const [runId] = await runIdsIn(path.join(root, 'slurm_results'));
    assert.ok(runId);
    assert.ok((await activeRunJobs(slurm, runId)).length > 0, 'squeue lists the run by its comment');

    cli.child.kill('SIGTERM');
    const result = await cli.done;
    assert.notEqual(result.code, 0, `the CLI exits non-zero after SIGTERM:\n${result.stdout}\n${result.stderr}`);

    // Nothing of ours is left pending or running; what remains is on its way out.
    const left = await activeRunJobs(slurm, runId);
    assert.deepEqual(
      left.filter((j) => j.state === 'PENDING' || j.state === 'RUNNING'),
      [],
      `squeue after the CLI exited: ${JSON.stringify(left)}`,
    );
    await waitForJobs(slurm, root, (jobs) => jobs.every((j) => j.state === 'CANCELLED'), 'every job of the run CANCELLED');
    const foreignNow = await slurmCommand(slurm, 'squeue', ['-h', '-j', foreignId, '-o', '%T']);
    assert.match(foreignNow.stdout.trim(), /^(RUNNING|PENDING)$/, 'the foreign job is still there');

    const { rows } = await readPerfCsv(path.join(root, 'perf.csv'));
    assert.deepEqual(rows.map((r) => [r.model, r.status, r.deployment_type, r.run_id]).sort(), [
      ['sleeper_a', 'FAILURE', 'slurm', runId],
      ['sleeper_b', 'FAILURE', 'slurm', runId],
    ]);
    for (const row of rows) assert.match(row.reason ?? '', /CANCELLED/, `${row.model}: ${row.reason}`);
  });
});
