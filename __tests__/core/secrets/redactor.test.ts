import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redactor, redact, withRedactedErrors } from '../../../src/core/secrets/redactor.ts';
import { ConfigError, ExitCode } from '../../../src/core/errors.ts';
import { redactingLogger } from '../../../src/core/log.ts';
import { memoryLogger } from '../../helpers/logger.ts';

/** Streams `chunks` through a fresh stream of `redactor` and returns everything it emitted. */
function streamed(redactor: Redactor, chunks: readonly (Buffer | string)[]): Buffer {
  const stream = redactor.stream();
  return Buffer.concat([...chunks.map((chunk) => stream.push(chunk)), stream.end()]);
}

test('redact replaces every occurrence, longest secret first; empty secrets are ignored', () => {
  assert.equal(redact('a hunter22 b hunter22hunter22', ['hunter22', '']), 'a *** b ******');
  assert.equal(redact('token=abcdef', ['abcd', 'abcdef']), 'token=***');
  assert.equal(new Redactor(['secret-1']).add(['other-2']).redact('secret-1 other-2'), '*** ***');
});

test('a secret split at any point between two chunks is redacted (regression: live output redacted chunk by chunk)', () => {
  const redactor = new Redactor(['pa55word-XYZ']);
  const text = 'login with pa55word-XYZ now\n';
  for (let cut = 0; cut <= text.length; cut++) {
    const out = streamed(redactor, [text.slice(0, cut), text.slice(cut)]).toString('utf8');
    assert.equal(out, 'login with *** now\n', `cut at ${cut}`);
  }
  // One byte per chunk, two secrets that share a prefix.
  const two = new Redactor(['abc123', 'abcXYZ9']);
  assert.equal(
    streamed(
      two,
      [...'x abcXYZ9 abc123 abc'].map((c) => c),
    ).toString(),
    'x *** *** abc',
  );
});

test('the stream holds back only a tail that could still become a secret, and emits it once it cannot', () => {
  const stream = new Redactor(['secret-value']).stream();
  assert.equal(stream.push('no secret here\n').toString(), 'no secret here\n');
  assert.equal(stream.push('value: secr').toString(), 'value: ');
  assert.equal(stream.push('ecy\n').toString(), 'secrecy\n');
  assert.equal(stream.push('secret-val').toString(), '');
  assert.equal(stream.end().toString(), 'secret-val');
});

test('an occurrence across the cut is not split between two redactions', () => {
  // "cd" is whole in the first chunk but straddles the cut made for the prefix "dab" of "dab9".
  const redactor = new Redactor(['cd12', 'dab9']);
  assert.equal(streamed(redactor, ['xxcd12dab', '9!']).toString(), 'xx******!');
  // Overlapping secrets: at every cut the stream gives what redacting the whole text gives.
  const overlapping = new Redactor(['abcdef', 'efgh', 'ghij']);
  const text = 'abcdefghij efghij';
  for (let cut = 0; cut <= text.length; cut++) assert.equal(streamed(overlapping, [text.slice(0, cut), text.slice(cut)]).toString(), overlapping.redact(text));
});

test('byte streams: a multi-byte UTF-8 secret split inside a character is redacted; other bytes pass unchanged', () => {
  const secret = 'clé-secrète-ü';
  const input = Buffer.concat([Buffer.from('a '), Buffer.from(secret, 'utf8'), Buffer.from(' b '), Buffer.from([0xff, 0xfe])]);
  const redactor = new Redactor([secret]);
  const expected = Buffer.concat([Buffer.from('a *** b '), Buffer.from([0xff, 0xfe])]);
  for (let cut = 0; cut <= input.length; cut++) {
    assert.deepEqual(streamed(redactor, [input.subarray(0, cut), input.subarray(cut)]), expected, `cut at byte ${cut}`);
  }
});

test('values added after the stream opened are redacted from then on', () => {
  const redactor = new Redactor();
  const stream = redactor.stream();
  assert.equal(stream.push('early-secret ').toString(), 'early-secret ');
  redactor.add(['late-secret']);
  assert.equal(Buffer.concat([stream.push('late-secret!'), stream.end()]).toString(), '***!');
});

test('errors leaving withRedactedErrors keep their class and exit code, with message and stack redacted', async () => {
  const redactor = new Redactor(['tok-1234']);
  const error = await withRedactedErrors(redactor, async () => {
    throw new ConfigError('bad login tok-1234');
  }).catch((e: unknown) => e);
  assert.ok(error instanceof ConfigError);
  assert.equal(error.exitCode, ExitCode.INVALID_ARGS);
  assert.equal(error.message, 'bad login ***');
  assert.doesNotMatch(error.stack ?? '', /tok-1234/);
  await assert.rejects(
    withRedactedErrors(redactor, async () => Promise.reject(new Error('x tok-1234'))),
    (e: Error) => e.message === 'x ***',
  );
});

test('redactingLogger redacts every kind of line and group titles', async () => {
  const logger = memoryLogger();
  const log = redactingLogger(logger, new Redactor(['tok-1234']));
  log.info('i tok-1234');
  log.warn('w tok-1234', { file: 'f' });
  log.error('e tok-1234');
  log.debug('d tok-1234');
  await log.group('g tok-1234', async () => {});
  assert.deepEqual(logger.lines, ['info: i ***', 'warn: w ***', 'error: e ***', 'debug: d ***', 'group: g ***']);
});
