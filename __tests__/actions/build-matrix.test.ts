import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runActionBundle } from '../helpers/action-runner.ts';
import { repoRoot } from '../helpers/node.ts';
import type { MatrixEntry } from '../../src/core/matrix/group.ts';

const hub = path.join(repoRoot, 'examples/mad');

/** The action's output is the core's matrix entry type, as JSON. */
type Entry = MatrixEntry;

function include(outputs: Record<string, string>): Entry[] {
  const matrix = JSON.parse(outputs.matrix!) as { include: Entry[] };
  assert.deepEqual(Object.keys(matrix), ['include']);
  assert.equal(outputs.count, String(matrix.include.length));
  return matrix.include;
}

describe('build-matrix action', () => {
  let models = '';
  let names: string[] = [];

  // Chained exactly as in a workflow: discover's `models` output is build-matrix's `models` input.
  before(async () => {
    const discover = await runActionBundle('discover', { inputs: { hub } });
    assert.equal(discover.exitCode, 0, discover.stdout + discover.stderr);
    models = discover.outputs.models!;
    names = (JSON.parse(models) as { name: string }[]).map((m) => m.name);
    assert.equal(names.length, 8);
  });

  test('group-by image (default): one job per image build, any self-hosted runner by default, and a summary table', async () => {
    const run = await runActionBundle('build-matrix', { inputs: { models, hub } });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const jobs = include(run.outputs);
    assert.deepEqual(jobs, [
      {
        name: 'dummy.ubuntu.amd · cpu · 7 models',
        tags: 'dummy,dummy_fp16,dummy_multi,dummy2/model1,dummy2/model2,dummy3/model3,dummy3/model4',
        models: ['dummy', 'dummy_fp16', 'dummy_multi', 'dummy2/model1', 'dummy2/model2', 'dummy3/model3', 'dummy3/model4'],
        image: 'ci-dummy_dummy.ubuntu.amd',
        gpu_vendor: 'AMD',
        n_gpus: '0',
        'runs-on': ['self-hosted'],
      },
      {
        name: 'dummy_ctx.noctx · cpu',
        tags: 'dummy_ctx',
        models: ['dummy_ctx'],
        image: 'ci-dummy_ctx_dummy_ctx.noctx',
        gpu_vendor: '',
        n_gpus: '0',
        'runs-on': ['self-hosted'],
      },
    ]);
    assert.match(run.summary, /<h3>madengine: 2 job\(s\) for 8 model\(s\)<\/h3>/);
    assert.match(run.summary, /<td>dummy_ctx\.noctx · cpu<\/td><td>self-hosted<\/td>/);
    assert.match(run.summary, /<td>dummy, dummy_fp16, dummy_multi, dummy2\/model1, dummy2\/model2, dummy3\/model3, dummy3\/model4<\/td>/);
  });

  test('group-by model: one job per model, its name as the tag', async () => {
    const run = await runActionBundle('build-matrix', { inputs: { models, hub, 'group-by': 'model' } });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const jobs = include(run.outputs);
    assert.deepEqual(
      jobs.map((j) => [j.name, j.tags, j.models]),
      names.map((n) => [n, n, [n]]),
    );
    assert.equal(jobs.find((j) => j.tags === 'dummy_fp16')!.image, 'ci-dummy_fp16_dummy.ubuntu.amd');
  });

  test('runner-labels: the most specific key wins, and the context decides the vendor', async () => {
    const runnerLabels = JSON.stringify({
      'AMD:8': ['self-hosted', 'mi300x-8'],
      AMD: ['self-hosted', 'mi300x'],
      nvidia: ['self-hosted', 'h100'],
      cpu: 'ubuntu-latest',
    });
    const amd = await runActionBundle('build-matrix', { inputs: { models, hub, 'runner-labels': runnerLabels } });
    assert.equal(amd.exitCode, 0, amd.stdout + amd.stderr);
    // The dummies' image is AMD's, and `AMD` is more specific than `cpu`; dummy_ctx's image has no vendor.
    assert.deepEqual(
      include(amd.outputs).map((j) => [j.tags.split(',')[0], j['runs-on']]),
      [
        ['dummy', ['self-hosted', 'mi300x']],
        ['dummy_ctx', ['ubuntu-latest']],
      ],
    );

    const nvidia = await runActionBundle('build-matrix', {
      inputs: { models, hub, 'runner-labels': runnerLabels, 'additional-context': "{'gpu_vendor': 'NVIDIA', 'guest_os': 'UBUNTU'}" },
    });
    assert.equal(nvidia.exitCode, 0, nvidia.stdout + nvidia.stderr);
    const [first] = include(nvidia.outputs);
    assert.equal(first!.image, 'ci-dummy_dummy.ubuntu.nvidia');
    assert.equal(first!.gpu_vendor, 'NVIDIA');
    assert.deepEqual(first!['runs-on'], ['self-hosted', 'h100']);
  });

  test('a model that no runner-labels key matches fails, naming the model and the keys', async () => {
    const run = await runActionBundle('build-matrix', { inputs: { models, hub, 'runner-labels': '{"NVIDIA": "h100", "AMD": "mi300x"}' } });
    assert.equal(run.exitCode, 1);
    assert.match(run.stdout, /::error::runner-labels: 1 model\(s\) match no key \(keys given: NVIDIA, AMD\)/);
    assert.match(run.stdout, /dummy_ctx \(image with no GPU vendor, n_gpus 0; keys tried: gpus:0, cpu, default\)/);
    assert.equal(run.outputs.matrix, undefined);
  });

  test('more jobs than max-jobs: models packed, per runner, into max-jobs jobs', async () => {
    const run = await runActionBundle('build-matrix', { inputs: { models, hub, 'group-by': 'model', 'max-jobs': '3' } });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    const jobs = include(run.outputs);
    assert.equal(jobs.length, 3);
    // Dealt round-robin in discover's order, so each job gets a similar share.
    assert.deepEqual(
      jobs.map((j) => j.models),
      [
        ['dummy', 'dummy_ctx', 'dummy3/model3'],
        ['dummy_fp16', 'dummy2/model1', 'dummy3/model4'],
        ['dummy_multi', 'dummy2/model2'],
      ],
    );
    assert.deepEqual(
      jobs.map((j) => j.name),
      ['self-hosted 1/3 · 3 models', 'self-hosted 2/3 · 3 models', 'self-hosted 3/3 · 2 models'],
    );
    assert.equal(jobs[0]!.gpu_vendor, 'AMD'); // dummy_ctx's image has none
    assert.match(run.stdout, /Packed 8 jobs into 3: 8 jobs exceed max-jobs 3/);
    assert.match(run.summary, /Packed 8 jobs into 3/);
  });

  test('over the limits: max-jobs above 256, and more runners than max-jobs, fail with the numbers', async () => {
    const tooMany = await runActionBundle('build-matrix', { inputs: { models, hub, 'max-jobs': '300' } });
    assert.equal(tooMany.exitCode, 1);
    assert.match(tooMany.stdout, /::error::input 'max-jobs': got 300, expected a whole number from 1 to 256/);

    const runners = await runActionBundle('build-matrix', {
      inputs: { models, hub, 'max-jobs': '1', 'runner-labels': '{"AMD": "mi300x", "cpu": "ubuntu-latest"}' },
    });
    assert.equal(runners.exitCode, 1);
    assert.match(runners.stdout, /needs at least 2 jobs \(one per distinct runs-on label set\) for 8 models, but max-jobs is 1/);
  });

  test('malformed and missing inputs fail with a message naming the input', async () => {
    const notJson = await runActionBundle('build-matrix', { inputs: { models: '{not json', hub } });
    assert.equal(notJson.exitCode, 1);
    assert.match(notJson.stdout, /::error::input 'models' is not valid JSON/);

    const missing = await runActionBundle('build-matrix', { inputs: { hub } });
    assert.equal(missing.exitCode, 1);
    assert.match(missing.stdout, /::error::input 'models' is required/);

    const notArray = await runActionBundle('build-matrix', { inputs: { models: '{"name": "dummy"}', hub } });
    assert.equal(notArray.exitCode, 1);
    assert.match(notArray.stdout, /::error::input 'models': expected a JSON array of model records/);

    const badLabels = await runActionBundle('build-matrix', { inputs: { models, hub, 'runner-labels': '["self-hosted"' } });
    assert.equal(badLabels.exitCode, 1);
    assert.match(badLabels.stdout, /::error::input 'runner-labels' is not valid JSON/);

    const badKey = await runActionBundle('build-matrix', { inputs: { models, hub, 'runner-labels': '{"GPU": "x"}' } });
    assert.equal(badKey.exitCode, 1);
    assert.match(badKey.stdout, /::error::input 'runner-labels': key 'GPU' is not one of/);

    const badGroup = await runActionBundle('build-matrix', { inputs: { models, hub, 'group-by': 'images' } });
    assert.equal(badGroup.exitCode, 1);
    assert.match(badGroup.stdout, /input 'group-by': got 'images', expected 'image' or 'model' \(did you mean 'image'\?\)/);
  });

  test('a model whose Dockerfile is missing from the hub fails naming the model', async () => {
    const run = await runActionBundle('build-matrix', { inputs: { models: '[{"name": "ghost", "dockerfile": "docker/ghost"}]', hub } });
    assert.equal(run.exitCode, 1);
    assert.match(run.stdout, /::error::model ghost has no Dockerfile/);
  });

  test('no models: an empty matrix, a count of 0 and a warning', async () => {
    const run = await runActionBundle('build-matrix', { inputs: { models: '[]', hub } });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.matrix, '{"include":[]}');
    assert.equal(run.outputs.count, '0');
    assert.ok(
      run.annotations.some((a) => /^::warning::No models given/.test(a)),
      run.annotations.join('\n'),
    );
  });
});

test('a JSON input nested 200,000 levels deep is an error naming the input, not a stack overflow', async () => {
  const { jsonInput } = await import('../../src/actions/common-inputs.ts');
  const { inputReader } = await import('../../src/github/inputs.ts');
  process.env.INPUT_MODELS = '['.repeat(200_000);
  try {
    assert.throws(
      () => jsonInput(inputReader(['models'] as const), 'models'),
      (error: unknown) =>
        error instanceof Error && /^input 'models' is not valid JSON: at 1:\d+: invalid JSON: .*nested more than 256 levels/.test(error.message),
    );
  } finally {
    delete process.env.INPUT_MODELS;
  }
});
