/**
 * The design documents' context examples (verbatim, from the seed's interface notes) through the real
 * context loader, and what each SLURM example's comment says, through launchSettings / deployTarget.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/errors.ts';
import { loadAdditionalContext } from '../../../src/core/context/load.ts';
import { mergeContexts, storedContext } from '../../../src/core/context/merge.ts';
import type { AdditionalContext } from '../../../src/core/context/schema.ts';
import { validateContext } from '../../../src/core/context/validate.ts';
import { deployTarget, launchSettings, launcherSectionEnv } from '../../../src/core/deploy/settings.ts';

/** Loads `text` as `--additional-context` would be. */
async function load(text: string): Promise<AdditionalContext> {
  return (await loadAdditionalContext({ text })).context;
}

const model = { name: 'dummy' };

async function rejects(text: string | Record<string, unknown>, pattern: RegExp): Promise<ConfigError> {
  try {
    if (typeof text === 'string') await load(text);
    else validateContext(text, 'ctx');
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return error;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(text)}`);
}

describe('the design documents: Local examples', () => {
  const examples = [
    '{"gpu_vendor": "AMD", "guest_os": "UBUNTU"}',
    "{'docker_build_arg':{'BASE_DOCKER':'custom:latest'}}",
    '{"tools": [{"name":"rocprof"}, {"name":"trace"}]}',
    `{"gpu_vendor": "AMD", "guest_os": "UBUNTU",
  "docker_env_vars": {"ROCR_VISIBLE_DEVICES": "0,1,2,3"}, "timeout_multiplier": 2.0}`,
    '{"registry_auth": {"username": "user", "password": "token"}}',
  ];
  for (const text of examples) {
    it(`validates ${text.slice(0, 60)}`, async () => {
      const context = await load(text);
      assert.equal(deployTarget(context), 'local');
    });
  }

  it('keeps what the examples set', async () => {
    assert.equal((await load("{'docker_build_arg':{'BASE_DOCKER':'custom:latest'}}")).docker_build_arg?.BASE_DOCKER, 'custom:latest');
    assert.equal((await load(examples[3]!)).timeout_multiplier, 2);
    assert.deepEqual((await load(examples[4]!)).registry_auth, { username: 'user', password: 'token' });
  });
});

describe('the design documents: SLURM examples', () => {
  it('{"deploy": "slurm", "slurm": {"partition": "gpu"}}', async () => {
    const context = await load('{"deploy": "slurm", "slurm": {"partition": "gpu"}}');
    assert.equal(deployTarget(context), 'slurm');
    assert.equal(context.slurm?.partition, 'gpu');
    assert.deepEqual(launchSettings(context, model), { launcher: 'docker', nnodes: 1, nprocPerNode: undefined, masterPort: 29500, env: {} });
  });

  it('{"deploy": "slurm"}: defaults for everything else', async () => {
    const context = await load('{"deploy": "slurm"}');
    assert.equal(deployTarget(context), 'slurm');
    assert.deepEqual(launchSettings(context, model), { launcher: 'docker', nnodes: 1, nprocPerNode: undefined, masterPort: 29500, env: {} });
  });

  it('the build of bert_training: no deployment, local', async () => {
    assert.equal(deployTarget(await load('{"gpu_vendor": "AMD", "guest_os": "UBUNTU"}')), 'local');
  });

  it('top-level launcher (a string) / nnodes / nproc_per_node: the distributed launch', async () => {
    const context = await load(`{
    "deploy": "slurm", "launcher": "torchrun", "nnodes": 4, "nproc_per_node": 8,
    "slurm": {"partition": "gpu", "modules": ["rocm/5.7.0"]}}`);
    assert.equal(deployTarget(context), 'slurm');
    assert.deepEqual(context.slurm?.modules, ['rocm/5.7.0']);
    const settings = launchSettings(context, model);
    assert.equal(settings.launcher, 'torchrun');
    assert.equal(settings.nnodes, 4);
    assert.equal(settings.nprocPerNode, 8);
  });

  it('distributed.backend naming a launcher is the launcher; nccl_socket_ifname the interface; shared_storage = shared_data', async () => {
    const context = await load(`{
    "deploy": "slurm",
    "slurm": {"partition": "gpu", "nodes": 4, "gpus_per_node": 8, "time": "24:00:00", "exclusive": true, "qos": "normal"},
    "distributed": {"backend": "torchrun", "master_port": 29500, "nccl_socket_ifname": "ens14np0"},
    "shared_storage": "/nfs/datasets"}`);
    assert.equal(deployTarget(context), 'slurm');
    assert.equal(context.slurm?.time, '24:00:00');
    assert.deepEqual(launchSettings(context, model), {
      launcher: 'torchrun',
      nnodes: 4,
      nprocPerNode: 8,
      masterPort: 29500,
      ncclSocketIfname: 'ens14np0',
      glooSocketIfname: 'ens14np0',
      sharedData: '/nfs/datasets',
      env: {},
    });
  });

  it('distributed.backend naming nccl/gloo/rccl is the communication backend (madengine v2.1)', async () => {
    for (const backend of ['nccl', 'gloo', 'rccl', 'mpi']) {
      const settings = launchSettings(await load(`{"deploy": "slurm", "distributed": {"backend": "${backend}"}}`), model);
      assert.equal(settings.launcher, 'docker');
      assert.equal(settings.communicationBackend, backend);
    }
    const both = launchSettings(await load('{"distributed": {"launcher": "deepspeed", "backend": "nccl"}}'), model);
    assert.deepEqual([both.launcher, both.communicationBackend], ['deepspeed', 'nccl']);
  });

  it('pyt_megatron_lm: slurm nodes / gpus_per_node and distributed.backend torchrun', async () => {
    const context = await load(`{"deploy": "slurm",
    "slurm": {"partition": "gpu", "nodes": 4, "gpus_per_node": 8}, "distributed": {"backend": "torchrun"}}`);
    const settings = launchSettings(context, model);
    assert.deepEqual([settings.launcher, settings.nnodes, settings.nprocPerNode, settings.masterPort], ['torchrun', 4, 8, 29500]);
  });

  it("multi_node_args: madengine v1's names for launcher, port and interfaces", async () => {
    const context = await load(`{
    "deploy": "slurm",
    "slurm": {"partition": "gpu", "nodes": 4, "gpus_per_node": 8, "time": "24:00:00", "exclusive": true},
    "multi_node_args": {"RUNNER": "torchrun", "MASTER_PORT": "29500", "NCCL_SOCKET_IFNAME": "ens14np0", "GLOO_SOCKET_IFNAME": "ens14np0"},
    "shared_data": "/nfs/data"}`);
    assert.deepEqual(launchSettings(context, model), {
      launcher: 'torchrun',
      nnodes: 4,
      nprocPerNode: 8,
      masterPort: 29500,
      ncclSocketIfname: 'ens14np0',
      glooSocketIfname: 'ens14np0',
      sharedData: '/nfs/data',
      env: {},
    });
  });

  it('vllm_deepseek_r1: the vllm settings are exported as VLLM_*; the launcher comes from the model', async () => {
    const context = await load(`{
    "deploy": "slurm", "slurm": {"partition": "mi300x", "nodes": 1, "gpus_per_node": 8},
    "vllm": {"tensor_parallel_size": 8, "enable_expert_parallel": true, "max_model_len": 32768, "port": 8000}}`);
    const settings = launchSettings(context, { name: 'vllm_deepseek_r1', distributed: { launcher: 'vllm' } });
    assert.deepEqual([settings.launcher, settings.nnodes, settings.nprocPerNode], ['vllm', 1, 8]);
    assert.deepEqual(settings.env, {
      VLLM_TENSOR_PARALLEL_SIZE: '8',
      VLLM_ENABLE_EXPERT_PARALLEL: '1',
      VLLM_MAX_MODEL_LEN: '32768',
      VLLM_PORT: '8000',
    });
  });

  it('the build example stores a vllm launch; slurm.time_limit in seconds = slurm.time', async () => {
    const context = await load(`{
    "deploy": "slurm", "launcher": "vllm", "nnodes": 1, "nproc_per_node": 8,
    "vllm": {"tensor_parallel_size": 8, "enable_expert_parallel": true, "max_model_len": 32768},
    "slurm": {"partition": "gpu", "nodes": 1, "time_limit": 3600, "modules": ["rocm/5.7.0"]}}`);
    assert.equal(context.slurm?.time, '01:00:00');
    assert.equal('time_limit' in context.slurm!, false, 'folded into time: readers see one key');
    const settings = launchSettings(context, model);
    assert.deepEqual([settings.launcher, settings.nnodes, settings.nprocPerNode], ['vllm', 1, 8]);
    assert.equal(settings.env.VLLM_TENSOR_PARALLEL_SIZE, '8');
  });

  it('vllm.*: exported as the VLLM_* settings, plus env_vars verbatim', async () => {
    const context = await load(`{"launcher": "vllm", "vllm": {"tensor_parallel_size": 8, "data_parallel_size": 1, "pipeline_parallel_size": 1,
  "enable_expert_parallel": true, "max_model_len": 32768, "distributed_executor_backend": "mp",
  "env_vars": {"VLLM_ROCM_USE_AITER": "0", "VLLM_ALL2ALL_BACKEND": "allgather_reducescatter"}}}`);
    assert.equal(deployTarget(context), 'local');
    const settings = launchSettings(context, model);
    assert.equal(settings.launcher, 'vllm');
    assert.deepEqual(settings.env, {
      VLLM_TENSOR_PARALLEL_SIZE: '8',
      VLLM_DATA_PARALLEL_SIZE: '1',
      VLLM_PIPELINE_PARALLEL_SIZE: '1',
      VLLM_ENABLE_EXPERT_PARALLEL: '1',
      VLLM_MAX_MODEL_LEN: '32768',
      VLLM_DISTRIBUTED_EXECUTOR_BACKEND: 'mp',
      VLLM_ROCM_USE_AITER: '0',
      VLLM_ALL2ALL_BACKEND: 'allgather_reducescatter',
    });
  });
});

describe('the design documents: Kubernetes examples', () => {
  const examples = [
    '{"deploy": "k8s", "k8s": {"namespace": "prod"}}',
    '{"deploy": "k8s"}',
    `{
    "deploy": "k8s", "k8s": {"namespace": "ml-prod", "gpu_vendor": "AMD", "memory": "64Gi"}}`,
    `{
    "deploy": "k8s",
    "k8s": {"namespace": "ml-workloads", "gpu_count": 8, "gpu_vendor": "amd.com/gpu", "memory": "256Gi", "cpu": "64",
            "node_selector": {"amd.com/gpu.device.id": "0x74a1"}}}`,
    `{"deploy": "k8s", "k8s": {"namespace": "ml-workloads", "gpu_resource_name": "amd.com/gpu", "gpu_count": 8,
  "memory": "256Gi", "memory_limit": "512Gi", "cpu": "64", "cpu_limit": "128",
  "node_selector": {"amd.com/gpu.device.id": "0x74a1", "node-role.kubernetes.io/worker": "true"},
  "results_pvc": "madengine-results", "data_pvc": "ml-datasets",
  "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}}`,
  ];
  for (const text of examples) {
    it(`validates ${text.replace(/\s+/g, ' ').slice(0, 70)}`, async () => {
      assert.equal(deployTarget(await load(text)), 'k8s');
    });
  }

  it('keeps k8s.gpu_vendor as given (a vendor or a resource name)', async () => {
    assert.equal((await load(examples[2]!)).k8s?.gpu_vendor, 'AMD');
    assert.equal((await load(examples[3]!)).k8s?.gpu_vendor, 'amd.com/gpu');
    await rejects('{"k8s": {"gpu_vendor": "intel gpu"}}', /k8s\.gpu_vendor: got "intel gpu", expected AMD, NVIDIA or a GPU resource name/);
  });

  it('both sections may be present; deploy picks the target', async () => {
    const context = await load('{"deploy": "slurm", "slurm": {"partition": "gpu", "nodes": 4}, "k8s": {"namespace": "ml-bench", "gpu_count": 8}}');
    assert.equal(deployTarget(context), 'slurm');
    assert.equal(launchSettings(context, model).nnodes, 4);
  });
});

