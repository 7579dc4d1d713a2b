import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError } from '../../../src/core/errors.ts';
import type { BuildPlan, PlannedBuild } from '../../../src/core/images/plan.ts';
import type { Model } from '../../../src/core/hub/model.ts';
import { modelSchema } from '../../../src/core/hub/model.ts';
import { buildMatrix } from '../../../src/core/matrix/build-matrix.ts';
import { parseGroupBy, parseMaxJobs, parseModelRecords, parseRunnerLabels } from '../../../src/core/matrix/inputs.ts';
import { labelKeysFor } from '../../../src/core/matrix/labels.ts';
import { MAX_MATRIX_BYTES } from '../../../src/core/matrix/pack.ts';
import { matrixModels, planMatrixModels } from '../../../src/core/matrix/plan.ts';
import { BuildError } from '../../../src/core/errors.ts';
import type { MatrixModel } from '../../../src/core/matrix/plan.ts';
import type { MatrixEntry } from '../../../src/core/matrix/group.ts';
import { repoRoot } from '../../helpers/node.ts';

const labels = (mapping: Record<string, unknown>) => parseRunnerLabels(mapping, 'runner-labels');

function mm(name: string, overrides: Partial<MatrixModel> = {}): MatrixModel {
  return { name, nGpus: '1', build: 'b1', image: `ci-${name}_x.amd`, dockerfile: 'docker/x.amd.Dockerfile', gpuVendor: 'AMD', ...overrides };
}

function allModels(include: readonly MatrixEntry[]): string[] {
  return include.flatMap((entry) => entry.models);
}

describe('parseModelRecords', () => {
  test('applies madengine defaults, keeps order and drops repeated names', () => {
    const models = parseModelRecords([{ name: 'a', n_gpus: 8 }, { name: 'b' }, { name: 'a', n_gpus: '1' }], "input 'models'");
    assert.deepEqual(
      models.map((m) => [m.name, m.n_gpus]),
      [
        ['a', '8'],
        ['b', '-1'],
      ],
    );
  });

  test('rejects what is not an array of model records, naming the input, item and key', () => {
    assert.throws(() => parseModelRecords({ name: 'a' }, "input 'models'"), /input 'models': expected a JSON array .*found an object/);
    assert.throws(() => parseModelRecords(['a'], "input 'models'"), /input 'models': item 0 must be a model record.*found string "a"/);
    assert.throws(() => parseModelRecords([{ name: 'a' }, { n_gpus: '1' }], "input 'models'"), /item 1: key 'name' is required/);
    assert.throws(
      () => parseModelRecords([{ name: 'x', n_gpus: true }], "input 'models'"),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /item 0 \(x\): key 'n_gpus': expected a string or a number/);
        return true;
      },
    );
  });
});

describe('inputs', () => {
  test('group-by: image by default, model on request, anything else named with a suggestion', () => {
    assert.equal(parseGroupBy(undefined, 'group-by'), 'image');
    assert.equal(parseGroupBy('Model', 'group-by'), 'model');
    assert.throws(() => parseGroupBy('imag', "input 'group-by'"), /input 'group-by': got 'imag', expected 'image' or 'model' \(did you mean 'image'\?\)/);
  });

  test('max-jobs: 1 to 256', () => {
    assert.equal(parseMaxJobs(256, 'max-jobs'), 256);
    assert.equal(parseMaxJobs(1, 'max-jobs'), 1);
    assert.throws(() => parseMaxJobs(257, "input 'max-jobs'"), /input 'max-jobs': got 257, expected a whole number from 1 to 256/);
    assert.throws(() => parseMaxJobs(0, 'max-jobs'), /got 0/);
    assert.throws(() => buildMatrix([mm('a')], { groupBy: 'model', runnerLabels: labels({ default: 'x' }), maxJobs: 300 }), /max-jobs: got 300/);
  });

  test('runner-labels: keys normalised, values a label or a list of labels', () => {
    const parsed = labels({ 'amd:08': 'mi300x-8', NVIDIA: ['self-hosted', ' h100 '], 'GPUS:2': 'two', CPU: 'ubuntu-latest', default: ['self-hosted'] });
    assert.deepEqual(
      [...parsed.entries()],
      [
        ['AMD:8', ['mi300x-8']],
        ['NVIDIA', ['self-hosted', 'h100']],
        ['gpus:2', ['two']],
        ['cpu', ['ubuntu-latest']],
        ['default', ['self-hosted']],
      ],
    );
  });

  test('runner-labels: bad keys, values and shapes fail naming the key and what is valid', () => {
    assert.throws(() => labels({ AMDD: 'x' }), /runner-labels: key 'AMDD' is not one of '<VENDOR>:<n_gpus>'.*\(did you mean 'AMD'\?\)/);
    assert.throws(() => labels({ 'INTEL:8': 'x' }), /key 'INTEL:8' is not one of/);
    assert.throws(() => labels({ 'gpus:many': 'x' }), /key 'gpus:many' is not one of/);
    assert.throws(() => labels({ cpu: '' }), /key 'cpu': expected a runner label or a non-empty list of labels/);
    assert.throws(() => labels({ cpu: [] }), /key 'cpu': expected a runner label/);
    assert.throws(() => labels({ cpu: ['a', 3] }), /key 'cpu': expected a runner label.*found an array/);
    assert.throws(() => labels({ 'AMD:8': 'a', 'amd:8': 'b' }), /keys 'AMD:8' and 'amd:8' mean the same thing/);
    assert.throws(() => labels({}), /the mapping is empty/);
    assert.throws(() => parseRunnerLabels(['self-hosted'], "input 'runner-labels'"), /input 'runner-labels': expected a JSON object.*found an array/);
  });

  test('label keys, most specific first', () => {
    assert.deepEqual(labelKeysFor('AMD', '8'), ['AMD:8', 'AMD', 'gpus:8', 'default']);
    assert.deepEqual(labelKeysFor('NVIDIA', '0'), ['NVIDIA:0', 'NVIDIA', 'gpus:0', 'cpu', 'default']);
    assert.deepEqual(labelKeysFor('', '-1'), ['gpus:-1', 'default']);
    assert.deepEqual(labelKeysFor('', '00'), ['gpus:0', 'cpu', 'default']);
  });
});

