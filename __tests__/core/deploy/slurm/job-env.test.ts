/** What sbatch hands the jobs: the runner's tokens and credential-like variables stay behind, the models' settings go. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobEnvironment } from '../../../../src/core/deploy/slurm/job-env.ts';

test('jobEnvironment drops runner plumbing and credential-like names, keeps PATH, SLURM_CONF, MAD_* and the model secrets', () => {
  const env = jobEnvironment({
    PATH: '/usr/bin',
    HOME: '/root',
    SLURM_CONF: '/etc/slurm/slurm.conf',
    HTTPS_PROXY: 'http://proxy:3128',
    MAD_SECRETS_HFTOKEN: 'hf_model_token',
    MAD_DOCKERHUB_PASSWORD: 'pull-password',
    MAD_DOCKERHUB_USER: 'puller',
    GITHUB_TOKEN: 'ghs_workflow',
    ACTIONS_RUNTIME_TOKEN: 'runtime',
    ACTIONS_RESULTS_URL: 'https://results',
    INPUT_ADDITIONAL_CONTEXT: '{"registry_auth": {"password": "x"}}',
    STATE_run_id: 'r',
    AWS_SECRET_ACCESS_KEY: 'aws',
    NPM_TOKEN: 'npm',
    DB_PASSWORD: 'db',
    GITHUB_RUN_ID: '42',
    EMPTY: undefined,
  });
  assert.deepEqual(Object.keys(env).sort(), [
    'GITHUB_RUN_ID',
    'HOME',
    'HTTPS_PROXY',
    'MAD_DOCKERHUB_PASSWORD',
    'MAD_DOCKERHUB_USER',
    'MAD_SECRETS_HFTOKEN',
    'PATH',
    'SLURM_CONF',
  ]);
  assert.equal(env.MAD_SECRETS_HFTOKEN, 'hf_model_token');
});
