/**
 * deploy-slurm through the runner protocol: the committed bundle under Node 24 with INPUT_* env and the
 * runner's command files, against the real SLURM of scripts/test-infra.sh and the example hub (host
 * executor, so the nodes need no images), uploads to the local results-service fake. The post step runs
 * as a runner runs it after a killed main step: the same bundle with the saved STATE_* env.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runActionBundle, type ActionRun, type RunActionOptions } from '../helpers/action-runner.ts';
import { startResultsService, type ResultsService } from '../helpers/results-service.ts';
import { activeJobs, cancelAll, requireSlurm, slurmCommand, waitUntilGone, type SlurmInfra } from '../helpers/slurm.ts';
import { repoRoot } from '../helpers/node.ts';
import { parseCsv } from '../helpers/csv.ts';

let service: ResultsService;
let work: string;
/** Every job id a test saw submitted (and the foreign one): cancelled at the end, whatever happened. */
const ours = new Set<string>();
let cluster: SlurmInfra | undefined;

before(async () => {
  service = await startResultsService({ runId: '4242', jobId: '7' });
  work = await mkdtemp(path.join(tmpdir(), 'madengine-deploy-slurm-'));
});
after(async () => {
  await service.close();
  if (cluster) await cancelAll(cluster, [...ours]);
  await rm(work, { recursive: true, force: true });
});

/** A workspace holding a copy of the example hub, plus the extra models a test needs (host executor: no images). */
async function workspaceWithHub(name: string, extra: { name: string; script: string }[] = []): Promise<string> {
  const dir = path.join(work, name);
  await cp(path.join(repoRoot, 'examples/mad'), path.join(dir, 'hub'), { recursive: true });
  const models = JSON.parse(await readFile(path.join(dir, 'hub/models.json'), 'utf8')) as object[];
  for (const model of extra) {
    const script = `scripts/dummy/${model.name}.sh`;
    models.push({ name: model.name, dockerfile: 'docker/dummy', scripts: script, n_gpus: '0', tags: [model.name], args: '' });
    await writeFile(path.join(dir, 'hub', script), model.script);
  }
  await writeFile(path.join(dir, 'hub/models.json'), JSON.stringify(models));
  return dir;
}

async function perfRows(file: string): Promise<Record<string, string>[]> {
  const [header, ...rows] = parseCsv(await readFile(file, 'utf8'));
  return rows.map((row) => Object.fromEntries(header!.map((name, i) => [name, row[i] ?? ''])));
}

const context = (slurm: SlurmInfra, extra: object = {}): string =>
  JSON.stringify({ executor: 'host', slurm: { partition: slurm.partition, time: '5' }, ...extra });

/** The action on the test SLURM; every job id it reports submitting is recorded for the clean-up. */
async function deploy(slurm: SlurmInfra, ws: string, options: RunActionOptions): Promise<ActionRun> {
  const run = await runActionBundle('deploy-slurm', {
    workspace: ws,
    ...options,
    env: { SLURM_CONF: slurm.conf, ...service.env, ...options.env },
    onStdout: (text) => {
      for (const match of text.matchAll(/as SLURM job (\d+)/g)) ours.add(match[1]!);
      options.onStdout?.(text);
    },
  });
  for (const id of (run.outputs['job-ids'] ?? '').split(' ').filter(Boolean)) ours.add(id);
  return run;
}

/** Jobs in the queue (any state) whose comment names this run: `squeue` lists their ids. */
async function queuedJobsOfRun(slurm: SlurmInfra, runId: string): Promise<string[]> {
  const result = await slurmCommand(slurm, 'squeue', ['-h', '-o', '%i %k']);
  assert.equal(result.exitCode, 0, result.stderr);
  return result.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, comment]) => comment === `madengine-run=${runId}`)
    .map(([id]) => id!);
}

test('two models as one job array: outputs, cluster rows in perf.csv, a summary with queue and run times, the artifact', async (t) => {
  const slurm = (cluster = await requireSlurm(t));
  if (!slurm) return;
  const ws = await workspaceWithHub('array');
  const run = await deploy(slurm, ws, {
    inputs: { hub: 'hub', tags: 'dummy,dummy_fp16', 'additional-context': context(slurm), 'artifact-name': 'perf-slurm-cell' },
  });
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  assert.match(run.outputs['job-ids']!, /^\d+$/, 'one array job for the two single-node models');
  const jobId = run.outputs['job-ids']!;
  assert.equal(run.outputs.succeeded, '2');
  assert.equal(run.outputs.failed, '0');
  assert.equal(run.outputs['perf-csv'], path.join(ws, 'perf.csv'));
  assert.equal(run.outputs['artifact-name'], 'perf-slurm-cell');
  assert.ok(service.artifacts().some((a) => a.name === 'perf-slurm-cell' && a.files?.includes('perf.csv')));

  const rows = await perfRows(run.outputs['perf-csv']!);
  assert.deepEqual(
    rows.map((r) => [r.model, r.status, r.performance, r.deployment_type, r.job_id]).sort(),
    [
      ['dummy', 'SUCCESS', '42.5', 'slurm', `${jobId}_0`],
      ['dummy_fp16', 'SUCCESS', '85.0', 'slurm', `${jobId}_1`],
    ].sort(),
  );
  assert.ok(
    rows.every((r) => r.run_id === run.state['run-id']),
    'the rows carry the deployment run id the post step would cancel by',
  );

  assert.match(run.summary, /madengine deploy-slurm: 2 succeeded, 0 failed \(jobs \d+\)/);
  assert.match(run.summary, /<th>Queued \(s\)<\/th><th>Ran \(s\)<\/th>/);
  // Each model's row: its task id, its end state, then whole seconds in the queue and running.
  for (const [model, task] of [
    ['dummy', 0],
    ['dummy_fp16', 1],
  ] as const)
    assert.match(run.summary, new RegExp(`<td>${model}</td><td>${jobId}_${task}</td><td>COMPLETED</td><td>\\d+</td><td>\\d+</td><td>SUCCESS</td>`));
});