describe('runner label precedence', () => {
  const mapping = { 'AMD:8': 'amd8', AMD: 'amd', 'gpus:8': 'any8', 'gpus:2': 'any2', cpu: 'cpu', default: 'fallback' };
  const cases: [string, Partial<MatrixModel>, string][] = [
    ['vendor and count', { gpuVendor: 'AMD', nGpus: '8' }, 'amd8'],
    ['vendor', { gpuVendor: 'AMD', nGpus: '2' }, 'amd'],
    ['count', { gpuVendor: 'NVIDIA', nGpus: '8' }, 'any8'],
    ['count, no vendor', { gpuVendor: '', nGpus: '2' }, 'any2'],
    ['cpu', { gpuVendor: '', nGpus: '0' }, 'cpu'],
    ['default', { gpuVendor: 'NVIDIA', nGpus: '-1' }, 'fallback'],
  ];
  for (const [what, overrides, expected] of cases) {
    test(`${what} -> ${expected}`, () => {
      const { matrix } = buildMatrix([mm('m', overrides)], { groupBy: 'model', runnerLabels: labels(mapping) });
      assert.deepEqual(matrix.include[0]!['runs-on'], [expected]);
    });
  }

  test('a model no key matches fails, naming the model, the keys tried and the keys given', () => {
    const models = [mm('big', { nGpus: '8' }), mm('cpu-only', { nGpus: '0', gpuVendor: '' }), mm('ok', { gpuVendor: 'NVIDIA' })];
    assert.throws(
      () => buildMatrix(models, { groupBy: 'image', runnerLabels: labels({ NVIDIA: 'h100', 'gpus:1': 'one' }) }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /2 model\(s\) match no key \(keys given: NVIDIA, gpus:1\)/);
        assert.match(error.message, /- big \(AMD image, n_gpus 8; keys tried: AMD:8, AMD, gpus:8, default\)/);
        assert.match(error.message, /- cpu-only \(image with no GPU vendor, n_gpus 0; keys tried: gpus:0, cpu, default\)/);
        assert.doesNotMatch(error.message, /- ok/);
        return true;
      },
    );
  });
});

