import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, RunError } from '../../../src/core/errors.ts';
import { resolveGpuCount, selectGpus } from '../../../src/core/gpu/gpu-count.ts';
import { parseIndexRanges } from '../../../src/core/context/ranges.ts';
import { madEnvFromSystem, skipArchName } from '../../../src/core/gpu/env.ts';
import type { SystemInfo } from '../../../src/core/gpu/types.ts';

const system8 = { gpuCount: 8 };

describe('resolveGpuCount', () => {
  it('defaults to 1, then the model, with -1 meaning all GPUs', () => {
    assert.deepEqual(resolveGpuCount({}, {}, system8), { requested: 1, count: 1, source: 'default' });
    assert.deepEqual(resolveGpuCount({ n_gpus: '2' }, {}, system8), { requested: 2, count: 2, source: 'model.n_gpus' });
    assert.deepEqual(resolveGpuCount({ n_gpus: '-1' }, {}, system8), { requested: -1, count: 8, source: 'model.n_gpus' });
  });
  it('uses the first alias in priority order', () => {
    assert.equal(resolveGpuCount({ ngpus: 3, n_gpus: '2', gpus_per_node: 4 }, {}, system8).source, 'model.gpus_per_node');
    assert.equal(resolveGpuCount({ num_gpus: 3, ngpus: 5 }, {}, system8).count, 3);
  });
  it('runtime override > slurm > k8s > model', () => {
    const model = { n_gpus: '1' };
    const slurm = { slurm: { gpus_per_node: 8 }, k8s: { gpu_count: 2 } };
    assert.deepEqual(resolveGpuCount(model, { ...slurm, gpus_per_node: 4 }, system8), {
      requested: 4,
      count: 4,
      source: 'additional_context.gpus_per_node',
    });
    assert.equal(resolveGpuCount(model, { deployment_config: { n_gpus: 6 }, ...slurm }, system8).source, 'additional_context.deployment_config.n_gpus');
    assert.deepEqual(resolveGpuCount(model, slurm, system8), { requested: 8, count: 8, source: 'slurm.gpus_per_node' });
    assert.deepEqual(resolveGpuCount(model, { kubernetes: { gpu_count: 2 } }, system8), { requested: 2, count: 2, source: 'k8s.gpu_count' });
    assert.equal(resolveGpuCount(model, { deployment_config: { slurm: { gpus_per_node: 5 } } }, system8).count, 5);
  });
  it('rejects values that are not whole numbers >= -1, naming where they are', () => {
    assert.throws(
      () => resolveGpuCount({ n_gpus: 'eight' }, {}, system8),
      (error: unknown) => error instanceof ConfigError && /"eight" at 'model\.n_gpus'/.test(error.message),
    );
    assert.throws(() => resolveGpuCount({}, { slurm: { gpus_per_node: -2 } }, system8), /slurm\.gpus_per_node/);
    assert.throws(() => resolveGpuCount({}, { gpu_count: 1.5 }, system8), ConfigError);
  });
});

describe('selectGpus and docker_gpus', () => {
  /** How the run phase reads docker_gpus. */
  const parseDockerGpus = (spec: string): number[] => parseIndexRanges(spec, 'docker_gpus');

  it('parses madengine docker_gpus ranges', () => {
    assert.deepEqual(parseDockerGpus('0,2-4,5-5,7'), [0, 2, 3, 4, 5, 7]);
    assert.deepEqual(parseDockerGpus('3, 1,1'), [1, 3]);
    assert.throws(
      () => parseDockerGpus('0,a'),
      (error: unknown) => error instanceof ConfigError && /'a' is not an index/.test(error.message),
    );
    assert.throws(() => parseDockerGpus('4-2'), ConfigError);
  });
  it('takes the first N listed GPUs, all of them for -1', () => {
    assert.deepEqual(selectGpus(undefined, 2, system8), [0, 1]);
    assert.deepEqual(selectGpus([2, 3, 5], -1, system8), [2, 3, 5]);
    assert.deepEqual(selectGpus([4, 6], 1, system8), [4]);
    assert.deepEqual(selectGpus(undefined, -1, { gpuCount: 0 }), []);
  });
  it("fails with madengine's message when too many are requested", () => {
    assert.throws(
      () => selectGpus(undefined, 16, system8),
      (error: unknown) => error instanceof RunError && error.message === 'Too many gpus requested(16). System has 8 gpus. Context has 8 gpus.',
    );
    assert.throws(() => selectGpus([0, 1], 4, system8), {
      message: 'Too many gpus requested(4). System has 8 gpus. Context has 2 gpus.',
    });
  });
});

describe('madEnvFromSystem and skipArchName', () => {
  const amd: SystemInfo = {
    gpuVendor: 'AMD',
    gpuCount: 8,
    gpuArchitecture: 'gfx942',
    gpuProductName: 'AMD Instinct MI300X',
    runtimeVersion: '6.4.1',
    renderDevices: [128],
    hostOs: 'HOST_UBUNTU',
    notes: [],
  };
  it('exports the MAD_* variables, HIP version as major.minor', () => {
    assert.deepEqual(madEnvFromSystem(amd), {
      MAD_GPU_VENDOR: 'AMD',
      MAD_SYSTEM_NGPUS: '8',
      MAD_SYSTEM_GPU_ARCHITECTURE: 'gfx942',
      MAD_SYSTEM_HIP_VERSION: '6.4',
      MAD_SYSTEM_GPU_PRODUCT_NAME: 'AMD Instinct MI300X',
    });
    const none = madEnvFromSystem({ ...amd, gpuVendor: 'NONE', gpuCount: 0, gpuArchitecture: '', gpuProductName: '', runtimeVersion: '' });
    assert.equal(none.MAD_SYSTEM_NGPUS, '0');
    assert.equal(none.MAD_SYSTEM_HIP_VERSION, '');
  });
  it('normalises NVIDIA names like madengine, leaves gfx names alone', () => {
    assert.equal(skipArchName('NVIDIA A100-SXM4-40GB'), 'A100');
    assert.equal(skipArchName('NVIDIA H100 80GB HBM3'), 'H100');
    assert.equal(skipArchName('NVIDIA GeForce RTX 3090'), 'GeForce');
    assert.equal(skipArchName('gfx942'), 'gfx942');
    assert.equal(skipArchName('Quadro RTX 4000'), 'Quadro RTX 4000');
    assert.equal(skipArchName('NVIDIA'), 'NVIDIA');
  });
});
