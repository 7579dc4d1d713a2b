import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeValue, shortJson } from '../../../src/core/util/describe.ts';

test('describeValue: the kind and a short rendering of a bad value', () => {
  assert.equal(describeValue(null), 'null');
  assert.equal(describeValue([1, 'a']), 'a list');
  assert.equal(describeValue([1, 'a'], { listItems: true }), 'a list [1,"a"]');
  assert.equal(describeValue([1], { array: 'an array' }), 'an array');
  assert.equal(describeValue({ a: 1 }), 'an object');
  assert.equal(describeValue('AMD'), 'string "AMD"');
  assert.equal(describeValue(true), 'boolean true');
  assert.equal(describeValue(42, { article: true }), 'a number 42');
  assert.equal(describeValue('x'.repeat(100)), `string "${'x'.repeat(56)}...`);
});

test('describeValue hides values that may be secrets', () => {
  assert.equal(describeValue('hunter2', { hideValue: true, article: true }), 'a string');
  assert.equal(describeValue(['hunter2'], { hideValue: true, listItems: true }), 'a list');
});

test('shortJson cuts long values', () => {
  assert.equal(shortJson({ a: 1 }), '{"a":1}');
  assert.equal(shortJson(undefined), 'undefined');
  assert.equal(shortJson('y'.repeat(100), 10), '"yyyyyy...');
});
