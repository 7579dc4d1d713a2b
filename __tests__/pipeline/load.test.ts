/** loadDataConfig: a named --data-config must exist; the default data.json may be absent (issue 9 item 17). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/core/errors.ts';
import { loadDataConfig } from '../../src/pipeline/load.ts';

test('data config: absent default is fine, a named file that is missing or invalid is a ConfigError naming it', async () => {
  const hub = await mkdtemp(path.join(tmpdir(), 'madengine-data-config-'));
  assert.equal(await loadDataConfig(hub), undefined);
  await assert.rejects(loadDataConfig(hub, 'missing.json'), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /^--data-config missing\.json: file not found \(looked for .*missing\.json; relative paths are relative to the hub /);
    return true;
  });
  await writeFile(path.join(hub, 'data.json'), JSON.stringify({ set: { local: { path: '/tmp' } } }));
  assert.deepEqual(await loadDataConfig(hub), { set: { local: { path: '/tmp' } } });
  await writeFile(path.join(hub, 'other.json'), JSON.stringify({ set: { local: { path: ['/tmp'] } } }));
  await assert.rejects(loadDataConfig(hub, 'other.json'), /other\.json: invalid data config: set\.local\.path: expected a string/);
});
