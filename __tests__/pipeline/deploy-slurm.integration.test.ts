/**
 * `madengine run ... -c '{"deploy": "slurm", ...}'` end to end on the real SLURM of scripts/test-infra.sh
 * (issue 11's acceptance): the CLI from its sources submits, each node (this machine) runs the committed
 * dist/cli/madengine.mjs, and the collected rows land in the output perf.csv. Every test works in its own
 * temp dir and cancels whatever it submitted (found by its scripts' paths) before it ends.
 */
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { readPerfCsv } from '../helpers/csv.ts';
import { requireInfra } from '../helpers/infra.ts';
import { requireSlurm, type SlurmInfra } from '../helpers/slurm.ts';
import { cancelJobsUnder, exampleHub, filesText, jobsUnder, runCli, runIdsIn, scratchDir, scratchHub } from '../helpers/deploy-slurm.ts';
import type { PerfRow } from '../../src/core/perf/perf-csv.ts';

/** A temp dir for the test, whose jobs are cancelled and files removed when it ends. */
async function workDir(t: TestContext, slurm: SlurmInfra, name: string): Promise<string> {
  const root = await scratchDir(name);
  t.after(async () => {
    await cancelJobsUnder(slurm, root);
    await rm(root, { recursive: true, force: true });
  });
  return root;
}

