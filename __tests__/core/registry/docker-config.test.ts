import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dockerConfigLogin } from '../../../src/core/registry/docker-config.ts';

test('logins stored by docker login are found by registry host, Docker Hub under its aliases', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'madengine-docker-config-'));
  const auth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');
  await writeFile(
    path.join(dir, 'config.json'),
    JSON.stringify({
      auths: { 'ghcr.io': { auth: auth('octo', 'ghp_x:y') }, 'https://index.docker.io/v1/': { auth: auth('hubuser', 'hubpass') }, 'broken.io': { auth: '!!' } },
    }),
  );
  const env = { DOCKER_CONFIG: dir };
  assert.deepEqual(await dockerConfigLogin('ghcr.io', env), { username: 'octo', password: 'ghp_x:y' });
  assert.deepEqual(await dockerConfigLogin('docker.io', env), { username: 'hubuser', password: 'hubpass' });
  assert.equal(await dockerConfigLogin('quay.io', env), undefined);
  assert.equal(await dockerConfigLogin('broken.io', env), undefined);
  assert.equal(await dockerConfigLogin('ghcr.io', { DOCKER_CONFIG: path.join(dir, 'missing') }), undefined);
});