describe('grouping', () => {
  const runnerLabels = labels({ 'AMD:8': ['self-hosted', 'mi300x-8'], AMD: ['self-hosted', 'mi300x'], cpu: 'ubuntu-latest' });
  const models = [
    mm('a', { build: 'b1', image: 'ci-a_x.amd' }),
    mm('b', { build: 'b2', image: 'ci-b_y.amd', dockerfile: 'docker/y.amd.Dockerfile' }),
    mm('c', { build: 'b1', image: 'ci-c_x.amd', nGpus: '8' }),
    mm('d', { build: 'b1', image: 'ci-d_x.amd', nGpus: '4' }),
    mm('e', { build: 'b1', image: 'ci-e_x.amd', nGpus: '8' }),
  ];

  test('group-by image: one job per (image build, runs-on), in first-appearance order', () => {
    const { matrix, json, bytes, unpacked, packedBecause } = buildMatrix(models, { groupBy: 'image', runnerLabels });
    assert.deepEqual(
      matrix.include.map((e) => [e.name, e.tags, e.image, e.n_gpus, e['runs-on']]),
      [
        ['x.amd · 4 GPUs · 2 models', 'a,d', 'ci-a_x.amd', '4', ['self-hosted', 'mi300x']],
        ['y.amd · 1 GPU', 'b', 'ci-b_y.amd', '1', ['self-hosted', 'mi300x']],
        ['x.amd · 8 GPUs · 2 models', 'c,e', 'ci-c_x.amd', '8', ['self-hosted', 'mi300x-8']],
      ],
    );
    assert.deepEqual(matrix.include[0], {
      name: 'x.amd · 4 GPUs · 2 models',
      tags: 'a,d',
      models: ['a', 'd'],
      image: 'ci-a_x.amd',
      gpu_vendor: 'AMD',
      n_gpus: '4',
      'runs-on': ['self-hosted', 'mi300x'],
    });
    assert.equal(json, JSON.stringify({ include: matrix.include }));
    assert.equal(bytes, Buffer.byteLength(json));
    assert.equal(unpacked, 3);
    assert.equal(packedBecause, undefined);
  });

  test('group-by model: one job per model, in model order', () => {
    const { matrix } = buildMatrix(models, { groupBy: 'model', runnerLabels });
    assert.deepEqual(
      matrix.include.map((e) => [e.name, e.tags, e.models]),
      models.map((m) => [m.name, m.name, [m.name]]),
    );
    assert.deepEqual(matrix.include[2]!['runs-on'], ['self-hosted', 'mi300x-8']);
  });

  test('n_gpus "-1" is the largest request and CPU jobs are named cpu; repeated names get a number', () => {
    const cpuLabels = labels({ default: 'r' });
    const { matrix } = buildMatrix(
      [mm('a', { nGpus: '0' }), mm('b', { nGpus: '-1' }), mm('c', { build: 'b9', nGpus: '0' }), mm('d', { build: 'b8', nGpus: '0' })],
      { groupBy: 'image', runnerLabels: cpuLabels },
    );
    assert.deepEqual(
      matrix.include.map((e) => [e.name, e.n_gpus]),
      [
        ['x.amd · all GPUs · 2 models', '-1'],
        ['x.amd · cpu (1)', '0'],
        ['x.amd · cpu (2)', '0'],
      ],
    );
  });

  test('no models: an empty include list', () => {
    const result = buildMatrix([], { groupBy: 'image', runnerLabels });
    assert.equal(result.json, '{"include":[]}');
  });
});

