import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deploymentConfig, manifestContext } from '../../../src/core/build/manifest-parts.ts';
import { hostManifest } from '../../../src/core/run/host-manifest.ts';
import { validateContext } from '../../../src/core/context/validate.ts';

const raw = {
  env_vars: { MAD_SECRETS_X: 'ctx-secret-1', NCCL_DEBUG: 'INFO', MIOPEN_USER_DB_PATH: '/tmp/db' },
  docker_env_vars: { MAD_SECRETS_Y: 'ctx-secret-2' },
  slurm: { partition: 'gpu', env_vars: { MAD_SECRETS_Z: 'ctx-secret-3' } },
};

test('deployment_config.env_vars keeps MAD_SECRETS* values out of the manifest (regression: written in clear)', () => {
  const config = deploymentConfig(raw as Parameters<typeof deploymentConfig>[0]);
  assert.deepEqual(config.env_vars, { NCCL_DEBUG: 'INFO' });
  assert.deepEqual(config.slurm, { partition: 'gpu', env_vars: {} });
  assert.doesNotMatch(JSON.stringify(config), /ctx-secret/);
  assert.doesNotMatch(JSON.stringify(manifestContext(raw)), /ctx-secret/);
});

test('a host manifest (context and deployment_config) holds no MAD_SECRETS* value', () => {
  const { context } = validateContext({ ...raw, slurm: { partition: 'gpu' } }, 'test context');
  const manifest = hostManifest([], context);
  assert.doesNotMatch(JSON.stringify(manifest), /ctx-secret/);
});

test('registry_auth and dry_run are never stored: not in context, not in deployment_config', () => {
  const { context } = validateContext(
    { deploy: 'slurm', dry_run: true, registry_auth: { username: 'robot', password: 'pa55-w0rd-xyz' }, slurm: { partition: 'gpu' } },
    'ctx',
  );
  const stored = { context: manifestContext(context), deployment_config: deploymentConfig(context) };
  assert.doesNotMatch(JSON.stringify(stored), /pa55-w0rd-xyz|robot|registry_auth|dry_run/);
  assert.equal(stored.context.deploy, 'slurm');
});

test("deployment_config carries the design documents' launch keys beside madengine's sections", () => {
  const { context } = validateContext(
    {
      deploy: 'slurm',
      launcher: 'vllm',
      nnodes: 1,
      nproc_per_node: 8,
      vllm: { tensor_parallel_size: 8 },
      sglang: { tp: 2 },
      slurm: { partition: 'gpu', time_limit: 3600 },
      distributed: { backend: 'nccl' },
      multi_node_args: { MASTER_PORT: 29501 },
      shared_storage: '/nfs',
      env_vars: { A: 'b' },
    },
    'ctx',
  );
  assert.deepEqual(deploymentConfig(context), {
    target: 'slurm',
    slurm: { partition: 'gpu', time: '01:00:00' },
    distributed: { backend: 'nccl' },
    vllm: { tensor_parallel_size: 8 },
    sglang: { tp: 2 },
    launcher: 'vllm',
    nnodes: 1,
    nproc_per_node: 8,
    multi_node_args: { MASTER_PORT: 29501 },
    shared_storage: '/nfs',
    env_vars: { A: 'b' },
    debug: false,
  });
});