test('dry-run: true prints every script and submits nothing', async (t) => {
  const slurm = (cluster = await requireSlurm(t));
  if (!slurm) return;
  const ws = await workspaceWithHub('dry-run');
  const run = await deploy(slurm, ws, {
    inputs: { hub: 'hub', tags: 'dummy,dummy_fp16', 'dry-run': 'true', 'additional-context': context(slurm), 'upload-artifact': 'false' },
  });
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /# dry run: 1 SLURM job\(s\) for 2 model\(s\); nothing is written or submitted/);
  assert.match(run.stdout, /^#SBATCH --array=0-1$/m);
  assert.match(run.stdout, new RegExp(`^#SBATCH --partition=${slurm.partition}$`, 'm'));
  assert.match(run.stdout, /dry run: nothing was submitted/);
  assert.equal(run.outputs['job-ids'], '');
  assert.equal(run.outputs.failed, '0');
  assert.doesNotMatch(run.stdout, /submitted .* as SLURM job/);
  const runId = /madengine-run=([\w.-]+)/.exec(run.stdout)?.[1];
  assert.ok(runId, 'the printed script carries the run id in its comment');
  assert.deepEqual(await queuedJobsOfRun(slurm, runId), [], 'squeue lists nothing of the run');
  assert.ok(!existsSync(path.join(ws, 'perf.csv')) && !existsSync(path.join(ws, 'slurm_results')), 'a dry run writes nothing');
  // Nothing can have been submitted: the post step has no run to cancel (and needs no SLURM commands).
  assert.ok(!run.state['run-id'], JSON.stringify(run.state));
});

const SLURM_COMMANDS = new Set(['sbatch', 'squeue', 'scontrol', 'scancel', 'srun', 'sinfo', 'salloc', 'sacct']);

/** A PATH of one directory linking every command of this PATH but SLURM's: a runner that is no login node. */
async function pathWithoutSlurm(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const linked = new Set<string>();
  for (const entry of (process.env.PATH ?? '').split(path.delimiter)) {
    const names = await readdir(entry).catch(() => [] as string[]);
    for (const name of names) {
      if (SLURM_COMMANDS.has(name) || linked.has(name)) continue;
      linked.add(name);
      await symlink(path.join(entry, name), path.join(dir, name));
    }
  }
  return dir;
}

test('dry-run needs no SLURM commands, and neither does its post step (a hosted runner stays green)', async (t) => {
  const slurm = (cluster = await requireSlurm(t));
  if (!slurm) return;
  const ws = await workspaceWithHub('dry-run-no-slurm');
  const env = { PATH: await pathWithoutSlurm(path.join(ws, 'bin')) };
  const inputs = { hub: 'hub', tags: 'dummies', 'dry-run': 'true', 'additional-context': context(slurm), 'upload-artifact': 'false' };
  const main = await deploy(slurm, ws, { env, inputs });
  assert.equal(main.exitCode, 0, main.stdout + main.stderr);
  assert.match(main.stdout, /# dry run: 1 SLURM job\(s\) for \d+ model\(s\)/);
  const post = await deploy(slurm, ws, { env, inputs, state: main.state });
  assert.equal(post.exitCode, 0, post.stdout + post.stderr);
  assert.doesNotMatch(post.stdout, /::error::/);
});

test('a failing model fails the step unless continue-on-failure', async (t) => {
  const slurm = (cluster = await requireSlurm(t));
  if (!slurm) return;
  const ws = await workspaceWithHub('failing', [{ name: 'boom', script: 'echo "Traceback (most recent call last):"\nexit 1\n' }]);
  const inputs = { hub: 'hub', tags: 'boom', 'additional-context': context(slurm), 'upload-artifact': 'false' };
  const failing = await deploy(slurm, ws, { inputs });
  assert.equal(failing.exitCode, 1, failing.stdout);
  assert.match(failing.stdout, /^::error::1 model\(s\) failed \(see the job summary and perf.csv\); set continue-on-failure: true/m);
  assert.equal(failing.outputs.failed, '1');
  assert.match(failing.outputs['job-ids']!, /^\d+$/, 'the job ids are reported on failure too');
  const rows = await perfRows(failing.outputs['perf-csv']!);
  assert.deepEqual(
    rows.map((r) => [r.model, r.status, r.deployment_type]),
    [['boom', 'FAILURE', 'slurm']],
  );

  const tolerant = await deploy(slurm, ws, { inputs: { ...inputs, 'continue-on-failure': 'true', output: 'second/perf.csv' } });
  assert.equal(tolerant.exitCode, 0, tolerant.stdout);
  assert.equal(tolerant.outputs.failed, '1');
  assert.equal(tolerant.outputs.succeeded, '0');
  assert.match(tolerant.summary, /<td>boom<\/td><td>\d+_0<\/td><td>FAILED<\/td>/);
});

test('bad additional-context fails with a clear message naming the input, before anything is submitted', async (t) => {
  const slurm = (cluster = await requireSlurm(t));
  if (!slurm) return;
  const ws = await workspaceWithHub('bad');
  const cases: [string, RegExp][] = [
    ['{"slurm": {"partition": ', /^::error::input 'additional-context'.*/m],
    [JSON.stringify({ executor: 'host', slurm: { partition: slurm.partition, nodes: 0 } }), /^::error::input 'additional-context': slurm\.nodes.*/m],
    // Checked when the plan is made (after discovery), still before any submission.
    [
      JSON.stringify({ executor: 'host', slurm: { partition: slurm.partition, time: 'soon' } }),
      /^::error::slurm\.time: got "soon", expected a SLURM time limit/m,
    ],
    [JSON.stringify({ deploy: 'local' }), /^::error::this step deploys to slurm, but the additional context asks for "deploy": "local"$/m],
    [JSON.stringify({ executor: 'host', slurm: { partition: 'no-such-partition' } }), /^::error::.*sbatch refused .*invalid partition/im],
  ];
  for (const [text, message] of cases) {
    const run = await deploy(slurm, ws, { inputs: { hub: 'hub', tags: 'dummy', 'additional-context': text, 'upload-artifact': 'false' } });
    assert.equal(run.exitCode, 1, text);
    assert.match(run.stdout, message, `${text}:\n${run.stdout}`);
    assert.doesNotMatch(run.stdout, /as SLURM job \d+/, `${text}: nothing was submitted`);
    if (run.state['run-id']) assert.deepEqual(await queuedJobsOfRun(slurm, run.state['run-id']), [], text);
  }
});

test("post step after a killed main step: the run's jobs leave the queue, a foreign job stays", { timeout: 180_000 }, async (t) => {
  const slurm = (cluster = await requireSlurm(t));
  if (!slurm) return;
  const ws = await workspaceWithHub('post', [{ name: 'sleeper', script: 'sleep 300\n' }]);
  const inputs = { hub: 'hub', tags: 'sleeper', 'additional-context': context(slurm), 'upload-artifact': 'false' };
  // SIGKILL once the job runs the model: the main step gets no chance to scancel anything.
  const main = await deploy(slurm, ws, { inputs, cancelWhen: /sleeper \(job \d+_0\): running/, cancelSignal: 'SIGKILL', killAfterMs: 120_000 });
  assert.equal(main.exitCode, null, `main was killed:\n${main.stdout}`);
  const runId = main.state['run-id'];
  assert.ok(runId, 'main saved its run id before submitting');
  const jobId = /submitted \S+ as SLURM job (\d+)/.exec(main.stdout)?.[1];
  assert.ok(jobId, main.stdout);
  assert.deepEqual(await activeJobs(slurm, [jobId]), [`${jobId}_0`], 'the job (its one array task) outlived its killed main step');

  // Another run's job under a comment that starts like ours: the post step must leave it alone.
  const foreign = await slurmCommand(slurm, 'sbatch', [
    '--parsable',
    `--partition=${slurm.partition}`,
    '--time=5',
    `--comment=madengine-run=${runId}-foreign`,
    `--output=${path.join(ws, 'foreign.out')}`,
    '--wrap=sleep 300',
  ]);
  assert.equal(foreign.exitCode, 0, foreign.stderr);
  const foreignId = foreign.stdout.trim().split(';')[0]!;
  ours.add(foreignId);

  const post = await deploy(slurm, ws, { inputs, state: { ...main.state, isPost: 'true' } });
  assert.equal(post.exitCode, 0, post.stdout + post.stderr);
  assert.match(post.stdout, new RegExp(`cancelling SLURM job\\(s\\) ${jobId}\\S* of run ${runId}`));
  await waitUntilGone(slurm, [jobId]);
  assert.deepEqual(await queuedJobsOfRun(slurm, runId), []);
  assert.deepEqual(await activeJobs(slurm, [foreignId]), [foreignId], 'the foreign job survives');
  await cancelAll(slurm, [foreignId]);

  // A second post step (a re-run) finds nothing left and succeeds.
  const again = await deploy(slurm, ws, { inputs, state: { ...main.state, isPost: 'true' } });
  assert.equal(again.exitCode, 0, again.stdout);
  assert.doesNotMatch(again.stdout, /cancelling SLURM job/);
});
