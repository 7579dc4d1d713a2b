import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageStatus } from '../../src/cli/commands/build.ts';

test("build table STATUS: a batch manifest's build_new: false entry is 'referenced', never 'reused (undefined)'", () => {
  assert.equal(imageStatus({ reused: false }), 'built');
  assert.equal(imageStatus({ reused: true, reused_from: 'local' }), 'reused (local)');
  assert.equal(imageStatus({ reused: true, reused_from: 'registry' }), 'reused (registry)');
  assert.equal(imageStatus({ reused: true }), 'referenced (not rebuilt)');
});
