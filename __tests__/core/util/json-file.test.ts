import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { MAX_JSON_DEPTH, jsonNestingFault, parseJsonText } from '../../../src/core/util/json-file.ts';
import { parsePythonLiteral } from '../../../src/core/util/pyliteral.ts';
import { parseContextText } from '../../../src/core/context/parse.ts';
import { discoverModels } from '../../../src/core/hub/discover.ts';
import { ConfigError } from '../../../src/core/errors.ts';

const DEEP = 200_000;

describe('deeply nested input (issue 9 item 9)', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'madengine-deep-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  for (const [what, text] of [
    ['unterminated', '['.repeat(DEEP)],
    ['well-formed', '['.repeat(DEEP) + ']'.repeat(DEEP)],
    ['inside an object on line 2', '{"a":\n' + '['.repeat(DEEP) + ']'.repeat(DEEP) + '}'],
  ] as const) {
    test(`${DEEP} nested '[' (${what}) is an error naming the file and where, not a stack overflow`, () => {
      assert.throws(
        () => parseJsonText(text, 'hub/models.json'),
        (error: Error) => {
          assert.equal(error.name, 'DiscoveryError');
          assert.match(error.message, /^hub\/models\.json:\d+:\d+: invalid JSON: lists and objects are nested more than 256 levels deep$/);
          return true;
        },
      );
    });
  }

  test('the position is the first bracket too deep; brackets in strings do not count', () => {
    const text = '{"a":\n' + '['.repeat(MAX_JSON_DEPTH + 5);
    assert.throws(() => parseJsonText(text, 'f.json', ConfigError), { name: 'ConfigError', message: new RegExp(`^f\\.json:2:${MAX_JSON_DEPTH}: `) });
    assert.equal(jsonNestingFault(`["${'['.repeat(1000)}", "\\"[[["]`), undefined);
    const ok = '['.repeat(MAX_JSON_DEPTH - 1) + '{}' + ']'.repeat(MAX_JSON_DEPTH - 1);
    assert.ok(Array.isArray(parseJsonText(ok, 'f.json')));
  });

  test('a Python literal that deep is a parse error, not a stack overflow', () => {
    assert.throws(() => parsePythonLiteral('['.repeat(DEEP)), { name: 'PythonLiteralError', message: /nested more than 256 levels deep/ });
    assert.throws(() => parsePythonLiteral('('.repeat(DEEP) + ')'.repeat(DEEP)), { name: 'PythonLiteralError' });
  });

  test('an additional context that deep is a ConfigError naming its source', () => {
    for (const text of ['{"a": ' + '['.repeat(DEEP) + ']'.repeat(DEEP) + '}', "{'a': " + '['.repeat(DEEP)]) {
      assert.throws(() => parseContextText(text, '--additional-context'), {
        name: 'ConfigError',
        message: /^--additional-context: invalid JSON \(or Python dict literal\) at line 1, column \d+.*nested more than 256 levels deep/,
      });
    }
  });

  test('discover reports a models.json that deep as a DiscoveryError naming it', async () => {
    writeFileSync(path.join(root, 'models.json'), '[' + '['.repeat(DEEP) + ']'.repeat(DEEP) + ']');
    await assert.rejects(discoverModels(root), { name: 'DiscoveryError', message: /models\.json:1:\d+: invalid JSON: lists and objects are nested/ });
  });
});
