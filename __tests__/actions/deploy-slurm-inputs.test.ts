/** deploy-slurm's readInputs in-process, with action.yml's defaults as INPUT_* env the way the runner passes them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readInputs, type Inputs } from '../../src/actions/deploy-slurm/inputs.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { actionMetadata } from '../helpers/action-runner.ts';
import { withEnv } from '../helpers/toolkit-env.ts';

const WORKSPACE = '/work/space';

/** readInputs() with the action.yml defaults overlaid by `inputs` (an error is returned, not thrown). */
async function read(inputs: Record<string, string>): Promise<Inputs | Error> {
  const { defaults } = await actionMetadata('deploy-slurm');
  const env = Object.fromEntries(Object.entries({ ...defaults, ...inputs }).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]));
  return withEnv({ ...env, GITHUB_WORKSPACE: WORKSPACE }, async () => {
    try {
      return readInputs();
    } catch (error) {
      return error as Error;
    }
  });
}

function rejected(result: Inputs | Error, message: RegExp): void {
  assert.ok(result instanceof ConfigError, `expected a ConfigError, got ${result instanceof Error ? result.message : 'inputs'}`);
  assert.match(result.message, message);
}

test('manifest and manifest-artifact together are refused, naming both', async () => {
  rejected(
    await read({ manifest: 'build_manifest.json', 'manifest-artifact': 'manifest' }),
    /^inputs 'manifest' and 'manifest-artifact' cannot be used together$/,
  );
});

test('without a manifest, an artifact or tags there is nothing to deploy', async () => {
  rejected(await read({}), /^give 'manifest', 'manifest-artifact' or 'tags'$/);
  rejected(await read({ tags: ' , \n' }), /^give 'manifest', 'manifest-artifact' or 'tags'$/);
});

test('the defaults: no dry run, failures fail the step, perf.csv in the workspace uploaded under a derived name', async () => {
  const inputs = await read({ tags: 'dummy,dummy_fp16' });
  assert.ok(!(inputs instanceof Error), String(inputs));
  assert.deepEqual(inputs.tags, ['dummy', 'dummy_fp16']);
  assert.equal(inputs.dryRun, false);
  assert.equal(inputs.continueOnFailure, false);
  assert.equal(inputs.uploadArtifact, true);
  assert.equal(inputs.artifactName, undefined);
  assert.equal(inputs.output, path.join(WORKSPACE, 'perf.csv'));
  assert.equal(inputs.hubDir, WORKSPACE);
  assert.equal(inputs.manifest, undefined);
  assert.deepEqual(inputs.context, {});
});

test('dry-run is a boolean: true and false read as such, anything else names the input and the valid values', async () => {
  for (const [text, expected] of [
    ['true', true],
    ['True', true],
    ['false', false],
  ] as const) {
    const inputs = await read({ tags: 'dummy', 'dry-run': text });
    assert.ok(!(inputs instanceof Error), String(inputs));
    assert.equal(inputs.dryRun, expected, text);
  }
  rejected(await read({ tags: 'dummy', 'dry-run': 'yes please' }), /^input 'dry-run': got "yes please", expected true or false$/);
});

test('paths resolve against the workspace; the context input is kept as text for the pipeline to parse', async () => {
  const inputs = await read({
    manifest: 'out/build_manifest.json',
    hub: 'hub',
    output: 'results/perf.csv',
    'additional-context': '{"slurm": {"partition": "gpu"}}',
    'additional-context-file': 'ctx.json',
    registry: 'registry.example:5000',
    timeout: '600',
  });
  assert.ok(!(inputs instanceof Error), String(inputs));
  assert.equal(inputs.manifest, path.join(WORKSPACE, 'out/build_manifest.json'));
  assert.equal(inputs.hubDir, path.join(WORKSPACE, 'hub'));
  assert.equal(inputs.output, path.join(WORKSPACE, 'results/perf.csv'));
  assert.deepEqual(inputs.context, {
    text: '{"slurm": {"partition": "gpu"}}',
    textSource: "input 'additional-context'",
    file: path.join(WORKSPACE, 'ctx.json'),
  });
  assert.equal(inputs.registry, 'registry.example:5000');
  assert.equal(inputs.timeout, 600);
  assert.deepEqual(inputs.tags, []);
});

test('a manifest artifact alone is enough; a bad artifact name is refused up front', async () => {
  const inputs = await read({ 'manifest-artifact': 'manifest-0' });
  assert.ok(!(inputs instanceof Error), String(inputs));
  assert.equal(inputs.manifestArtifact, 'manifest-0');
  rejected(await read({ tags: 'dummy', 'artifact-name': 'perf: x' }), /^input 'artifact-name': artifact name "perf: x" contains ":"/);
});
