/** data.json validation (compat §3.6; issue 9: untrusted input is validated, never cast). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/errors.ts';
import { parseDataConfig } from '../../../src/core/run/data.ts';

const fails = (raw: unknown, pattern: RegExp): void => {
  assert.throws(
    () => parseDataConfig(raw, '/hub/data.json'),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.exitCode, 4);
      assert.equal(error.file, '/hub/data.json');
      assert.match(error.message, pattern);
      return true;
    },
  );
};

test("the dummy hub's data.json and every provider's keys are accepted as written", () => {
  const raw = {
    dummy_data_local: { local: { path: '/tmp' } },
    mixed: { custom: { path: 'scripts/fetch.sh', args: '--fast', home: '/data' }, local: { path: '/srv', readwrite: 'true' }, minio: { endpoint: 'x' } },
  };
  assert.deepEqual(parseDataConfig(raw, 'data.json'), raw);
});

test('a data.json of the wrong shape names the file, the key path, the value and what is valid', () => {
  fails([], /^\/hub\/data\.json: invalid data config: \(top level\): expected an object of \{"<data name>"/);
  fails({ set: 'local' }, /set: expected an object of providers \(custom, local, minio, nas, aws\), found string "local"/);
  fails({ set: { local: { path: 42 } } }, /set\.local\.path: expected a string \(the source path\), found number 42/);
  fails({ set: { local: {} } }, /set\.local\.path: missing; expected a string \(the source path\)/);
  fails({ set: { local: { path: '/x', readwrite: 'yes' } } }, /set\.local\.readwrite: expected true or false, found string "yes"/);
  fails({ set: { lcoal: { path: '/x' } } }, /set\.lcoal: unknown provider 'lcoal' \(did you mean 'local'\?\); known: custom, local, minio, nas, aws/);
});
