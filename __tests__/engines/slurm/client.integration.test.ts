import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SlurmClient, SlurmJobInfo } from '../../../src/core/deploy/slurm/client.ts';
import { runComment } from '../../../src/core/deploy/slurm/client.ts';
import { waitForJobs } from '../../../src/core/deploy/slurm/wait.ts';
import { taskStatus } from '../../../src/core/deploy/slurm/states.ts';
import { ExitCode, SlurmError } from '../../../src/core/errors.ts';
import { slurmCli } from '../../../src/engines/slurm/client.ts';
import { requireSlurm } from '../../helpers/slurm.ts';

interface Cluster {
  client: SlurmClient;
  dir: string;
  /** Writes a batch script with these #SBATCH options and body; returns its path. */
  script(name: string, options: string[], body: string): Promise<string>;
  /** Submits and registers the job for scancel at the end of the test. */
  submit(file: string): Promise<string>;
}

async function cluster(t: TestContext): Promise<Cluster | undefined> {
  const slurm = await requireSlurm(t);
  if (!slurm) return undefined;
  const { env } = slurm;
  const client = slurmCli({ env });
  const dir = await mkdtemp(path.join(tmpdir(), 'madengine-slurm-client-'));
  const submitted: string[] = [];
  t.after(async () => {
    await client.cancel(submitted);
    await rm(dir, { recursive: true, force: true });
  });
  return {
    client,
    dir,
    async script(name, options, body) {
      const file = path.join(dir, `${name}.sh`);
      const header = [`--job-name=madengine-test-${name}`, `--output=${dir}/${name}_%A_%a.out`, ...options].map((o) => `#SBATCH ${o}`);
      await writeFile(file, ['#!/bin/bash', ...header, body, ''].join('\n'));
      return file;
    },
    async submit(file) {
      const id = await client.submit(file);
      submitted.push(id);
      return id;
    },
  };
}

const runId = (name: string): string => `itest-${name}-${process.pid}-${Date.now()}`;

/** Polls jobs() until `done` holds for the answer (bounded; the bound is not what the test asserts). */
async function until(client: SlurmClient, ids: string[], done: (jobs: SlurmJobInfo[]) => boolean): Promise<SlurmJobInfo[]> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const jobs = await client.jobs(ids);
    if (done(jobs)) return jobs;
    if (Date.now() > deadline) throw new Error(`jobs ${ids.join(',')} did not reach the awaited state: ${JSON.stringify(jobs)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test("testSubmit accepts a good script and shows sbatch's own message for an unknown partition; nothing is queued by it", async (t) => {
  const c = await cluster(t);
  if (!c) return;
  const good = await c.script('good', [], 'true');
  await c.client.testSubmit(good);
  const bad = await c.script('bad', ['--partition=nope-madengine'], 'true');
  await assert.rejects(c.client.testSubmit(bad), (error: unknown) => {
    assert.ok(error instanceof SlurmError);
    assert.equal(error.exitCode, ExitCode.INVALID_ARGS);
    assert.match(error.message, /invalid partition specified: nope-madengine/);
    assert.match(error.message, new RegExp(`^sbatch refused ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    return true;
  });
  await assert.rejects(c.client.submit(bad), /invalid partition specified: nope-madengine/);
});

test('an array of 3 tasks under %1: one task at a time, the others wait on JobArrayTaskLimit; all complete', async (t) => {
  const c = await cluster(t);
  if (!c) return;
  const id = await c.submit(await c.script('array', ['--array=0-2%1', `--comment=${runComment(runId('array'))}`], 'sleep 2'));
  const early = await until(c.client, [id], (jobs) => jobs.some((j) => j.state === 'RUNNING'));
  assert.deepEqual(early.map((j) => j.jobId).sort(), [`${id}_0`, `${id}_1`, `${id}_2`]);
  const waiting = early.filter((j) => j.state === 'PENDING');
  assert.equal(waiting.length, 2, JSON.stringify(early));
  assert.ok(
    waiting.every((j) => j.reason === 'JobArrayTaskLimit'),
    JSON.stringify(waiting),
  );
  let running = 0;
  let mostRunning = 0;
  const outcomes = await waitForJobs(c.client, [{ jobId: id, tasks: [0, 1, 2].map((index) => ({ index, model: `m${index}` })) }], {
    onProgress: (event) => {
      if (event.phase === 'running') mostRunning = Math.max(mostRunning, ++running);
      if (event.phase === 'ended') running--;
    },
  });
  assert.equal(mostRunning, 1);
  assert.deepEqual(
    outcomes.map((o) => [o.jobId, o.model, o.state]),
    [0, 1, 2].map((i) => [`${id}_${i}`, `m${i}`, 'COMPLETED']),
  );
  assert.ok(outcomes.every((o) => o.runSeconds !== undefined && o.queueSeconds !== undefined));
});