describe('packing', () => {
  // 41 characters: 10,000 of them (twice each: models and tags) come to ~860 KB, so the per-job overhead decides.
  const longName = (i: number) => `family-${String(i % 97).padStart(2, '0')}/model-${String(i).padStart(5, '0')}-`.padEnd(41, 'x');

  test('10,000 models by model pack into 256 jobs, split between runners in proportion and dealt round-robin', () => {
    const models = Array.from({ length: 10_000 }, (_, i) => mm(`m${i}`, { build: `b${i}`, nGpus: i % 4 === 0 ? '8' : '1', image: `ci-m${i}_x.amd` }));
    const result = buildMatrix(models, { groupBy: 'model', runnerLabels: labels({ 'AMD:8': 'eight', AMD: 'one' }) });
    const { include } = result.matrix;
    assert.equal(include.length, 256);
    assert.equal(result.unpacked, 10_000);
    assert.equal(result.packedBecause, '10000 jobs exceed max-jobs 256');
    assert.deepEqual(new Set(allModels(include)), new Set(models.map((m) => m.name)));
    assert.equal(allModels(include).length, 10_000);
    const eight = include.filter((e) => e['runs-on'][0] === 'eight');
    const one = include.filter((e) => e['runs-on'][0] === 'one');
    assert.equal(eight.length, 64); // 2,500 of 10,000 models
    assert.equal(one.length, 192);
    for (const entry of eight) assert.ok(entry.models.every((name) => Number(name.slice(1)) % 4 === 0));
    // Round-robin: the first job of the 8-GPU runner has the 1st, 65th, 129th ... 8-GPU model.
    assert.deepEqual(eight[0]!.models.slice(0, 3), ['m0', 'm256', 'm512']);
    const sizes = include.map((e) => e.models.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `uneven jobs: ${Math.min(...sizes)}..${Math.max(...sizes)}`);
    assert.equal(eight[0]!.tags, eight[0]!.models.join(','));
    assert.equal(eight[0]!.n_gpus, '8');
    assert.equal(eight[0]!.image, 'ci-m0_x.amd');
    assert.equal(eight[0]!.name, 'eight 1/64 · 40 models');
    assert.equal(new Set(include.map((e) => e.name)).size, 256);
    assert.ok(result.bytes <= MAX_MATRIX_BYTES);
  });

  test('max-jobs below 256 is honoured', () => {
    const models = Array.from({ length: 30 }, (_, i) => mm(`m${i}`));
    const { matrix } = buildMatrix(models, { groupBy: 'model', runnerLabels: labels({ default: 'r' }), maxJobs: 7 });
    assert.equal(matrix.include.length, 7);
    assert.deepEqual(
      matrix.include.map((e) => e.models.length),
      [5, 5, 4, 4, 4, 4, 4],
    );
    assert.equal(allModels(matrix.include).length, 30);
  });

  test('at the size limit: 10,000 long-named models get fewer than 256 jobs so the JSON stays under 900 KB', () => {
    const models = Array.from({ length: 10_000 }, (_, i) => mm(longName(i), { build: `b${i % 400}`, image: `ci-${longName(i)}_x.amd` }));
    const byImage = buildMatrix(models, { groupBy: 'image', runnerLabels: labels({ default: ['self-hosted', 'linux'] }) });
    const { include } = byImage.matrix;
    assert.ok(byImage.bytes <= MAX_MATRIX_BYTES, `${byImage.bytes} bytes`);
    assert.equal(Buffer.byteLength(byImage.json), byImage.bytes);
    assert.equal(byImage.unpacked, 400);
    assert.match(byImage.packedBecause!, /^400 jobs exceed max-jobs 256; 256 jobs would pass the 900000-byte limit on the matrix JSON$/);
    assert.ok(include.length < 256 && include.length > 1, `${include.length} jobs`);
    assert.equal(allModels(include).length, 10_000);
    // The largest job count that fits: one more job would not.
    const oneMore = buildMatrix(models, { groupBy: 'image', runnerLabels: labels({ default: ['self-hosted', 'linux'] }), maxJobs: include.length + 1 });
    assert.equal(oneMore.matrix.include.length, include.length);
  });

  test('under 256 jobs but over the size limit: packed for size alone', () => {
    const huge = (i: number) => `m${i}-${'x'.repeat(2000)}`;
    const models = Array.from({ length: 200 }, (_, i) => mm(huge(i), { image: `ci-${huge(i)}_x.amd` }));
    const result = buildMatrix(models, { groupBy: 'model', runnerLabels: labels({ default: 'r' }) });
    assert.equal(result.packedBecause, '200 jobs would pass the 900000-byte limit on the matrix JSON');
    assert.ok(result.matrix.include.length < 200);
    assert.ok(result.bytes <= MAX_MATRIX_BYTES);
    assert.ok(result.matrix.include.every((e) => e.name.length <= 100));
    assert.equal(allModels(result.matrix.include).length, 200);
  });

  test('a custom byte limit is honoured', () => {
    const models = Array.from({ length: 50 }, (_, i) => mm(`m${i}`));
    const result = buildMatrix(models, { groupBy: 'model', runnerLabels: labels({ default: 'r' }), maxBytes: 3000 });
    assert.ok(result.bytes <= 3000 && result.matrix.include.length < 50);
  });

  test('more distinct runners than max-jobs fails with the numbers', () => {
    const models = Array.from({ length: 5 }, (_, i) => mm(`m${i}`, { nGpus: String(i + 1) }));
    const mapping = labels(Object.fromEntries(models.map((_, i) => [`gpus:${i + 1}`, `r${i}`])));
    assert.throws(
      () => buildMatrix(models, { groupBy: 'model', runnerLabels: mapping, maxJobs: 3 }),
      /at least 5 jobs \(one per distinct runs-on label set\) for 5 models, but max-jobs is 3/,
    );
  });

  test('a matrix over the size limit even at one job per runner fails with the numbers', () => {
    const models = Array.from({ length: 300 }, (_, i) => mm(`m${i}-${'y'.repeat(2000)}`));
    assert.throws(
      () => buildMatrix(models, { groupBy: 'model', runnerLabels: labels({ default: 'r' }) }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /the matrix for 300 models is \d{7} bytes even packed into 1 job\(s\).*over the 900000-byte limit/);
        return true;
      },
    );
  });
});

