/**
 * The SLURM that scripts/test-infra.sh starts does what the deploy-slurm tests rely on: batch jobs end
 * COMPLETED in `scontrol show job -o`, arrays honour a %1 throttle, srun gives distinct ranks inside a batch
 * job, and the fake GPU GRES satisfies --gpus-per-node.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cancelAll, finishedJob, requireSlurm, slurmCommand, type SlurmInfra } from '../helpers/slurm.ts';

interface Cluster {
  slurm: SlurmInfra;
  work: string;
  submitted: string[];
}

/** A scratch dir the jobs write to, and teardown that cancels whatever the test submitted. */
async function cluster(t: TestContext): Promise<Cluster | undefined> {
  const slurm = await requireSlurm(t);
  if (!slurm) return undefined;
  const work = await mkdtemp(path.join(tmpdir(), 'madengine-slurm-'));
  const state: Cluster = { slurm, work, submitted: [] };
  t.after(async () => {
    await cancelAll(slurm, state.submitted);
    await rm(work, { recursive: true, force: true });
  });
  return state;
}

/** sbatch --parsable a script written into the work dir; returns the job id. */
async function submit(c: Cluster, name: string, body: string, options: string[] = []): Promise<string> {
  const script = path.join(c.work, `${name}.sh`);
  await writeFile(script, `#!/bin/bash\nset -eu\n${body}\n`, { mode: 0o755 });
  const args = ['--parsable', `--partition=${c.slurm.partition}`, `--chdir=${c.work}`, `--job-name=${name}`, ...options, script];
  const result = await slurmCommand(c.slurm, 'sbatch', args, c.work);
  assert.equal(result.exitCode, 0, `sbatch ${name}: ${result.stderr}`);
  const id = result.stdout.trim().split(';')[0]!;
  assert.match(id, /^\d+$/, `sbatch --parsable printed a job id, got '${result.stdout}'`);
  c.submitted.push(id);
  return id;
}

test('slurm: a batch job runs and ends COMPLETED in scontrol show job -o', async (t) => {
  const c = await cluster(t);
  if (!c) return;
  const id = await submit(c, 'tiny', 'echo "hello from $SLURM_JOB_ID"', ['--output=tiny_%j.out']);
  const [job, ...more] = await finishedJob(c.slurm, id);
  assert.equal(more.length, 0);
  assert.equal(job?.JobState, 'COMPLETED');
  assert.equal(job?.ExitCode, '0:0');
  assert.equal(job?.Partition, c.slurm.partition);
  assert.equal((await readFile(path.join(c.work, `tiny_${id}.out`), 'utf8')).trim(), `hello from ${id}`);
});

test('slurm: a job that exits 3 ends FAILED with ExitCode 3:0', async (t) => {
  const c = await cluster(t);
  if (!c) return;
  const id = await submit(c, 'fails', 'exit 3', ['--output=/dev/null']);
  const [job] = await finishedJob(c.slurm, id);
  assert.equal(job?.JobState, 'FAILED');
  assert.equal(job?.Reason, 'NonZeroExitCode');
  assert.equal(job?.ExitCode, '3:0');
});

test('slurm: an array with a %1 throttle runs every task, one at a time', async (t) => {
  const c = await cluster(t);
  if (!c) return;
  // mkdir is atomic: a task that finds the lock taken proves two tasks ran at once.
  const body = [
    'if ! mkdir running.lock 2>/dev/null; then echo "$SLURM_ARRAY_TASK_ID" >>overlap; fi',
    'echo "$SLURM_ARRAY_TASK_ID" >"done_$SLURM_ARRAY_TASK_ID"',
    'sleep 0.5',
    'rmdir running.lock 2>/dev/null || true',
  ].join('\n');
  const id = await submit(c, 'throttled', body, ['--array=0-2%1', '--output=/dev/null']);
  const tasks = await finishedJob(c.slurm, id);
  assert.deepEqual(tasks.map((task) => task.ArrayTaskId).sort(), ['0', '1', '2'], 'one scontrol line per task');
  for (const task of tasks) {
    assert.equal(task.JobState, 'COMPLETED', `task ${task.ArrayTaskId}`);
    assert.equal(task.ArrayJobId, id);
    assert.equal(task.ArrayTaskThrottle, '1');
  }
  for (const index of ['0', '1', '2']) assert.equal((await readFile(path.join(c.work, `done_${index}`), 'utf8')).trim(), index);
  await assert.rejects(readFile(path.join(c.work, 'overlap'), 'utf8'), { code: 'ENOENT' }, 'no two tasks overlapped');
});

test('slurm: srun --ntasks=2 inside a batch job gives ranks 0 and 1', async (t) => {
  const c = await cluster(t);
  if (!c) return;
  const id = await submit(c, 'ranks', 'srun bash -c \'echo "rank=$SLURM_PROCID of $SLURM_NTASKS"\'', ['--ntasks=2', '--output=ranks_%j.out']);
  const [job] = await finishedJob(c.slurm, id);
  assert.equal(job?.JobState, 'COMPLETED');
  assert.equal(job?.NumTasks, '2');
  const lines = (await readFile(path.join(c.work, `ranks_${id}.out`), 'utf8')).trim().split('\n').sort();
  assert.deepEqual(lines, ['rank=0 of 2', 'rank=1 of 2']);
});

test('slurm: --gpus-per-node=2 is granted from the fake GPU GRES', async (t) => {
  const c = await cluster(t);
  if (!c) return;
  const id = await submit(c, 'gpus', 'echo "gpus=${CUDA_VISIBLE_DEVICES:-none} per_node=${SLURM_GPUS_PER_NODE:-none}"', [
    '--gpus-per-node=2',
    '--output=gpus_%j.out',
  ]);
  const [job] = await finishedJob(c.slurm, id);
  assert.equal(job?.JobState, 'COMPLETED');
  assert.equal(job?.TresPerNode, 'gres:gpu:2');
  assert.equal((await readFile(path.join(c.work, `gpus_${id}.out`), 'utf8')).trim(), 'gpus=0,1 per_node=2');
});

test('slurm: sbatch --test-only rejects an unknown partition with sbatch’s own message', async (t) => {
  const c = await cluster(t);
  if (!c) return;
  const script = path.join(c.work, 'never.sh');
  await writeFile(script, '#!/bin/bash\ntrue\n', { mode: 0o755 });
  const bad = await slurmCommand(c.slurm, 'sbatch', ['--test-only', '--partition=nope', script], c.work);
  assert.notEqual(bad.exitCode, 0);
  assert.match(bad.stderr, /invalid partition specified: nope/);
  const good = await slurmCommand(c.slurm, 'sbatch', ['--test-only', `--partition=${c.slurm.partition}`, script], c.work);
  assert.equal(good.exitCode, 0, good.stderr);
  assert.match(good.stderr, new RegExp(`in partition ${c.slurm.partition}`));
});
