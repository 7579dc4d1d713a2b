import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/errors.ts';
import { launcherEnv, sglangDisaggSplit, type CommandPart, type LauncherEnvInput } from '../../../src/core/deploy/launcher-env.ts';

const input = (overrides: Partial<LauncherEnvInput>): LauncherEnvInput => ({
  launcher: 'docker',
  nnodes: 1,
  nprocPerNode: 8,
  masterPort: 29500,
  modelName: 'm',
  ...overrides,
});
/** The runner as the script expands it, with $NAME for the runtime parts. */
const shown = (parts: CommandPart[] | undefined): string | undefined => parts?.map((p) => ('text' in p ? p.text : `$${p.variable}`)).join('');

describe('launcherEnv (compat §4.1 "Launcher commands")', () => {
  it('torchrun: standalone on one node, rendezvous over the ranks on several', () => {
    assert.equal(shown(launcherEnv(input({ launcher: 'torchrun' })).runner), 'torchrun --standalone --nproc_per_node=8');
    assert.equal(
      shown(launcherEnv(input({ launcher: 'torchrun', nnodes: 4, masterPort: 1234 })).runner),
      'torchrun --nnodes=4 --nproc_per_node=8 --node_rank=$NODE_RANK --master_addr=$MASTER_ADDR --master_port=1234',
    );
  });

  it('deepspeed: --num_gpus on one node; a hostfile of the job and the first host on several', () => {
    assert.equal(shown(launcherEnv(input({ launcher: 'deepspeed' })).runner), 'deepspeed --num_gpus=8');
    const multi = launcherEnv(input({ launcher: 'deepspeed', nnodes: 2 }));
    assert.equal(shown(multi.runner), 'deepspeed --hostfile=/tmp/deepspeed_hostfile_$SLURM_JOB_ID.txt --master_addr=$MASTER_ADDR --master_port=29500');
    assert.equal(multi.hostfileSlots, 8);
  });

  it('torchtitan and megatron: parallelism variables plus torchrun', () => {
    const titan = launcherEnv(input({ launcher: 'torchtitan', nnodes: 2 }));
    assert.deepEqual(titan.env, {
      TORCHTITAN_TENSOR_PARALLEL_SIZE: '8',
      TORCHTITAN_PIPELINE_PARALLEL_SIZE: '2',
      TORCHTITAN_FSDP_ENABLED: '1',
      TORCHTITAN_CONTEXT_PARALLEL_SIZE: '1',
    });
    assert.match(shown(titan.runner)!, /^torchrun --nnodes=2/);
    for (const launcher of ['megatron', 'megatron-lm'] as const) {
      const megatron = launcherEnv(input({ launcher, nnodes: 2 }));
      assert.deepEqual(megatron.env, { TENSOR_MODEL_PARALLEL_SIZE: '8', PIPELINE_MODEL_PARALLEL_SIZE: '2', CONTEXT_PARALLEL_SIZE: '1' });
    }
    assert.equal(launcherEnv(input({ launcher: 'megatron', nprocPerNode: 16 })).env.TENSOR_MODEL_PARALLEL_SIZE, '8');
  });

  it('vllm and sglang: their parallel sizes, an empty runner, Ray GPU visibility', () => {
    const one = launcherEnv(input({ launcher: 'vllm' }));
    assert.deepEqual(one.env, { VLLM_TENSOR_PARALLEL_SIZE: '8', VLLM_PIPELINE_PARALLEL_SIZE: '1', VLLM_DISTRIBUTED_BACKEND: 'auto' });
    assert.deepEqual(one.runner, []);
    assert.equal(one.rayGpuVisibility, true);
    assert.equal(launcherEnv(input({ launcher: 'vllm', nnodes: 2 })).env.VLLM_DISTRIBUTED_BACKEND, 'none');
    assert.deepEqual(launcherEnv(input({ launcher: 'sglang' })).env, { SGLANG_TENSOR_PARALLEL_SIZE: '8', SGLANG_PIPELINE_PARALLEL_SIZE: '1' });
  });

  it("sglang-disagg: at least 3 nodes, madengine's default split or the given one", () => {
    assert.deepEqual(sglangDisaggSplit(3, [], 'm'), { prefill: 1, decode: 1 });
    assert.deepEqual(sglangDisaggSplit(6, [], 'm'), { prefill: 2, decode: 3 });
    assert.deepEqual(sglangDisaggSplit(6, [{ sglang_disagg: { prefill_nodes: 3, decode_nodes: 2 } }], 'm'), { prefill: 3, decode: 2 });
    assert.throws(
      () => sglangDisaggSplit(2, [], 'm'),
      (e: unknown) => e instanceof ConfigError && /at least 3 nodes/.test(e.message),
    );
    assert.throws(() => sglangDisaggSplit(6, [{ sglang_disagg: { prefill_nodes: 1, decode_nodes: 1 } }], 'm'), /must equal the 6 nodes/);
    const env = launcherEnv(input({ launcher: 'sglang-disagg', nnodes: 4 }));
    assert.equal(env.env.SGLANG_DISAGG_PREFILL_NODES, '1');
    assert.equal(env.env.SGLANG_DISAGG_DECODE_NODES, '2');
    assert.equal(env.nodeIps, true);
  });

  it('primus: config path (default exp_pretrain.yaml), cli_extra, BACKEND from the section or the model name; the context wins over the model', () => {
    assert.deepEqual(launcherEnv(input({ launcher: 'primus', modelName: 'primus_pretrain/torchtitan_MI300X_qwen3' })).env, {
      PRIMUS_CONFIG_PATH: 'exp_pretrain.yaml',
      BACKEND: 'torchtitan',
    });
    const env = launcherEnv(
      input({
        launcher: 'primus',
        distributed: { primus: { config_path: 'a.yaml', cli_extra: '--x 1' } },
        modelDistributed: { primus: { config_path: 'b.yaml', backend: 'megatron' } },
      }),
    ).env;
    assert.deepEqual(env, { PRIMUS_CONFIG_PATH: 'a.yaml', PRIMUS_CLI_EXTRA: '--x 1', BACKEND: 'megatron' });
  });

  it('docker: the standalone runner on one node, only the basic variables on several', () => {
    assert.equal(shown(launcherEnv(input({})).runner), 'torchrun --standalone --nproc_per_node=8');
    const multi = launcherEnv(input({ nnodes: 2 }));
    assert.equal(multi.runner, undefined);
    assert.deepEqual(multi.env, {});
  });
});
