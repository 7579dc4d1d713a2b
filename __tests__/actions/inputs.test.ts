/** Each action reads exactly the inputs its action.yml declares; the root action declares run-local's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INPUT_NAMES as discover } from '../../src/actions/discover/inputs.ts';
import { INPUT_NAMES as buildMatrix } from '../../src/actions/build-matrix/inputs.ts';
import { INPUT_NAMES as buildPush } from '../../src/actions/build-push/inputs.ts';
import { INPUT_NAMES as runLocal } from '../../src/actions/run-local/inputs.ts';
import { actionMetadata } from '../helpers/action-runner.ts';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';

const declared = async (action: string): Promise<string[]> => {
  const { file } = await actionMetadata(action);
  return Object.keys((parseYaml(await readFile(file, 'utf8')) as { inputs: object }).inputs).sort();
};

test('every action reads the inputs of its action.yml, no more and no fewer', async () => {
  const read: Record<string, readonly string[]> = {
    discover,
    'build-matrix': buildMatrix,
    'build-push': buildPush,
    'run-local': runLocal,
    madengine: runLocal,
  };
  for (const [action, names] of Object.entries(read)) {
    assert.equal(new Set(names).size, names.length, `${action}: an input is read twice`);
    assert.deepEqual([...names].sort(), await declared(action), `${action}: INPUT_NAMES vs action.yml`);
  }
});

test('the root action runs the run-local bundle, so no bundle ships twice', async () => {
  assert.equal((await actionMetadata('madengine')).bundle, (await actionMetadata('run-local')).bundle);
});
