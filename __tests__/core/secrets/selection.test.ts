import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { contextSecretVariables, MIN_SECRET_LENGTH, selectSecrets } from '../../../src/core/secrets/selection.ts';
import { Redactor } from '../../../src/core/secrets/redactor.ts';
import { loadCredentials, parseCredentials, secretValues } from '../../../src/core/registry/credentials.ts';

test('usernames, repositories, registries and emails are not secrets; passwords and tokens are (regression: everything was masked)', () => {
  const credentials = parseCredentials(
    JSON.stringify({
      dockerhub: { username: 'ci-bot', password: 'hub-pass-1', repository: 'org/ci' },
      'localhost:5001': { user: 'alice', password: 'reg-pass-2', registry: 'localhost:5001', email: 'a@example.com', serveraddress: 'x.io' },
      hf: { token: 'hf_tok_3', repo: 'org/model' },
    }),
  );
  assert.deepEqual(selectSecrets({ credentials }).values.sort(), ['hf_tok_3', 'hub-pass-1', 'reg-pass-2']);
  assert.deepEqual(secretValues(credentials).sort(), ['hf_tok_3', 'hub-pass-1', 'reg-pass-2']);
});

test('JSON numbers and booleans are not secrets, unless the key names one (regression: ::add-mask::3)', () => {
  const credentials = parseCredentials(
    '{"r": {"username": "u", "password": "pw-long-1", "port": 5000, "insecure": true, "retries": 3, "pin": 123456, "api_key": 987654}}',
  );
  assert.deepEqual(selectSecrets({ credentials }).values.sort(), ['987654', 'pw-long-1']);
  // The same digits as a JSON string are a secret: the JSON type decides, not the look of the value.
  assert.deepEqual(secretValues(parseCredentials('{"r": {"pin": "123456"}}')), ['123456']);
});

test('number marks survive the MAD_DOCKERHUB_* override and the spreads of the loaded credentials', async () => {
  const hub = await mkdtemp(path.join(tmpdir(), 'madengine-secrets-'));
  await writeFile(path.join(hub, 'credential.json'), '{"dockerhub": {"username": "x", "password": "y", "port": 5000}}');
  const credentials = { ...(await loadCredentials(hub, { MAD_DOCKERHUB_USER: 'hub-user', MAD_DOCKERHUB_PASSWORD: 'env-pass-9' })) };
  assert.deepEqual(selectSecrets({ credentials }).values, ['env-pass-9']);
});

test('every MAD_SECRETS* value of the environment and of the context is a secret', () => {
  const selection = selectSecrets({
    env: { MAD_SECRETS_HF: 'hf-env-value', OTHER: 'not-a-secret', MY_MAD_SECRETS: 'suffix-value' },
    contextEnv: [{ MAD_SECRETS_CTX: 'ctx-value-1', PLAIN: 'plain-value' }, undefined, { MAD_SECRETS_NULL: null }],
  });
  assert.deepEqual(selection.values.sort(), ['ctx-value-1', 'hf-env-value', 'suffix-value']);
  assert.deepEqual(selection.warnings, []);
});

test("the context's docker_build_arg MAD_SECRETS* values are secrets too (red team: one was printed in build_command)", () => {
  const context = {
    env_vars: { MAD_SECRETS_A: 'env-var-value' },
    docker_env_vars: { MAD_SECRETS_B: 'docker-env-value' },
    docker_build_arg: { MAD_SECRETS_CTX: 'CtxSecret999', PLAIN: 'plain' },
  };
  assert.deepEqual(selectSecrets({ contextEnv: contextSecretVariables(context) }).values.sort(), ['CtxSecret999', 'docker-env-value', 'env-var-value']);
});

test('a value too short to mask is not masked and gets one warning naming its key, never its value (regression: a one-letter user shredded logs)', () => {
  const credentials = parseCredentials('{"dockerhub": {"username": "q", "password": "zq9"}, "other": {"password": "zq9"}}');
  const selection = selectSecrets({ credentials, env: { MAD_SECRETS_X: 'kq', MAD_SECRETS_Y: 'kq' } });
  assert.deepEqual(selection.values, []);
  assert.equal(selection.warnings.length, 4);
  assert.match(selection.warnings[0]!, new RegExp(`^credential 'dockerhub.password' is shorter than ${MIN_SECRET_LENGTH} characters, so it is not masked`));
  assert.match(selection.warnings.join('\n'), /credential 'other\.password'.*\n.*MAD_SECRETS_X.*\n.*MAD_SECRETS_Y/);
  for (const warning of selection.warnings) assert.doesNotMatch(warning, /zq9|kq|'q'/);
  assert.deepEqual(selectSecrets({ env: { MAD_SECRETS_OK: 'abcd' } }).values, ['abcd']);
});

test('a multi-line secret is masked whole and line by line: a PEM key printed one line at a time stays hidden', () => {
  const pem = '-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\r\nab\n-----END KEY-----';
  const { values } = selectSecrets({ env: { MAD_SECRETS_KEY: pem } });
  assert.ok(values.includes(pem));
  assert.ok(values.includes('MIIBOgIBAAJBAKj34GkxFhD9'), 'a line of a CRLF value, without its \\r');
  assert.ok(values.includes('-----BEGIN KEY-----'));
  assert.ok(!values.includes('ab'), 'a line too short to mask is left alone');
  const redactor = new Redactor(values);
  assert.equal(redactor.redact('RuntimeError: second line only: MIIBOgIBAAJBAKj34GkxFhD9'), 'RuntimeError: second line only: ***');
});
