/** Run-phase set-up rules: timeouts (compat §3.5), model environment (compat §3.3), tools stacking (compat §3.10), data providers (compat §3.6). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MAX_TIMEOUT_SECONDS, cliTimeout, resolveRunTimeout } from '../../../src/core/run/timeout.ts';
import { contextMounts, modelEnvironment, multiNodeRunner, scriptPlan } from '../../../src/core/run/model-env.ts';
import { prepareData } from '../../../src/core/run/data.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import { memoryLogger } from '../../helpers/logger.ts';
import type { SystemInfo } from '../../../src/core/gpu/types.ts';

test("timeouts: madengine's resolve_run_timeout vectors and the CLI value rules", () => {
  assert.equal(resolveRunTimeout(3600, 7200), 3600);
  assert.equal(resolveRunTimeout(3600, 6000), 6000);
  assert.equal(resolveRunTimeout(undefined, 7200), 7200);
  assert.equal(resolveRunTimeout(0, 7200), 7200);
  assert.equal(resolveRunTimeout(null, 7200), 7200);
  assert.equal(resolveRunTimeout(3600, null), null);
  assert.equal(cliTimeout(-1), 7200);
  assert.equal(cliTimeout(undefined), 7200);
  assert.equal(cliTimeout(0), null);
  assert.equal(cliTimeout(120), 120);
  assert.throws(() => cliTimeout(-2), ConfigError);
});

test('timeouts: timeout_multiplier scales the resolved timeout, whatever its source; no limit stays none', () => {
  assert.equal(resolveRunTimeout(3600, 7200, 'model m', 2), 7200, "the model's own timeout, doubled");
  assert.equal(resolveRunTimeout(undefined, 7200, 'model m', 2), 14_400, 'the default, doubled');
  assert.equal(resolveRunTimeout(3600, 600, 'model m', 0.5), 300, 'an explicit CLI value, halved');
  assert.equal(resolveRunTimeout(10, 7200, 'model m', 0.33), 4, 'rounded up to whole seconds');
  assert.equal(resolveRunTimeout(1, 7200, 'model m', 0.001), 1, 'never below one second');
  assert.equal(resolveRunTimeout(3600, null, 'model m', 2), null);
  assert.throws(() => resolveRunTimeout(MAX_TIMEOUT_SECONDS, 7200, 'model big', 2), /model big: timeout \d+ s times timeout_multiplier 2 is too large/);
});

test('timeouts: very long ones are kept (30 days); ones too large for a timer are errors naming where they came from', () => {
  assert.equal(cliTimeout(2_592_000), 2_592_000);
  assert.equal(resolveRunTimeout(2_592_000, 7200), 2_592_000);
  assert.equal(cliTimeout(MAX_TIMEOUT_SECONDS), MAX_TIMEOUT_SECONDS);
  assert.throws(() => cliTimeout(1e300, "input 'timeout'"), /^ConfigError: input 'timeout' 1e\+300: expected seconds \(1 to \d+\), 0 for no limit/);
  assert.throws(() => resolveRunTimeout(1e300, 7200, 'model big'), /^ConfigError: model big: timeout 1e\+300 is too large: expected at most \d+ seconds/);
});

const amd: SystemInfo = {
  gpuVendor: 'AMD',
  gpuCount: 8,
  gpuArchitecture: 'gfx942',
  gpuProductName: 'AMD Instinct MI300X',
  runtimeVersion: '6.4.1',
  rocmPath: '/opt/rocm-6.4.1',
  renderDevices: [128, 136, 144, 152, 160, 168, 176, 184],
  hostOs: 'HOST_UBUNTU',
  notes: [],
};

test('model environment: MAD_* facts, GPU count, secrets from the host, context env last, names validated', () => {
  const env = modelEnvironment({
    modelName: 'dummy',
    model: { multiple_results: 'perf.csv', distributed: { launcher: 'deepspeed' } },
    context: { guest_os: 'UBUNTU', docker_env_vars: { ctxtest: '1', MAD_RUNTIME_NGPUS: '3' } },
    system: amd,
    gpuCount: 2,
    credentialEnv: { HUB_USERNAME: 'u' },
    dataEnv: { MAD_DATAHOME: '/data' },
    hostEnv: { MAD_SECRETS_TOKEN: 's3cret', NCCL_DEBUG: 'INFO', UNRELATED: 'x' },
  });
  assert.equal(env.MAD_GPU_VENDOR, 'AMD');
  assert.equal(env.MAD_SYSTEM_NGPUS, '8');
  assert.equal(env.MAD_SYSTEM_HIP_VERSION, '6.4');
  assert.equal(env.MAD_OUTPUT_CSV, 'perf.csv');
  assert.equal(env.ROCM_PATH, '/opt/rocm-6.4.1');
  assert.equal(env.MAD_MULTI_NODE_RUNNER, 'deepspeed --num_gpus=2');
  assert.equal(env.MAD_SECRETS_TOKEN, 's3cret');
  assert.equal(env.NCCL_DEBUG, 'INFO');
  assert.equal(env.UNRELATED, undefined);
  assert.equal(env.HUB_USERNAME, 'u');
  assert.equal(env.MAD_DATAHOME, '/data');
  assert.equal(env.ctxtest, '1');
  assert.equal(env.MAD_RUNTIME_NGPUS, '3', 'docker_env_vars from the context win, as in madengine');
  assert.throws(
    () =>
      modelEnvironment({
        modelName: 'm',
        model: {},
        context: { guest_os: 'UBUNTU', docker_env_vars: { 'BAD-NAME': '1' } },
        system: amd,
        gpuCount: 0,
        credentialEnv: {},
        dataEnv: {},
        hostEnv: {},
      }),
    /invalid environment variable name\(s\) "BAD-NAME"/,
  );
  const fromTopLevel = (context: Record<string, unknown>) =>
    modelEnvironment({
      modelName: 'm',
      model: { distributed: { launcher: 'torchrun' } },
      context: { guest_os: 'UBUNTU', ...context },
      system: amd,
      gpuCount: 2,
      credentialEnv: {},
      dataEnv: {},
      hostEnv: {},
    }).MAD_MULTI_NODE_RUNNER;
  assert.equal(fromTopLevel({ launcher: 'deepspeed' }), 'deepspeed --num_gpus=2', "the design documents' top-level launcher string");
  assert.equal(fromTopLevel({ launcher: { type: 'vllm' } }), '');
  assert.equal(fromTopLevel({ distributed: { backend: 'deepspeed' } }), 'deepspeed --num_gpus=2', 'distributed.backend naming a launcher');
  assert.equal(fromTopLevel({ distributed: { backend: 'nccl' } }), 'torchrun --standalone --nproc_per_node=2', 'a communication backend is no launcher');
  assert.equal(multiNodeRunner('vllm', 4), '');
  assert.equal(multiNodeRunner('', 4), 'torchrun --standalone --nproc_per_node=4');
  assert.deepEqual(contextMounts({ docker_mounts: { '/data': '/tmp' } }), [{ hostPath: '/tmp', containerPath: '/data', readOnly: false }]);
});

test("tools stack in madengine's order: pre B, pre A, user pre; cmd_B cmd_A; user post, post A, post B", () => {
  const tools = {
    A: { cmd: 'cmd_A', pre_scripts: [{ path: 'pre_A.sh' }], post_scripts: [{ path: 'post_A.sh' }], env_vars: { A: '1' } },
    B: { cmd: 'cmd_B', pre_scripts: [{ path: 'pre_B.sh' }], post_scripts: [{ path: 'post_B.sh' }], env_vars: { B: '1' } },
  };
  const plan = scriptPlan(
    {
      tools: [{ name: 'A' }, { name: 'B', env_vars: { B: '2' } }],
      pre_scripts: [{ path: 'user_pre.sh', args: '1' }],
      post_scripts: [{ path: 'user_post.sh' }],
    },
    tools,
  );
  assert.deepEqual(
    plan.pre.map((s) => s.path),
    ['pre_B.sh', 'pre_A.sh', 'user_pre.sh'],
  );
  assert.deepEqual(
    plan.post.map((s) => s.path),
    ['user_post.sh', 'post_A.sh', 'post_B.sh'],
  );
  assert.equal(plan.encapsulate, 'cmd_B cmd_A');
  assert.deepEqual(plan.env, { A: '1', B: '2' });
  assert.throws(() => scriptPlan({ tools: [{ name: 'rocprof' }] }, tools), /tool 'rocprof' has no definition .* \(defined: A, B\)/);
});

test('data providers: local mounts read-only (or is used directly on the host), custom runs a hub script, unknown names fail', async () => {
  const hub = await mkdtemp(path.join(tmpdir(), 'madengine-data-'));
  await mkdir(path.join(hub, 'scripts'), { recursive: true });
  await writeFile(path.join(hub, 'scripts/fetch.sh'), 'echo fetch\n');
  const logger = memoryLogger();
  const config = {
    local_ok: { local: { path: hub } },
    local_missing: { local: { path: '/nonexistent/madengine' } },
    custom_ok: { custom: { path: 'scripts/fetch.sh', args: '--fast' }, local: { path: hub } },
    network_only: { minio: { path: 's3://bucket' } },
  };
  const counter = { next: 0 };
  const local = await prepareData('local_ok', config, { hubDir: hub, executor: 'docker', logger, counter });
  assert.deepEqual(local?.mounts, [{ hostPath: hub, containerPath: '/data_dlm_0', readOnly: true }]);
  assert.equal(local?.env.MAD_DATAHOME, '/data_dlm_0');
  assert.equal(local?.env.MAD_DATANAME, 'local_ok');
  const onHost = await prepareData('local_ok', config, { hubDir: hub, executor: 'host', logger, counter });
  assert.equal(onHost?.env.MAD_DATAHOME, hub);
  assert.deepEqual(onHost?.mounts, []);
  const custom = await prepareData('custom_ok', config, { hubDir: hub, executor: 'docker', logger, counter });
  assert.equal(custom?.provider, 'custom', 'custom comes before local');
  assert.deepEqual(custom?.preScripts, [{ path: 'scripts/fetch.sh', args: '--fast', cwd: '/data_dlm_2' }]);
  const missing = await prepareData('local_missing', config, { hubDir: hub, executor: 'docker', logger, counter });
  assert.equal(missing?.env.MAD_DATAHOME, undefined, 'no usable provider: the model runs without data');
  assert.ok(logger.lines.some((l) => /local_missing': no usable provider/.test(l)));
  await prepareData('network_only', config, { hubDir: hub, executor: 'docker', logger, counter });
  assert.ok(logger.lines.some((l) => /provider 'minio' is not supported/.test(l)));
  await assert.rejects(
    prepareData('nope', config, { hubDir: hub, executor: 'docker', logger, counter }),
    /data 'nope' is not defined in the data config \(known: local_ok/,
  );
});
