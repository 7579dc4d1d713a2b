/**
 * Every SLURM example of the design documents (the seed interface), verbatim, as a dry run of the CLI
 * on the fixture hub __tests__/fixtures/seed-hub (its models are named after the examples' tags): each
 * exits 0 and its printed scripts show what the example asks for. Needs no SLURM and no Docker: a dry
 * run of a docker-executor run plans the images instead of building them, and the examples' `build`
 * steps are planned the same way in-process (plannedManifest, as a build would store the context).
 * An example the scripts do not honour yet is a `todo` test with the expectation it should meet.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadAdditionalContext } from '../../src/core/context/load.ts';
import { plannedManifest } from '../../src/core/build/planned-manifest.ts';
import { planBuilds } from '../../src/core/images/plan.ts';
import { writeManifest } from '../../src/core/manifest/manifest.ts';
import { loadSelection } from '../../src/pipeline/load.ts';
import { cliFromSource, repoRoot } from '../helpers/node.ts';
import { memoryLogger } from '../helpers/logger.ts';

const HUB = path.join(repoRoot, '__tests__/fixtures/seed-hub');
const run = promisify(execFile);

let work: string;
before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'madengine-seed-dry-run-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** `madengine run --hub <seed hub> <args> --dry-run` from the sources in a fresh directory: its printed scripts. */
async function dryRun(args: readonly string[]): Promise<string> {
  const cwd = await mkdtemp(path.join(work, 'run-'));
  // The runner's own SLURM settings must not leak into what the examples render.
  const env = { ...process.env, SLURM_CONF: '/nonexistent/slurm.conf' };
  try {
    const { stdout } = await run(process.execPath, [...cliFromSource, 'run', '--hub', HUB, ...args, '--dry-run'], { cwd, env, maxBuffer: 32 << 20 });
    return stdout;
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    assert.fail(`dry run exited ${failed.code}:\n${failed.stderr}\n${failed.stdout}`);
  }
}

/** What `madengine build --tags <tags> -c <context>` would store, planned without Docker; returns the manifest's path. */
async function plannedBuild(tags: string, contextText: string): Promise<string> {
  const loaded = await loadAdditionalContext({ text: contextText });
  const selection = await loadSelection(HUB, [tags], memoryLogger());
  const manifest = plannedManifest(await planBuilds(selection.selected, { hubDir: HUB, context: loaded.context }), loaded.context);
  const file = path.join(await mkdtemp(path.join(work, 'build-')), 'build_manifest.json');
  await writeManifest(file, manifest);
  return file;
}

/** One `#SBATCH --<option>[=value]` line, exactly. */
function sbatchLine(option: string, value?: string): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^#SBATCH --${escape(option)}${value === undefined ? '' : `=${escape(value)}`}$`, 'm');
}

/** An `export NAME='value'` line of the rendered scripts. */
function exported(name: string, value: string): RegExp {
  return new RegExp(`^export ${name}='${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'$`, 'm');
}

/** The array task labels and model names of a printed array script. */
function modelNames(script: string): string[] {
  return [...script.matchAll(/^MODEL_NAME='([^']*)'$/gm)].map((m) => m[1]!);
}

