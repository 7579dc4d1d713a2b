/** redactStrings: the build phase's last guard before its results are written or handed on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactStrings } from '../../../src/core/build/redact-manifest.ts';
import { Redactor } from '../../../src/core/secrets/redactor.ts';

test('every string value at any depth is redacted; keys, numbers, booleans and null stay; the input is not changed', () => {
  const manifest = {
    built_images: {
      'ci-m1': { build_command: 'docker build --build-arg PLAIN=pw-987654 docker', build_duration: 1.5, reused: false, models: ['m1', 'pw-987654'] },
    },
    context: { docker_build_arg: { PLAIN: 'pw-987654' }, debug: null },
  };
  const redacted = redactStrings(manifest, new Redactor(['pw-987654']));
  assert.deepEqual(redacted, {
    built_images: { 'ci-m1': { build_command: 'docker build --build-arg PLAIN=*** docker', build_duration: 1.5, reused: false, models: ['m1', '***'] } },
    context: { docker_build_arg: { PLAIN: '***' }, debug: null },
  });
  assert.equal(manifest.context.docker_build_arg.PLAIN, 'pw-987654');
});
