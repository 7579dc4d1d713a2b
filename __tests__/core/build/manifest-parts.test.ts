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