/** The lines a failed expectation prints: the #SBATCH options, exports, module loads and the runner. */
function gist(out: string): string {
  return out
    .split('\n')
    .filter((line) => /^(#SBATCH|export [A-Z]|module load|madengine_runner|srun|"\$NODE")/.test(line))
    .join('\n');
}

function shows(out: string, pattern: RegExp): void {
  assert.ok(pattern.test(out), `the printed scripts lack ${pattern}; they have:\n${gist(out)}`);
}

function lacks(out: string, pattern: RegExp): void {
  assert.ok(!pattern.test(out), `the printed scripts have ${pattern}:\n${gist(out)}`);
}

describe('seed interface: the SLURM examples, verbatim, as dry runs', { concurrency: true }, () => {
  it(`run --tags bert '{"deploy": "slurm", "slurm": {"partition": "gpu"}}'`, async () => {
    const out = await dryRun(['--tags', 'bert', '--additional-context', '{"deploy": "slurm", "slurm": {"partition": "gpu"}}']);
    shows(out, /^# dry run: 1 SLURM job\(s\) for 1 model\(s\)/m);
    shows(out, sbatchLine('partition', 'gpu'));
    shows(out, sbatchLine('array', '0-0'));
    shows(out, sbatchLine('nodes', '1'));
    // The model asks for 8 GPUs (n_gpus).
    shows(out, sbatchLine('gpus-per-node', '8'));
    assert.deepEqual(modelNames(out), ['bert']);
  });

  it(`run --tags models '{"deploy": "slurm"}' (defaults for everything else)`, async () => {
    const out = await dryRun(['--tags', 'models', '--additional-context', '{"deploy": "slurm"}']);
    // Every model of the tag in one array, one task each; no partition or time limit unless asked for.
    shows(out, /^# dry run: 1 SLURM job\(s\) for 10 model\(s\)/m);
    shows(out, sbatchLine('array', '0-9'));
    lacks(out, /^#SBATCH --partition=/m);
    lacks(out, /^#SBATCH --time=/m);
    assert.deepEqual(
      modelNames(out).sort(),
      [
        'bert',
        'bert_training',
        'dummy',
        'llama',
        'llama_serving',
        'models_a',
        'pyt_bert_training',
        'pyt_megatron_lm',
        'pyt_megatron_lm_train_llama2_7b',
        'vllm_deepseek_r1',
      ].sort(),
    );
  });

  it('build --tags bert_training ... then run --manifest-file with launcher torchrun, nnodes 4, nproc_per_node 8, modules', async () => {
    // madengine-cli build --tags bert_training --registry your-registry --additional-context '{"gpu_vendor": "AMD", "guest_os": "UBUNTU"}'
    const manifest = await plannedBuild('bert_training', '{"gpu_vendor": "AMD", "guest_os": "UBUNTU"}');
    const out = await dryRun([
      '--manifest-file',
      manifest,
      '--additional-context',
      `{
    "deploy": "slurm", "launcher": "torchrun", "nnodes": 4, "nproc_per_node": 8,
    "slurm": {"partition": "gpu", "modules": ["rocm/5.7.0"]}}`,
    ]);
    shows(out, sbatchLine('partition', 'gpu'));
    shows(out, sbatchLine('nodes', '4'));
    shows(out, /^module load 'rocm\/5\.7\.0' /m);
    shows(out, exported('MAD_LAUNCHER_TYPE', 'torchrun'));
    shows(out, exported('NNODES', '4'));
    shows(out, exported('NPROC_PER_NODE', '8'));
    shows(out, /'torchrun --nnodes=4 --nproc_per_node=8 --node_rank='"\$NODE_RANK"' --master_addr='"\$MASTER_ADDR"' --master_port=29500'/);
    assert.deepEqual(modelNames(out), ['bert_training']);
  });

  const bertTraining = `{
    "deploy": "slurm",
    "slurm": {"partition": "gpu", "nodes": 4, "gpus_per_node": 8, "time": "24:00:00", "exclusive": true, "qos": "normal"},
    "distributed": {"backend": "torchrun", "master_port": 29500, "nccl_socket_ifname": "ens14np0"},
    "shared_storage": "/nfs/datasets"}`;

  it('run --tags pyt_bert_training with slurm nodes/gpus/time/exclusive/qos and distributed backend torchrun', async () => {
    const out = await dryRun(['--tags', 'pyt_bert_training', '--additional-context', bertTraining]);
    for (const [option, value] of [
      ['partition', 'gpu'],
      ['nodes', '4'],
      ['gpus-per-node', '8'],
      ['time', '24:00:00'],
      ['exclusive', undefined],
      ['qos', 'normal'],
    ] as const)
      shows(out, sbatchLine(option, value));
    shows(out, exported('MAD_LAUNCHER_TYPE', 'torchrun'));
    shows(out, exported('MASTER_PORT', '29500'));
    shows(out, exported('NCCL_SOCKET_IFNAME', 'ens14np0'));
    shows(out, /'torchrun --nnodes=4 --nproc_per_node=8 --node_rank=/);
    // The multi-node job runs one rank per node through srun.
    shows(out, /^srun .* bash '[^']*\.task\.sh'$/m);
  });

  it(
    'pyt_bert_training: shared_storage (= shared_data) reaches the node run',
    { todo: 'shared_storage / shared_data are not applied by the SLURM scripts yet' },
    async () => {
      const out = await dryRun(['--tags', 'pyt_bert_training', '--additional-context', bertTraining]);
      // madengine passes shared_data to each node's run as --force-mirror-local <dir> (compat §4.1).
      shows(out, /--force-mirror-local '\/nfs\/datasets'/);
    },
  );

  it('run --tags pyt_megatron_lm with slurm nodes 4, gpus 8 and distributed backend torchrun', async () => {
    const out = await dryRun([
      '--tags',
      'pyt_megatron_lm',
      '--additional-context',
      `{"deploy": "slurm",
    "slurm": {"partition": "gpu", "nodes": 4, "gpus_per_node": 8}, "distributed": {"backend": "torchrun"}}`,
    ]);
    shows(out, sbatchLine('partition', 'gpu'));
    shows(out, sbatchLine('nodes', '4'));
    shows(out, sbatchLine('gpus-per-node', '8'));
    shows(out, exported('MAD_LAUNCHER_TYPE', 'torchrun'));
    shows(out, /'torchrun --nnodes=4 --nproc_per_node=8 --node_rank=/);
  });

  const llama2 = `{
    "deploy": "slurm",
    "slurm": {"partition": "gpu", "nodes": 4, "gpus_per_node": 8, "time": "24:00:00", "exclusive": true},
    "multi_node_args": {"RUNNER": "torchrun", "MASTER_PORT": "29500", "NCCL_SOCKET_IFNAME": "ens14np0", "GLOO_SOCKET_IFNAME": "ens14np0"},
    "shared_data": "/nfs/data"}`;

  it('run --tags pyt_megatron_lm_train_llama2_7b with multi_node_args (madengine v1 names)', async () => {
    const out = await dryRun(['--tags', 'pyt_megatron_lm_train_llama2_7b', '--additional-context', llama2]);
    shows(out, sbatchLine('partition', 'gpu'));
    shows(out, sbatchLine('nodes', '4'));
    shows(out, sbatchLine('gpus-per-node', '8'));
    shows(out, sbatchLine('time', '24:00:00'));
    shows(out, sbatchLine('exclusive'));
    shows(out, exported('MAD_LAUNCHER_TYPE', 'torchrun'));
    shows(out, exported('MASTER_PORT', '29500'));
    shows(out, exported('NCCL_SOCKET_IFNAME', 'ens14np0'));
    shows(out, exported('GLOO_SOCKET_IFNAME', 'ens14np0'));
    shows(out, /'torchrun --nnodes=4 --nproc_per_node=8 --node_rank=/);
  });

  it('pyt_megatron_lm_train_llama2_7b: shared_data reaches the node run', { todo: 'shared_data is not applied by the SLURM scripts yet' }, async () => {
    const out = await dryRun(['--tags', 'pyt_megatron_lm_train_llama2_7b', '--additional-context', llama2]);
    shows(out, /--force-mirror-local '\/nfs\/data'/);
  });

  it('run --tags vllm_deepseek_r1 with slurm partition mi300x and vllm.* settings', async () => {
    const out = await dryRun([
      '--tags',
      'vllm_deepseek_r1',
      '--additional-context',
      `{
    "deploy": "slurm", "slurm": {"partition": "mi300x", "nodes": 1, "gpus_per_node": 8},
    "vllm": {"tensor_parallel_size": 8, "enable_expert_parallel": true, "max_model_len": 32768, "port": 8000}}`,
    ]);
    shows(out, sbatchLine('partition', 'mi300x'));
    shows(out, sbatchLine('nodes', '1'));
    shows(out, sbatchLine('gpus-per-node', '8'));
    shows(out, sbatchLine('array', '0-0'));
    shows(out, exported('VLLM_TENSOR_PARALLEL_SIZE', '8'));
    shows(out, exported('VLLM_ENABLE_EXPERT_PARALLEL', '1'));
    shows(out, exported('VLLM_MAX_MODEL_LEN', '32768'));
    shows(out, exported('VLLM_PORT', '8000'));
  });

  it('build --tags dummy with a deployment context, then run --manifest-file with no context deploys it', async () => {
    const manifest = await plannedBuild(
      'dummy',
      `{
    "deploy": "slurm", "launcher": "vllm", "nnodes": 1, "nproc_per_node": 8,
    "vllm": {"tensor_parallel_size": 8, "enable_expert_parallel": true, "max_model_len": 32768},
    "slurm": {"partition": "gpu", "nodes": 1, "time_limit": 3600, "modules": ["rocm/5.7.0"]}}`,
    );
    const out = await dryRun(['--manifest-file', manifest]);
    shows(out, sbatchLine('partition', 'gpu'));
    shows(out, sbatchLine('nodes', '1'));
    // slurm.time_limit is in seconds: 3600 s is one hour.
    shows(out, /^#SBATCH --time=(0-)?0?1:00:00$/m);
    shows(out, /^module load 'rocm\/5\.7\.0' /m);
    shows(out, exported('MAD_LAUNCHER_TYPE', 'vllm'));
    shows(out, exported('NPROC_PER_NODE', '8'));
    shows(out, exported('VLLM_TENSOR_PARALLEL_SIZE', '8'));
    shows(out, exported('VLLM_ENABLE_EXPERT_PARALLEL', '1'));
    shows(out, exported('VLLM_MAX_MODEL_LEN', '32768'));
    assert.deepEqual(modelNames(out), ['dummy']);
  });

  it('the vllm.* fragment (with env_vars) exports the VLLM_* settings and the env_vars', async () => {
    // The example is a fragment without a target: the target comes from a context file under it.
    const deployFile = path.join(work, 'deploy-slurm.json');
    await writeFile(deployFile, '{"deploy": "slurm"}');
    const out = await dryRun([
      '--tags',
      'dummy',
      '--additional-context-file',
      deployFile,
      '--additional-context',
      `{"launcher": "vllm", "vllm": {"tensor_parallel_size": 8, "data_parallel_size": 1, "pipeline_parallel_size": 1,
  "enable_expert_parallel": true, "max_model_len": 32768, "distributed_executor_backend": "mp",
  "env_vars": {"VLLM_ROCM_USE_AITER": "0", "VLLM_ALL2ALL_BACKEND": "allgather_reducescatter"}}}`,
    ]);
    shows(out, exported('MAD_LAUNCHER_TYPE', 'vllm'));
    for (const [name, value] of [
      ['VLLM_TENSOR_PARALLEL_SIZE', '8'],
      ['VLLM_DATA_PARALLEL_SIZE', '1'],
      ['VLLM_PIPELINE_PARALLEL_SIZE', '1'],
      ['VLLM_ENABLE_EXPERT_PARALLEL', '1'],
      ['VLLM_MAX_MODEL_LEN', '32768'],
      ['VLLM_DISTRIBUTED_EXECUTOR_BACKEND', 'mp'],
      ['VLLM_ROCM_USE_AITER', '0'],
      ['VLLM_ALL2ALL_BACKEND', 'allgather_reducescatter'],
    ] as const)
      shows(out, exported(name, value));
  });

  it('both slurm and k8s sections: deploy picks slurm', async () => {
    const out = await dryRun([
      '--tags',
      'bert',
      '--additional-context',
      '{"deploy": "slurm", "slurm": {"partition": "gpu", "nodes": 4}, "k8s": {"namespace": "ml-bench", "gpu_count": 8}}',
    ]);
    shows(out, sbatchLine('partition', 'gpu'));
    shows(out, sbatchLine('nodes', '4'));
    lacks(out, /ml-bench|kubectl/);
  });
});
