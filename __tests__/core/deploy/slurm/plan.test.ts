import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../../src/core/errors.ts';
import { modelSlug, planSlurmJobs, slurmDirectories } from '../../../../src/core/deploy/slurm/plan.ts';
import { planInput } from './plan-fixture.ts';

const sweep = [
  { name: 'dummy' },
  { name: 'dummy_2' },
  { name: 'org/model:tag' },
  { name: 'big', launch: { launcher: 'torchrun' as const, nnodes: 2, nprocPerNode: 8 } },
  { name: 'disagg', scripts: 'scripts/disagg/run.slurm', launch: { nnodes: 3 } },
];

describe('planSlurmJobs', () => {
  it('an array of the one-node models, a job per multi-node model, a wrapper job per slurm_multi model', () => {
    const plan = planSlurmJobs(planInput(sweep, { slurm: { partition: 'gpu', max_parallel: 2 } }));
    assert.deepEqual(
      plan.jobs.map((job) => [job.key.replace(/-[0-9a-f]{8}$/, ''), job.kind, job.models]),
      [
        ['array', 'array', ['dummy', 'dummy_2', 'org/model:tag']],
        ['big', 'multi-task', ['big']],
        ['disagg', 'slurm_multi', ['disagg']],
      ],
    );
    const [array, big, disagg] = plan.jobs;
    assert.match(array!.script, /^#SBATCH --array=0-2%2$/m);
    assert.match(array!.script, /^#SBATCH --partition=gpu$/m);
    assert.match(array!.script, /^#SBATCH --comment=madengine-run=run12345-abcd$/m);
    assert.match(array!.script, /^#SBATCH --job-name=madengine-run12345-array$/m);
    assert.match(big!.script, /^#SBATCH --nodes=2$/m);
    assert.match(big!.script, /^#SBATCH --gpus-per-node=8$/m);
    assert.match(big!.script, /^srun /m);
    assert.equal(plan.files.length, 1);
    assert.equal(plan.files[0]!.path, `/shared/slurm_results/run12345-abcd/jobs/${big!.key}.task.sh`);
    assert.match(disagg!.script, /^bash '\.\/run\.slurm'$/m);
    assert.deepEqual(
      plan.models.map((m) => [m.name, m.job === array!.key ? 'array' : m.job, m.task, m.ranks]),
      [
        ['dummy', 'array', 0, 1],
        ['dummy_2', 'array', 1, 1],
        ['org/model:tag', 'array', 2, 1],
        ['big', big!.key, undefined, 2],
        ['disagg', disagg!.key, undefined, 1],
      ],
    );
    assert.equal(array!.scriptPath, '/shared/slurm_results/run12345-abcd/jobs/array.sh');
    assert.equal(plan.bundlePath, '/shared/slurm_results/run12345-abcd/madengine.mjs');
  });

  it('no %N when max_parallel is not below the array size; no partition, --time or --gpus-per-node unless asked', () => {
    const plan = planSlurmJobs(
      planInput(
        [
          { name: 'a', n_gpus: '-1' },
          { name: 'b', n_gpus: '-1' },
        ],
        { slurm: { max_parallel: 5 } },
      ),
    );
    const script = plan.jobs[0]!.script;
    assert.match(script, /^#SBATCH --array=0-1$/m);
    assert.doesNotMatch(script, /^#SBATCH --(partition|time|gpus-per-node|exclusive)/m);
  });

  it('models asking for different GPU counts get one array each', () => {
    const plan = planSlurmJobs(
      planInput([
        { name: 'a', n_gpus: '1' },
        { name: 'b', n_gpus: '2' },
        { name: 'c', n_gpus: '1' },
      ]),
    );
    assert.deepEqual(
      plan.jobs.map((job) => [job.key, job.models]),
      [
        ['array-1gpu', ['a', 'c']],
        ['array-2gpu', ['b']],
      ],
    );
    assert.match(plan.jobs[1]!.script, /^#SBATCH --gpus-per-node=2$/m);
  });

  it('slurm.gpus_per_node wins over the model; -1 asks for no GPU', () => {
    assert.match(planSlurmJobs(planInput([{ name: 'a', n_gpus: '1' }], { slurm: { gpus_per_node: 4 } })).jobs[0]!.script, /--gpus-per-node=4/);
    assert.doesNotMatch(planSlurmJobs(planInput([{ name: 'a', n_gpus: '1' }], { slurm: { gpus_per_node: -1 } })).jobs[0]!.script, /--gpus-per-node/);
  });

  it('ntasks_per_node > 1 makes a multi-task job of a one-node model', () => {
    const plan = planSlurmJobs(planInput([{ name: 'a' }], { slurm: { ntasks_per_node: 2 } }));
    assert.equal(plan.jobs[0]!.kind, 'multi-task');
    assert.match(plan.jobs[0]!.script, /^#SBATCH --ntasks-per-node=2$/m);
    assert.equal(plan.models[0]!.ranks, 2);
  });

  it('one node manifest per model: only its entry, a local context without cluster sections, the static env in docker_env_vars', () => {
    const plan = planSlurmJobs(
      planInput([{ name: 'a', launch: { launcher: 'vllm', env: { FOO: 'bar', MIOPEN_USER_DB_PATH: '/x', MAD_SECRETS_TOKEN: 'hunter22' } } }, { name: 'b' }], {
        deploy: 'slurm',
        slurm: { partition: 'gpu', gpus_per_node: 2 },
        k8s: { namespace: 'x' },
        docker_env_vars: { KEEP: '1' },
        env_vars: { FOO: 'bar' },
      }),
    );
    assert.equal(plan.nodeManifests.length, 2);
    assert.match(plan.nodeManifests[0]!.path, /\/manifests\/0-a-[0-9a-f]{8}\.json$/);
    const manifest = JSON.parse(plan.nodeManifests[0]!.json) as { built_models: object; context: Record<string, unknown> };
    assert.deepEqual(Object.keys(manifest.built_models), ['ci-a_dummy.ubuntu.amd']);
    assert.equal(manifest.context.deploy, 'local');
    assert.equal(manifest.context.slurm, undefined);
    assert.equal(manifest.context.k8s, undefined);
    assert.equal(manifest.context.gpus_per_node, 2);
    assert.deepEqual(manifest.context.docker_env_vars, {
      KEEP: '1',
      VLLM_TENSOR_PARALLEL_SIZE: '2',
      VLLM_PIPELINE_PARALLEL_SIZE: '1',
      VLLM_DISTRIBUTED_BACKEND: 'auto',
      FOO: 'bar',
    });
    assert.ok(!plan.nodeManifests[0]!.json.includes('hunter22'));
    assert.ok(!plan.jobs[0]!.script.includes('hunter22'));
    assert.match(plan.warnings.join('\n'), /MAD_SECRETS_TOKEN is left out/);
  });

  it('slugs are file-safe and unique per manifest key', () => {
    assert.match(modelSlug('org/Model:v1 x', 'k1'), /^org-model-v1-x-[0-9a-f]{8}$/);
    assert.notEqual(modelSlug('m', 'k1'), modelSlug('m', 'k2'));
    const plan = planSlurmJobs(
      planInput([
        { key: 'k1', name: 'same' },
        { key: 'k2', name: 'same' },
      ]),
    );
    assert.equal(new Set(plan.models.map((m) => m.slug)).size, 2);
    assert.match(modelSlug('///', 'k'), /^model-[0-9a-f]{8}$/);
  });

  it('directories: slurm_results beside the perf.csv by default; results under the job dir unless results_dir is given', () => {
    assert.deepEqual(slurmDirectories({}, 'out/perf.csv', '/work'), { outputDir: '/work/out/slurm_results' });
    assert.deepEqual(slurmDirectories({ outputDir: 'o', resultsDir: '/r' }, 'perf.csv', '/work'), { outputDir: '/work/o', resultsDir: '/r' });
    const plan = planSlurmJobs(planInput([{ name: 'a' }], {}, { resultsDir: '/results' }));
    assert.match(plan.models[0]!.resultsDir, /^\/results\/run12345-abcd\/a-[0-9a-f]{8}$/);
    assert.equal(planSlurmJobs(planInput([{ name: 'a' }])).resultsDir, '/shared/slurm_results/run12345-abcd/results');
  });

  it('bad input is a ConfigError before anything is rendered', () => {
    assert.throws(() => planSlurmJobs(planInput([{ name: 'a' }], {}, { runId: 'a b' })), /run id "a b"/);
    assert.throws(() => planSlurmJobs(planInput([{ name: 'a' }], {}, { outputDir: 'relative' })), /expected an absolute path/);
    assert.throws(() => planSlurmJobs(planInput([{ name: 'a' }], { slurm: { partition: 'a b' } })), ConfigError);
    assert.throws(() => planSlurmJobs(planInput([{ name: 'a', launch: { launcher: 'sglang-disagg', nnodes: 2 } }])), /at least 3 nodes/);
    assert.throws(() => planSlurmJobs(planInput([{ name: 'm', scripts: 'scripts/x/run.slurm', args: "'open" }])), /model m: args: unterminated/);
  });

  it('the slurm section stored in the manifest applies when the context has none', () => {
    const input = planInput([{ name: 'a' }]);
    input.manifest.deployment_config = { target: 'slurm', slurm: { partition: 'stored' } };
    assert.match(planSlurmJobs(input).jobs[0]!.script, /^#SBATCH --partition=stored$/m);
  });
});