describe('deployTarget', () => {
  it('takes deploy, else the manifest target, else the section given, else local', () => {
    assert.equal(deployTarget({ deploy: 'k8s' }, { deployment_config: { target: 'slurm' } }), 'k8s');
    assert.equal(deployTarget({}, { deployment_config: { target: 'docker' } }), 'local');
    assert.equal(deployTarget({}, { deployment_config: { target: 'kubernetes' } }), 'k8s');
    assert.equal(deployTarget({ slurm: {} }), 'slurm');
    assert.equal(deployTarget({ kubernetes: {} }), 'k8s');
    assert.equal(deployTarget({}), 'local');
  });

  it('asks for deploy when both sections are given without one, and names a bad stored target', () => {
    assert.throws(
      () => deployTarget({ slurm: {}, k8s: {} }),
      (error: Error) => error instanceof ConfigError && /expected "deploy"/.test(error.message),
    );
    assert.throws(
      () => deployTarget({}, { deployment_config: { target: 'openshift' } }),
      /deployment_config\.target: got "openshift", expected one of local, docker, slurm, k8s, kubernetes/,
    );
  });
});

describe('launchSettings: precedence and conflicts', () => {
  it('first present wins when the spellings agree; the model is the default under the context', async () => {
    const context = await load('{"nnodes": 2, "slurm": {"nodes": 2}, "launcher": {"type": "deepspeed", "master_port": 1234}}');
    const settings = launchSettings(context, { name: 'm', distributed: { launcher: 'torchrun', nnodes: 8, nproc_per_node: 4 } });
    assert.deepEqual([settings.launcher, settings.nnodes, settings.nprocPerNode, settings.masterPort], ['deepspeed', 2, 4, 1234]);
    const fromModel = launchSettings(await load('{}'), { name: 'm', distributed: { launcher: 'sglang_disagg', nnodes: '3' } });
    assert.deepEqual([fromModel.launcher, fromModel.nnodes], ['sglang-disagg', 3]);
  });

  it('reads the GPU count aliases as the GPU resolver does, -1 (all) setting nothing', async () => {
    assert.equal(launchSettings(await load('{"gpus_per_node": 4, "slurm": {"gpus_per_node": 8}}'), model).nprocPerNode, 4);
    assert.equal(launchSettings(await load('{"slurm": {"ngpus": 2}}'), model).nprocPerNode, 2);
    assert.equal(launchSettings(await load('{"k8s": {"gpu_count": 8}}'), model).nprocPerNode, 8);
    assert.equal(launchSettings(await load('{"slurm": {"gpus_per_node": -1}}'), model).nprocPerNode, undefined);
    assert.equal(launchSettings(await load('{"nproc_per_node": 2, "slurm": {"gpus_per_node": 8}}'), model).nprocPerNode, 2);
  });

  it('gloo defaults to the NCCL interface; slurm.network_interface sets both', async () => {
    const settings = launchSettings(await load('{"slurm": {"network_interface": "ib0"}, "distributed": {"gloo_socket_ifname": "eth0"}}'), model);
    assert.deepEqual([settings.ncclSocketIfname, settings.glooSocketIfname], ['ib0', 'eth0']);
    const v1 = launchSettings(await load('{"multi_node_args": {"NCCL_SOCKET_IFNAME": "", "GLOO_SOCKET_IFNAME": ""}}'), model);
    assert.deepEqual([v1.ncclSocketIfname, v1.glooSocketIfname], [undefined, undefined], 'madengine v1 writes "" for unset');
  });

  it('names both keys of a setting given twice with different values', async () => {
    await rejects('{"nnodes": 4, "slurm": {"nodes": 2}}', /nnodes and slurm\.nodes: got 4 and 2, expected the same value \(both set the number of nodes/);
    await rejects('{"launcher": "torchrun", "distributed": {"backend": "deepspeed"}}', /launcher and distributed\.backend: got "torchrun" and "deepspeed"/);
    await rejects('{"distributed": {"port": 1, "master_port": 2}}', /distributed\.master_port and distributed\.port: got 2 and 1/);
    await rejects('{"shared_data": "/a", "shared_storage": "/b"}', /shared_data and shared_storage: got "\/a" and "\/b"/);
    await rejects(
      '{"slurm": {"network_interface": "ib0"}, "multi_node_args": {"NCCL_SOCKET_IFNAME": "eth0"}}',
      /slurm\.network_interface and multi_node_args\.NCCL_SOCKET_IFNAME/,
    );
    await rejects('{"slurm": {"time": "02:00:00", "time_limit": 3600}}', /slurm\.time_limit: got 3600, expected the same limit as slurm\.time "02:00:00"/);
    // Agreeing spellings are fine, whatever their form.
    await load('{"launcher": "TorchRun", "multi_node_args": {"RUNNER": "torchrun", "MASTER_PORT": "29500"}, "distributed": {"port": 29500}}');
    await load('{"slurm": {"time": "1:00:00", "time_limit": 3600}}');
    await load('{"slurm": {"time": "0-01", "time_limit": 3600}}');
  });

  it('launchSettings itself refuses a contradiction it is handed unvalidated', () => {
    const context = { gpu_vendor: 'AMD', guest_os: 'UBUNTU', nnodes: 4, slurm: { nodes: 2 } } as AdditionalContext;
    assert.throws(() => launchSettings(context, model), /nnodes and slurm\.nodes/);
  });

  it('refuses a catalogue launcher that is none, naming the model', () => {
    assert.throws(
      () => launchSettings({ gpu_vendor: 'AMD', guest_os: 'UBUNTU' }, { name: 'm', distributed: { launcher: 'torchrunn' } }),
      /model m: distributed\.launcher: got "torchrunn", expected one of .* \(did you mean 'torchrun'\?\)/,
    );
  });

  it('env: top-level env_vars, then the vllm settings, then vllm.env_vars (later wins); MAD_SECRETS* left out', async () => {
    const context = await load(`{"env_vars": {"A": "1", "VLLM_TENSOR_PARALLEL_SIZE": "2", "VLLM_X": "env", "MAD_SECRETS_T": "s3cret!"},
      "vllm": {"tensor_parallel_size": 4, "x": "setting", "env_vars": {"VLLM_X": "verbatim"}},
      "sglang": {"enable_dp_attention": false, "mem_fraction_static": 0.8}}`);
    assert.deepEqual(launchSettings(context, model).env, {
      A: '1',
      VLLM_TENSOR_PARALLEL_SIZE: '4',
      VLLM_X: 'verbatim',
      SGLANG_ENABLE_DP_ATTENTION: '0',
      SGLANG_MEM_FRACTION_STATIC: '0.8',
    });
    assert.deepEqual(launcherSectionEnv({ 'max-model-len': 1, unset: null }, 'VLLM'), { VLLM_MAX_MODEL_LEN: '1' });
  });
});

describe('bad values: clear errors', () => {
  it('launcher "torchrunn" suggests torchrun, at every place a launcher goes', async () => {
    await rejects('{"launcher": "torchrunn"}', /^--additional-context: launcher: got "torchrunn", expected one of torchrun, .* \(did you mean 'torchrun'\?\)$/);
    await rejects('{"launcher": {"type": "torchrunn"}}', /launcher\.type: got "torchrunn", .*did you mean 'torchrun'/);
    await rejects('{"multi_node_args": {"RUNNER": "torchrunn"}}', /multi_node_args\.RUNNER: got "torchrunn", .*did you mean 'torchrun'/);
    await rejects('{"launcher": {"typ": "torchrun"}}', /launcher\.typ: unknown key \(did you mean 'type'\?\)/);
    await rejects('{"launcher": {"tpye": "torchrun"}}', /launcher\.tpye: unknown key, expected one of: type, nnodes, nproc_per_node, master_port$/);
    await rejects(
      '{"launcher": 5}',
      /launcher: got 5, expected a launcher name \(one of torchrun, .*\) or an object \{type, nnodes, nproc_per_node, master_port\}/,
    );
  });

  it('nnodes 0, nproc_per_node -1, timeout_multiplier -1 or 0', async () => {
    await rejects('{"nnodes": 0}', /^--additional-context: nnodes: got 0, expected a positive integer$/);
    await rejects('{"nproc_per_node": -1}', /nproc_per_node: got -1, expected a positive integer/);
    await rejects('{"timeout_multiplier": -1}', /^--additional-context: timeout_multiplier: got -1, expected a positive number$/);
    await rejects('{"timeout_multiplier": 0}', /timeout_multiplier: got 0, expected a positive number/);
    await rejects('{"timeout_multiplier": "2"}', /timeout_multiplier: got "2", expected a positive number/);
  });

  it('registry_auth without a password, or with an empty one', async () => {
    await rejects(
      '{"registry_auth": {"username": "user"}}',
      /^--additional-context: registry_auth\.password: got nothing, expected a non-empty password or token$/,
    );
    await rejects('{"registry_auth": {"username": "user", "password": ""}}', /registry_auth\.password: got "", expected a non-empty password or token/);
    await rejects('{"registry_auth": {"user": "u", "password": "p"}}', /registry_auth\.user: unknown key, expected one of: username, password/);
  });

  it('the new SLURM keys and multi_node_args are checked', async () => {
    await rejects('{"slurm": {"max_parallel": 0}}', /slurm\.max_parallel: got 0, expected a positive integer/);
    await rejects('{"slurm": {"ntasks_per_node": "two"}}', /slurm\.ntasks_per_node: got "two", expected a positive integer/);
    await rejects('{"slurm": {"time_limit": 0}}', /slurm\.time_limit: got 0, expected a positive whole number of seconds/);
    await rejects('{"slurm": {"node": ""}}', /slurm\.node: got "", expected the path/);
    await rejects('{"multi_node_args": {"MASTER_PORT": "http"}}', /multi_node_args\.MASTER_PORT: got "http", expected a port number/);
    await rejects('{"multi_node_args": {"RUNER": "torchrun"}}', /multi_node_args\.RUNER: unknown key \(did you mean 'RUNNER'\?\)/);
    await rejects(
      '{"distributed": {"backend": ""}}',
      /distributed\.backend: got "", expected a communication backend \(nccl, gloo, rccl, mpi\) or a launcher name/,
    );
    await rejects(
      '{"vllm": {"nested": {"a": 1}}}',
      /vllm\.nested: got \{"a":1\}, expected a string, number, boolean or null \(each setting is exported as VLLM_<KEY>/,
    );
    await rejects('{"dry_run": "yes"}', /dry_run: got "yes", expected true or false/);
    const { slurm } = await load('{"slurm": {"max_parallel": 4, "ntasks_per_node": 2, "node": "/opt/node/bin/node", "time_limit": 90061}}');
    assert.deepEqual(slurm, { max_parallel: 4, ntasks_per_node: 2, node: '/opt/node/bin/node', time: '1-01:01:01' });
  });

  it('unknown-key suggestions still work at the top level and in sections', async () => {
    const { warnings } = await loadAdditionalContext({ text: '{"nnode": 2, "timeout_multiplyer": 2}' });
    assert.ok(
      warnings.some((w) => /nnode: .*\(did you mean 'nnodes'\?\)/.test(w)),
      warnings.join('\n'),
    );
    assert.ok(
      warnings.some((w) => /timeout_multiplyer: .*\(did you mean 'timeout_multiplier'\?\)/.test(w)),
      warnings.join('\n'),
    );
    await rejects('{"slurm": {"max_paralel": 2}}', /slurm\.max_paralel: unknown key \(did you mean 'max_parallel'\?\)/);
  });
});

describe('a runtime context over a stored one', () => {
  it('replaces a setting spelt another way instead of contradicting it', async () => {
    const stored = await load(
      '{"deploy": "slurm", "nnodes": 4, "slurm": {"nodes": 4, "time_limit": 3600}, "shared_storage": "/nfs/a", "launcher": "torchrun"}',
    );
    const merged = validateContext(
      mergeContexts(stored, { slurm: { nodes: 2, time: '00:10:00' }, shared_data: '/nfs/b', distributed: { launcher: 'deepspeed' } }),
      'ctx',
    ).context;
    const settings = launchSettings(merged, model);
    assert.deepEqual([settings.nnodes, settings.sharedData, settings.launcher], [2, '/nfs/b', 'deepspeed']);
    assert.equal(merged.slurm?.time, '00:10:00');
    assert.equal(deployTarget(validateContext(mergeContexts(stored, { deploy: 'local' }), 'ctx').context), 'local');
  });

  it("fills in madengine manifests' deployment_config sections the context lacks, the context winning", () => {
    const context = storedContext({
      context: { gpu_vendor: 'AMD', slurm: { partition: 'mine' } },
      deployment_config: { target: 'slurm', slurm: { partition: 'theirs', nodes: 2 }, distributed: { launcher: 'torchrun' }, env_vars: {}, debug: false },
    });
    assert.deepEqual(context, { gpu_vendor: 'AMD', slurm: { partition: 'mine', nodes: 2 }, distributed: { launcher: 'torchrun' } });
  });
});
