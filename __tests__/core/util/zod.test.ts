import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { formatIssue, valueAt } from '../../../src/core/util/zod.ts';

const schema = z.looseObject({ name: z.string(), flags: z.array(z.boolean()).optional() });
const wording = { missing: (at: string) => `${at}: missing`, invalid: (at: string, value: unknown) => `${at}: bad ${JSON.stringify(value)}` };
const issues = (input: unknown) => schema.safeParse(input).error?.issues.map((issue) => formatIssue(issue, input, wording));

test('formatIssue tells a key left out from a value of the wrong type', () => {
  assert.deepEqual(issues({}), ['name: missing']);
  assert.deepEqual(issues({ name: 3 }), ['name: bad 3']);
  assert.deepEqual(issues({ name: 'x', flags: [true, 'no'] }), ['flags.1: bad "no"']);
  assert.deepEqual(issues([]), [': bad []']);
});

test('valueAt follows own keys and array indices only', () => {
  assert.equal(valueAt({ a: [{ b: 2 }] }, ['a', 0, 'b']), 2);
  assert.equal(valueAt({ a: {} }, ['a', 'toString']), undefined);
  assert.equal(valueAt({ a: 1 }, ['a', 'b']), undefined);
});