/** `madengine run --hub <hub> <args> -o <root>/perf.csv` in `root`; fails the test with the CLI's output unless it exits `expectedCode`. */
async function deploy(slurm: SlurmInfra, root: string, hub: string, args: readonly string[], expectedCode = 0) {
  const result = await runCli(['run', '--hub', hub, '-o', path.join(root, 'perf.csv'), ...args], { cwd: root, env: slurm.env });
  assert.equal(result.code, expectedCode, `madengine run exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  const runIds = await runIdsIn(path.join(root, 'slurm_results'));
  assert.equal(runIds.length, 1, `one job dir per run: ${runIds.join(', ')}`);
  const runId = runIds[0]!;
  const { rows } = await readPerfCsv(path.join(root, 'perf.csv'));
  return { ...result, runId, rows, jobDir: path.join(root, 'slurm_results', runId) };
}

function rowOf(rows: readonly PerfRow[], model: string): PerfRow {
  const row = rows.find((r) => r.model === model);
  assert.ok(row, `no perf.csv row for ${model}: ${JSON.stringify(rows.map((r) => r.model))}`);
  return row;
}

/** The two example models as one job array: the rows carry the array's task ids, the models' numbers and the run's id. */
async function checkTwoModelArray(slurm: SlurmInfra, root: string, executor: 'host' | 'docker'): Promise<void> {
  const run = await deploy(slurm, root, exampleHub, ['--tags', 'dummy,dummy_fp16', '-c', JSON.stringify({ deploy: 'slurm', executor })]);
  assert.deepEqual(
    run.rows.map((r) => [r.model, r.status, r.performance, r.metric, r.deployment_type, r.executor, r.run_id, r.nnodes]),
    [
      ['dummy', 'SUCCESS', '42.5', 'samples_per_second', 'slurm', executor, run.runId, '1'],
      ['dummy_fp16', 'SUCCESS', '85.0', 'samples_per_second', 'slurm', executor, run.runId, '1'],
    ],
  );
  const [first, second] = run.rows.map((r) => r.job_id ?? '');
  const arrayId = /^(\d+)_0$/.exec(first!)?.[1];
  assert.ok(arrayId, `job_id of the first model is <array>_0: ${first}`);
  assert.equal(second, `${arrayId}_1`, 'both models are tasks of one array');
  // The controller knows those tasks as this run's (comment) and as our scripts.
  const jobs = await jobsUnder(slurm, root);
  assert.deepEqual(jobs.map((j) => j.id).sort(), [`${arrayId}_0`, `${arrayId}_1`]);
  for (const job of jobs) assert.equal(job.comment, `madengine-run=${run.runId}`);
  assert.match(run.stdout + run.stderr, /2 succeeded, 0 failed/);
}

describe('deploy to SLURM: runs', () => {
  it('a two-model array on the example hub, host executor: one row per model from its array task', async (t) => {
    const slurm = await requireSlurm(t);
    if (!slurm) return;
    await checkTwoModelArray(slurm, await workDir(t, slurm, 'host-array'), 'host');
  });

  it('the same with the docker executor: built here, run in containers on the node', async (t) => {
    const slurm = await requireSlurm(t);
    if (!slurm || !(await requireInfra(t, { registries: false }))) return;
    await checkTwoModelArray(slurm, await workDir(t, slurm, 'docker-array'), 'docker');
  });

  it('a failing model is a FAILURE row with a reason; the other model of the array succeeds', async (t) => {
    const slurm = await requireSlurm(t);
    if (!slurm) return;
    const root = await workDir(t, slurm, 'failing');
    const hub = await scratchHub(root, [{ name: 'fails', script: 'echo "about to fail"\nexit 1' }]);
    const run = await deploy(slurm, root, hub, ['--tags', 'dummy,fails', '-c', '{"deploy": "slurm", "executor": "host"}'], 3);
    const failed = rowOf(run.rows, 'fails');
    assert.equal(failed.status, 'FAILURE');
    // The SLURM end state and what the node's run said about the model.
    assert.match(failed.reason ?? '', /^FAILED: .*model script exited with status 1/);
    assert.equal(failed.deployment_type, 'slurm');
    assert.match(failed.job_id ?? '', /^\d+_1$/);
    const ok = rowOf(run.rows, 'dummy');
    assert.deepEqual([ok.status, ok.performance], ['SUCCESS', '42.5']);
    assert.match(run.stdout + run.stderr, /1 succeeded, 1 failed/);
  });

  it('slurm.ntasks_per_node 2 on one node: ranks 0 and 1 both run, each in its node dir, and the row aggregates them', async (t) => {
    const slurm = await requireSlurm(t);
    if (!slurm) return;
    const root = await workDir(t, slurm, 'ranks');
    const hub = await scratchHub(root, [
      {
        name: 'ranks',
        script:
          'echo "rank-env: RANK=${RANK:-unset} NODE_RANK=${NODE_RANK:-unset} WORLD_SIZE=${WORLD_SIZE:-unset}"\necho "performance: $((10 + RANK)) samples_per_second"',
      },
    ]);
    const run = await deploy(slurm, root, hub, ['--tags', 'ranks', '-c', JSON.stringify({ deploy: 'slurm', executor: 'host', slurm: { ntasks_per_node: 2 } })]);
    const results = path.join(run.jobDir, 'results');
    const [modelDir, ...others] = await readdir(results);
    assert.equal(others.length, 0);
    const nodeDirs = (await readdir(path.join(results, modelDir!))).sort();
    assert.deepEqual(nodeDirs, ['node_0', 'node_1']);
    const seen: string[] = [];
    for (const dir of nodeDirs) {
      assert.ok(existsSync(path.join(results, modelDir!, dir, 'perf.csv')), `${dir}/perf.csv`);
      const log = await filesText(path.join(results, modelDir!, dir), '.live.log');
      seen.push(/rank-env: (.*)/.exec(log)?.[1] ?? `nothing in ${dir}'s log`);
    }
    assert.deepEqual(seen, ['RANK=0 NODE_RANK=0 WORLD_SIZE=2', 'RANK=1 NODE_RANK=1 WORLD_SIZE=2']);
    // One row for the model: madengine's rule for a throughput metric is the sum over ranks (10 + 11).
    assert.equal(run.rows.length, 1, JSON.stringify(run.rows));
    const row = run.rows[0]!;
    assert.deepEqual([row.model, row.status, row.performance, row.deployment_type, row.nnodes], ['ranks', 'SUCCESS', '21', 'slurm', '1']);
    assert.match(row.job_id ?? '', /^\d+$/, 'a multi-task model is its own job');
  });

  // Each executor passes the value its own way (the container's environment, the host process's).
  for (const executor of ['host', 'docker'] as const) {
    it(`an env_vars value with $(...), backticks and quotes reaches the model verbatim and runs nothing (${executor} executor)`, async (t) => {
      const slurm = await requireSlurm(t);
      if (!slurm || (executor === 'docker' && !(await requireInfra(t, { registries: false })))) return;
      const root = await workDir(t, slurm, `hostile-${executor}`);
      const marker = path.join(root, 'pwned');
      const hostile = `$(touch ${marker}) \`touch ${marker}-bt\` 'single' "double" \${HOME} ; touch ${marker}-semi`;
      const hub = await scratchHub(root, [{ name: 'echoer', script: 'printf "hostile=[%s]\\n" "$HOSTILE"\necho "performance: 1 samples_per_second"' }]);
      const run = await deploy(slurm, root, hub, ['--tags', 'echoer', '-c', JSON.stringify({ deploy: 'slurm', executor, env_vars: { HOSTILE: hostile } })]);
      assert.equal(rowOf(run.rows, 'echoer').status, 'SUCCESS');
      const log = await filesText(path.join(run.jobDir, 'results'), '.live.log');
      assert.ok(log.includes(`hostile=[${hostile}]`), `the model printed: ${/hostile=.*/.exec(log)?.[0]}`);
      for (const file of [marker, `${marker}-bt`, `${marker}-semi`]) assert.equal(existsSync(file), false, `${file} was created`);
    });
  }

  it("a manifest built with the seed's deployment context deploys with `run --manifest-file` alone (dry run)", async (t) => {
    const slurm = await requireSlurm(t);
    if (!slurm || !(await requireInfra(t, { registries: false }))) return;
    const root = await workDir(t, slurm, 'manifest');
    const manifest = path.join(root, 'build_manifest.json');
    // The design documents' example, verbatim, on the example hub.
    const built = await runCli(
      [
        'build',
        '--hub',
        exampleHub,
        '--tags',
        'dummy',
        '-m',
        manifest,
        '--additional-context',
        `{
    "deploy": "slurm", "launcher": "vllm", "nnodes": 1, "nproc_per_node": 8,
    "vllm": {"tensor_parallel_size": 8, "enable_expert_parallel": true, "max_model_len": 32768},
    "slurm": {"partition": "gpu", "nodes": 1, "time_limit": 3600, "modules": ["rocm/5.7.0"]}}`,
      ],
      { cwd: root, env: slurm.env },
    );
    assert.equal(built.code, 0, built.stderr);
    const run = await runCli(['run', '--hub', exampleHub, '--manifest-file', manifest, '--dry-run'], { cwd: root, env: slurm.env });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    for (const line of [
      /^#SBATCH --partition=gpu$/m,
      /^#SBATCH --time=(0-)?0?1:00:00$/m,
      /^module load 'rocm\/5\.7\.0' /m,
      /^export MAD_LAUNCHER_TYPE='vllm'$/m,
      /^export VLLM_TENSOR_PARALLEL_SIZE='8'$/m,
      /^export VLLM_ENABLE_EXPERT_PARALLEL='1'$/m,
      /^export VLLM_MAX_MODEL_LEN='32768'$/m,
    ])
      assert.match(run.stdout, line);
    // A dry run submits nothing and writes no job dir.
    assert.deepEqual(await jobsUnder(slurm, root), []);
    assert.deepEqual(await runIdsIn(path.join(root, 'slurm_results')), []);
    assert.equal(existsSync(path.join(root, 'perf.csv')), false);
    const stored = JSON.parse(await readFile(manifest, 'utf8')) as { deployment_config?: { target?: string } };
    assert.equal(stored.deployment_config?.target, 'slurm');
  });
});
