/** Each action reads exactly the inputs its action.yml declares; the root action declares run-local's and the report's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INPUT_NAMES as discover } from '../../src/actions/discover/inputs.ts';
import { INPUT_NAMES as buildMatrix } from '../../src/actions/build-matrix/inputs.ts';
import { INPUT_NAMES as buildPush } from '../../src/actions/build-push/inputs.ts';
import { INPUT_NAMES as runLocal } from '../../src/actions/run-local/inputs.ts';
import { INPUT_NAMES as collectPerf } from '../../src/actions/collect-perf/inputs.ts';
import { INPUT_NAMES as oneStep } from '../../src/actions/one-step/inputs.ts';
import { INPUT_NAMES as deploySlurm } from '../../src/actions/deploy-slurm/inputs.ts';
import { actionMetadata, runActionBundle } from '../helpers/action-runner.ts';
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
    'collect-perf': collectPerf,
    'deploy-slurm': deploySlurm,
    madengine: oneStep,
  };
  for (const [action, names] of Object.entries(read)) {
    assert.equal(new Set(names).size, names.length, `${action}: an input is read twice`);
    assert.deepEqual([...names].sort(), await declared(action), `${action}: INPUT_NAMES vs action.yml`);
  }
});

test('the root action runs its own one-step bundle (run-local, then the report), and run-local its own', async () => {
  assert.match((await actionMetadata('madengine')).bundle, /dist\/one-step\/index\.mjs$/);
  assert.match((await actionMetadata('run-local')).bundle, /dist\/run-local\/index\.mjs$/);
});

/** An action run (from source) on a hub that does not exist: an input error must come first, before any discovery. */
const before = (action: string, inputs: Record<string, string>) => runActionBundle(action, { fromSource: true, inputs: { hub: 'no-such-hub', ...inputs } });

test('a bad boolean input fails before any work, naming the input and the valid values (issue 9 item 17)', async () => {
  const cases: [string, Record<string, string>, string][] = [
    ['run-local', { tags: 'dummy', 'continue-on-failure': 'maybe' }, 'continue-on-failure'],
    ['run-local', { tags: 'dummy', 'upload-artifact': 'nope' }, 'upload-artifact'],
    ['madengine', { 'keep-alive': 'ja' }, 'keep-alive'],
    ['build-push', { push: 'sometimes' }, 'push'],
    ['build-push', { 'clean-cache': '2' }, 'clean-cache'],
    ['deploy-slurm', { tags: 'dummy', 'dry-run': 'maybe' }, 'dry-run'],
  ];
  for (const [action, inputs, name] of cases) {
    const run = await before(action, inputs);
    assert.equal(run.exitCode, 1, `${action} ${name}`);
    assert.match(run.stdout, new RegExp(`^::error::input '${name}': got "${inputs[name]}", expected true or false$`, 'm'), run.stdout);
    assert.doesNotMatch(run.stdout, /no-such-hub|Discover models|Detect GPUs/, `${action}: nothing ran before the input was checked`);
  }
});

test('an artifact name the artifact service would reject fails before any work, not after every model ran', async () => {
  const run = await before('run-local', { tags: 'dummy', 'artifact-name': 'perf: run/1' });
  assert.equal(run.exitCode, 1);
  assert.match(run.stdout, /::error::input 'artifact-name': artifact name "perf: run\/1" contains ":", "\/"; an artifact name cannot contain any of /);
  assert.doesNotMatch(run.stdout, /no-such-hub|Detect GPUs/);
  const push = await before('build-push', { 'upload-artifact': 'manifest|x' });
  assert.match(push.stdout, /::error::input 'upload-artifact': artifact name "manifest\|x" contains "\|"/);
});

test('a timeout input too large for a timer is rejected up front, naming the input', async () => {
  const run = await before('run-local', { tags: 'dummy', timeout: '99999999999999999' });
  assert.equal(run.exitCode, 1);
  assert.match(run.stdout, /::error::input 'timeout' \d+: expected seconds \(1 to \d+\)/);
});

test('repeat and warmup inputs out of range are rejected up front, naming the input and the valid range', async () => {
  const repeat = await before('run-local', { tags: 'dummy', repeat: '0' });
  assert.equal(repeat.exitCode, 1);
  assert.match(repeat.stdout, /^::error::input 'repeat' 0: expected a whole number from 1 to 1000$/m, repeat.stdout);
  assert.doesNotMatch(repeat.stdout, /no-such-hub|Detect GPUs/);
  const warmup = await before('madengine', { warmup: 'two' });
  assert.equal(warmup.exitCode, 1);
  assert.match(warmup.stdout, /^::error::input 'warmup' "two": expected a whole number from 0 to 100$/m, warmup.stdout);
});