test('a job whose script exits 3 ends FAILED with "exit code 3"', async (t) => {
  const c = await cluster(t);
  if (!c) return;
  const id = await c.submit(await c.script('fail', [], 'exit 3'));
  const [outcome] = await waitForJobs(c.client, [{ jobId: id, tasks: [{ model: 'failing' }] }]);
  assert.deepEqual([outcome!.state, outcome!.reason], ['FAILED', 'FAILED: exit code 3']);
  const [info] = await c.client.jobs([id]);
  assert.deepEqual([info!.exitCode, info!.reason], ['3:0', 'NonZeroExitCode']);
});

test('a job over its time limit ends TIMEOUT with the limit in the reason', async (t) => {
  const c = await cluster(t);
  if (!c) return;
  const id = await c.submit(await c.script('timeout', ['--time=1'], 'sleep 600'));
  const [outcome] = await waitForJobs(c.client, [{ jobId: id, tasks: [{ model: 'slow' }] }]);
  assert.equal(outcome!.state, 'TIMEOUT');
  assert.equal(outcome!.reason, 'TIMEOUT: the job ran past its time limit (--time 1:00)');
  assert.ok(outcome!.runSeconds! >= 60, `ran ${outcome!.runSeconds} s`);
});

test('scancel of a pending job: CANCELLED before it started, with why it waited', async (t) => {
  const c = await cluster(t);
  if (!c) return;
  const id = await c.submit(await c.script('pending', ['--begin=now+1hour'], 'true'));
  const [pending] = await until(c.client, [id], (jobs) => jobs.length === 1);
  assert.deepEqual(taskStatus(pending!), { phase: 'queued', reason: 'waiting for its begin time (BeginTime)' });
  await c.client.cancel([id]);
  const [outcome] = await waitForJobs(c.client, [{ jobId: id, tasks: [{ model: 'waiting' }] }]);
  assert.deepEqual([outcome!.state, outcome!.reason], ['CANCELLED', 'CANCELLED before it started (it was waiting for its begin time (BeginTime))']);
  await c.client.cancel([id, '999999999']); // ended and unknown ids: no error
});

test("findRunJobs finds exactly this run's jobs (an array once); cancelling them leaves a foreign job running", async (t) => {
  const c = await cluster(t);
  if (!c) return;
  const ours = runId('ours');
  const array = await c.submit(await c.script('ours-array', ['--array=0-2%1', `--comment=${runComment(ours)}`], 'sleep 300'));
  const single = await c.submit(await c.script('ours-single', ['--begin=now+1hour', `--comment=${runComment(ours)}`], 'true'));
  // A foreign job: another run whose id starts like ours, and its comment has more after ours.
  const foreign = await c.submit(await c.script('foreign', [`--comment=${runComment(`${ours}0`)}`], 'sleep 300'));
  await until(c.client, [array], (jobs) => jobs.some((j) => j.state === 'RUNNING'));
  assert.deepEqual((await c.client.findRunJobs(ours)).sort(), [array, single].sort());
  await c.client.cancel(await c.client.findRunJobs(ours));
  const ended = await until(c.client, [array, single], (jobs) => jobs.length === 4 && jobs.every((j) => taskStatus(j).phase === 'ended'));
  assert.ok(
    ended.every((j) => j.state === 'CANCELLED'),
    JSON.stringify(ended.map((j) => [j.jobId, j.state])),
  );
  assert.deepEqual(await c.client.findRunJobs(ours), []);
  const [other] = await c.client.jobs([foreign]);
  assert.ok(other && ['PENDING', 'RUNNING'].includes(other.state), `the foreign job is ${other?.state}`);
});