describe('from a build plan', () => {
  const model = (name: string, extra: Record<string, unknown> = {}): Model => modelSchema.parse({ name, dockerfile: 'docker/x', ...extra });
  const build = (id: string, gpuVendor: PlannedBuild['gpuVendor'], dockerfile: string, members: Model[]): PlannedBuild => ({
    id,
    dockerfile,
    contextDir: 'docker',
    buildArgs: {},
    cred: '',
    gpuVendor,
    images: members.map((m) => ({ image: `ci-${m.name}_${id}`, model: m, origin: { file: 'models.json', kind: 'root', index: 0 }, dockerfile, buildLog: '' })),
  });

  test('each model takes its first planned image; the result keeps the order of the models given', () => {
    const [a, b, c] = [model('a', { n_gpus: '2' }), model('b'), model('c', { n_gpus: 0 })];
    const plan: BuildPlan = {
      builds: [build('one', 'AMD', 'docker/x.amd.Dockerfile', [a, c]), build('two', 'NVIDIA', 'docker/x.nvidia.Dockerfile', [a, b])],
      models: 3,
      warnings: [],
    };
    assert.deepEqual(matrixModels([c, b, a], plan), [
      { name: 'c', nGpus: '0', build: 'one', image: 'ci-c_one', dockerfile: 'docker/x.amd.Dockerfile', gpuVendor: 'AMD' },
      { name: 'b', nGpus: '-1', build: 'two', image: 'ci-b_two', dockerfile: 'docker/x.nvidia.Dockerfile', gpuVendor: 'NVIDIA' },
      { name: 'a', nGpus: '2', build: 'one', image: 'ci-a_one', dockerfile: 'docker/x.amd.Dockerfile', gpuVendor: 'AMD' },
    ]);
  });

  test('a model whose only image was rejected fails the matrix with the rejection, not an internal error', () => {
    const [a, bad] = [model('a'), model('b')];
    const plan: BuildPlan = {
      builds: [build('one', 'AMD', 'docker/x.amd.Dockerfile', [a])],
      rejected: [{ model: 'b', dockerfile: 'docker/x y.Dockerfile', image: 'ci-b_x y', error: 'model b: image name ci-b_x y is invalid' }],
      models: 2,
      warnings: [],
    };
    assert.throws(
      () => matrixModels([a, bad], plan),
      (error: unknown) => error instanceof BuildError && error.message === 'model b: image name ci-b_x y is invalid',
    );
  });

  test('planMatrixModels reads the example hub: the context chooses the Dockerfiles and so the vendor', async () => {
    const hubDir = path.join(repoRoot, 'examples/mad');
    const models = parseModelRecords(
      [
        { name: 'dummy', dockerfile: 'docker/dummy', n_gpus: '0' },
        { name: 'dummy_ctx', dockerfile: 'docker/dummy_ctx', n_gpus: '0' },
        { name: 'dummy_fp16', dockerfile: 'docker/dummy', n_gpus: '0' },
      ],
      'models',
    );
    const amd = await planMatrixModels(models, { hubDir, context: { gpu_vendor: 'AMD', guest_os: 'UBUNTU' } });
    assert.deepEqual(
      amd.models.map((m) => [m.name, m.image, m.gpuVendor]),
      [
        ['dummy', 'ci-dummy_dummy.ubuntu.amd', 'AMD'],
        ['dummy_ctx', 'ci-dummy_ctx_dummy_ctx.noctx', ''],
        ['dummy_fp16', 'ci-dummy_fp16_dummy.ubuntu.amd', 'AMD'],
      ],
    );
    assert.equal(amd.models[0]!.build, amd.models[2]!.build);
    const nvidia = await planMatrixModels(models.slice(0, 1), { hubDir, context: { gpu_vendor: 'NVIDIA', guest_os: 'UBUNTU' } });
    assert.deepEqual(
      nvidia.models.map((m) => [m.image, m.gpuVendor]),
      [['ci-dummy_dummy.ubuntu.nvidia', 'NVIDIA']],
    );
  });

  test('planMatrixModels passes the models and context to the injected planner', async () => {
    const models = [model('a')];
    let seen: unknown;
    const result = await planMatrixModels(models, {
      hubDir: '/hub',
      context: { gpu_vendor: 'AMD' },
      plan: async (selected, options) => {
        seen = [selected.map((s) => s.model.name), options];
        return { builds: [build('one', 'AMD', 'docker/x.amd.Dockerfile', models)], models: 1, warnings: ['careful'] };
      },
    });
    assert.deepEqual(seen, [['a'], { hubDir: '/hub', context: { gpu_vendor: 'AMD' } }]);
    assert.deepEqual(result.warnings, ['careful']);
    assert.equal(result.models[0]!.image, 'ci-a_one');
  });
});
