import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hostBaseEnvironment } from '../../../src/engines/host/host-env.ts';
import { openRunLog } from '../../../src/engines/host/run-output.ts';
import { Redactor } from '../../../src/core/secrets/redactor.ts';

test('a host model gets the process basics, proxies, locale and toolchain variables, and no runner tokens or inputs', () => {
  const env = hostBaseEnvironment({
    PATH: '/usr/bin',
    HOME: '/home/runner',
    LC_ALL: 'C.UTF-8',
    https_proxy: 'http://proxy:3128',
    ROCM_PATH: '/opt/rocm',
    VIRTUAL_ENV: '/venv',
    ACTIONS_RUNTIME_TOKEN: 'x',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x',
    GITHUB_TOKEN: 'x',
    INPUT_PASSWORD: 'x',
    MAD_DOCKERHUB_PASSWORD: 'x',
    RUNNER_TOKEN: 'x',
    SOMETHING_ELSE: 'x',
  });
  assert.deepEqual(env, {
    PATH: '/usr/bin',
    HOME: '/home/runner',
    LC_ALL: 'C.UTF-8',
    https_proxy: 'http://proxy:3128',
    ROCM_PATH: '/opt/rocm',
    VIRTUAL_ENV: '/venv',
  });
});

test('openRunLog with a redactor: the file and the live stream never see a secret split across writes', async () => {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'madengine-runlog-')), 'x.log');
  const live: Buffer[] = [];
  const log = await openRunLog(file, (chunk) => live.push(chunk), new Redactor(['tok-ABCDEF']));
  log.write(Buffer.from('token tok-A'));
  log.write(Buffer.from('BCDEF end\npartial tok-AB'));
  log.note('done');
  await log.close();
  const expected = 'token *** end\npartial tok-AB\n=== madengine: done\n';
  assert.equal(await readFile(file, 'utf8'), expected);
  assert.equal(Buffer.concat(live).toString(), expected);
});
