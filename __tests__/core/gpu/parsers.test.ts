import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, fixtureFiles } from '../../fixtures/gpu/load.ts';
import {
  compareVersions,
  formatVersion,
  gfxTargetName,
  kfdUniqueIdHex,
  parseAmdSmiListCsv,
  parseAmdSmiListJson,
  parseAmdSmiStaticMarketName,
  parseHipconfigVersion,
  parseKfdProperties,
  parseNvccVersion,
  parseNvidiaSmiBanner,
  parseNvidiaSmiList,
  parseNvidiaSmiQuery,
  parseRocmSmiProductName,
  parseRocmSmiShowIdCsv,
  parseRocmSmiUniqueIds,
  parseRocminfo,
  parseRocmVersionFile,
} from '../../../src/core/gpu/parsers.ts';

describe('nvidia-smi -L', () => {
  it('lists 8 H100 SXM GPUs with names and UUIDs', () => {
    const gpus = parseNvidiaSmiList(fixture('nvidia-smi-L', 'h100-sxm-8gpu.txt'));
    assert.equal(gpus.length, 8);
    assert.deepEqual(gpus[0], { index: 0, name: 'NVIDIA H100 80GB HBM3', uuid: 'GPU-b42dd28e-ffdd-8720-1df0-98bd8cdc05b1' });
    assert.deepEqual(
      gpus.map((gpu) => gpu.index),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
  });
  it('does not count MIG child devices as GPUs', () => {
    const gpus = parseNvidiaSmiList(fixture('nvidia-smi-L', 'a100-sxm4-80gb-mig.txt'));
    assert.equal(gpus.length, 4);
    assert.equal(gpus[3]!.name, 'NVIDIA A100-SXM4-80GB');
  });
  it('reads consumer and old-style names', () => {
    assert.deepEqual(
      parseNvidiaSmiList(fixture('nvidia-smi-L', 'rtx3090-4gpu.txt')).map((gpu) => gpu.name),
      Array(4).fill('NVIDIA GeForce RTX 3090'),
    );
    const quadro = parseNvidiaSmiList(fixture('nvidia-smi-L', 'quadro-rtx4000-2gpu.txt'));
    assert.deepEqual(
      quadro.map((gpu) => gpu.name),
      ['Quadro RTX 4000', 'Quadro RTX 4000'],
    );
  });
  it('finds nothing in the no-driver message', () => {
    assert.deepEqual(parseNvidiaSmiList(fixture('nvidia-smi', 'no-driver.txt')), []);
  });
});

describe('nvidia-smi --query-gpu', () => {
  it('maps one value per requested field', () => {
    assert.deepEqual(parseNvidiaSmiQuery(fixture('nvidia-smi-query', 'h100-name-i0.txt'), ['name']), [{ name: 'NVIDIA H100 80GB HBM3' }]);
    assert.deepEqual(parseNvidiaSmiQuery(fixture('nvidia-smi-query', 'rtx4090-name-memory-driver.txt'), ['name', 'memory.total', 'driver_version']), [
      { name: 'NVIDIA GeForce RTX 4090', 'memory.total': '24564 MiB', driver_version: '550.54.14' },
    ]);
  });
  it('skips rows whose shape does not match (error text)', () => {
    assert.deepEqual(parseNvidiaSmiQuery(fixture('nvidia-smi', 'no-driver.txt'), ['name', 'memory.total']), []);
  });
});

describe('nvidia-smi banner and nvcc', () => {
  it('reads driver and CUDA versions from new and old banner layouts', () => {
    assert.deepEqual(parseNvidiaSmiBanner(fixture('nvidia-smi', 'h100-sxm-8gpu-driver565.txt')), {
      driverVersion: '565.57.01',
      cudaVersion: '12.7',
    });
    assert.deepEqual(parseNvidiaSmiBanner(fixture('nvidia-smi', 'a100-driver515-cuda11.7.txt')), {
      driverVersion: '515.65.01',
      cudaVersion: '11.7',
    });
    assert.deepEqual(parseNvidiaSmiBanner(fixture('nvidia-smi', 'no-driver.txt')), {});
  });
  it('reads the CUDA release from nvcc', () => {
    assert.equal(parseNvccVersion(fixture('nvcc', 'cuda-12.4.txt')), '12.4');
    assert.equal(parseNvccVersion(fixture('nvcc', 'cuda-10.0.txt')), '10.0');
    assert.equal(parseNvccVersion('bash: nvcc: command not found'), undefined);
  });
});

describe('rocminfo', () => {
  it('MI300X: 8 gfx942 agents after 2 CPU agents', () => {
    const info = parseRocminfo(fixture('rocminfo', 'mi300x-8gpu-rocm6.4.txt'));
    assert.equal(info.agents.length, 10);
    assert.equal(info.gpuAgents.length, 8);
    assert.equal(info.firstGfx, 'gfx942');
    assert.deepEqual(info.gpuAgents[0], {
      name: 'gfx942',
      marketingName: 'AMD Instinct MI300X',
      vendorName: 'AMD',
      deviceType: 'GPU',
      node: 2,
      uuid: 'GPU-3a5b1c2d4e6f7081',
    });
    assert.deepEqual(
      info.gpuAgents.map((agent) => agent.node),
      [2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.equal(info.agents[0]!.deviceType, 'CPU');
    assert.equal(info.rocmVersion, undefined);
  });
  it('MI250X, MI210 and W7900', () => {
    const mi250 = parseRocminfo(fixture('rocminfo', 'mi250x-8gcd-rocm6.0.txt'));
    assert.equal(mi250.firstGfx, 'gfx90a');
    assert.equal(mi250.gpuAgents.length, 8);
    assert.equal(mi250.gpuAgents[7]!.marketingName, 'AMD Instinct MI250X/MI250');
    const mi210 = parseRocminfo(fixture('rocminfo', 'mi210-2gpu-rocm6.3.txt'));
    assert.deepEqual([mi210.firstGfx, mi210.gpuAgents.length, mi210.gpuAgents[1]!.marketingName], ['gfx90a', 2, 'AMD Instinct MI210']);
    const w7900 = parseRocminfo(fixture('rocminfo', 'w7900-gfx1100.txt'));
    assert.deepEqual([w7900.firstGfx, w7900.gpuAgents.length, w7900.gpuAgents[0]!.marketingName], ['gfx1100', 1, 'AMD Radeon PRO W7900']);
  });
  it('no GPU: no agents, no gfx', () => {
    const info = parseRocminfo(fixture('rocminfo', 'no-gpu.txt'));
    assert.deepEqual(info, { agents: [], gpuAgents: [] });
  });
});

describe('amd-smi list', () => {
  it('--csv with kfd/node ids (CRLF rows, trailing blank line)', () => {
    const gpus = parseAmdSmiListCsv(fixture('amd-smi-list-csv', 'mi300x-8gpu-rocm6.4.txt'));
    assert.equal(gpus.length, 8);
    assert.deepEqual(gpus[0], {
      gpu: 0,
      bdf: '0000:05:00.0',
      uuid: 'c0ff74a1-0000-1000-80b1-06985c515c91',
      kfdId: '45412',
      nodeId: 2,
      partitionId: 0,
    });
    assert.deepEqual(
      gpus.map((gpu) => gpu.nodeId),
      [2, 3, 4, 5, 6, 7, 8, 9],
    );
  });
  it('--csv of older versions, after a warning line', () => {
    const gpus = parseAmdSmiListCsv(fixture('amd-smi-list-csv', 'mi300x-cpx-partial-rocm6.1.txt'));
    assert.equal(gpus.length, 8);
    assert.deepEqual(gpus[7], { gpu: 7, bdf: '0000:0c:00.0', uuid: 'c0ff74a1-0000-1000-80b1-06985c515c91' });
  });
  it('-e --json with render nodes', () => {
    const gpus = parseAmdSmiListJson(fixture('amd-smi-list-json', 'mi300x-8gpu-enum-rocm6.4.txt'));
    assert.equal(gpus.length, 8);
    assert.deepEqual(gpus[1], {
      gpu: 1,
      bdf: '0000:26:00.0',
      uuid: '57ff74a1-0000-1000-8018-8d3c45b2a7e0',
      kfdId: '59881',
      nodeId: 3,
      partitionId: 0,
      renderMinor: 136,
      hipId: 1,
    });
  });
  it('-e --json after a warning line, sorted by gpu', () => {
    const gpus = parseAmdSmiListJson(fixture('amd-smi-list-json', 'mi210-2gpu-enum-with-warning.txt'));
    assert.deepEqual(
      gpus.map((gpu) => [gpu.gpu, gpu.nodeId, gpu.renderMinor]),
      [
        [0, 2, 129],
        [1, 1, 128],
      ],
    );
  });
  it('returns nothing for non-JSON output', () => {
    assert.deepEqual(parseAmdSmiListJson('ERROR: amdgpu driver not loaded'), []);
    assert.deepEqual(parseAmdSmiListJson('[ truncated'), []);
  });
});

describe('amd-smi static', () => {
  it('reads MARKET_NAME', () => {
    assert.equal(parseAmdSmiStaticMarketName(fixture('amd-smi-static', 'mi300x-gpu0-rocm6.4.txt')), 'AMD Instinct MI300X');
    assert.equal(parseAmdSmiStaticMarketName(fixture('amd-smi-static', 'mi210-rocm7.txt')), 'AMD Instinct MI210');
    assert.equal(parseAmdSmiStaticMarketName(fixture('amd-smi-static', 'w7900-gfx1100.txt')), 'AMD Radeon PRO W7900');
    assert.equal(parseAmdSmiStaticMarketName('GPU: 0\n    ASIC:\n        MARKET_NAME: N/A\n'), undefined);
  });
});

describe('rocm-smi', () => {
  it('--showid --csv rows, new and old column sets', () => {
    const rows = parseRocmSmiShowIdCsv(fixture('rocm-smi-showid-csv', 'mi250x-8gcd-rocm6.0.txt'));
    assert.equal(rows.length, 8);
    assert.deepEqual(rows[0], {
      card: 0,
      values: {
        'Device Name': 'Aldebaran/MI200 [Instinct MI250X/MI250]',
        'Device ID': '0x740c',
        'Device Rev': '0x01',
        'Subsystem ID': '0x0b0c',
        GUID: '47438',
      },
    });
    const old = parseRocmSmiShowIdCsv(fixture('rocm-smi-showid-csv', 'mi100-2gpu-rocm5.0.txt'));
    assert.deepEqual(old, [
      { card: 0, values: { 'GPU ID': '0x738c' } },
      { card: 1, values: { 'GPU ID': '0x738c' } },
    ]);
  });
  it('--showproductname card series of a given GPU', () => {
    const text = fixture('rocm-smi-productname', 'mi250x-8gcd-rocm6.0.txt');
    assert.equal(parseRocmSmiProductName(text), 'AMD Instinct MI250X');
    assert.equal(parseRocmSmiProductName(text, 7), 'AMD Instinct MI250X');
    assert.equal(parseRocmSmiProductName(text, 8), undefined);
    assert.equal(parseRocmSmiProductName(fixture('rocm-smi-productname', 'mi100-rocm4.0.txt')), '0x738c');
  });
  it('--showuniqueid, with and without 0x, N/A skipped', () => {
    const ids = parseRocmSmiUniqueIds(fixture('rocm-smi-uniqueid', 'mi250x-8gcd-rocm6.0.txt'));
    assert.equal(ids.size, 8);
    assert.equal(ids.get(0), '18f68e602b8a790f');
    const old = parseRocmSmiUniqueIds(fixture('rocm-smi-uniqueid', 'radeon-vii-rocm3.3.txt'));
    assert.deepEqual(
      [...old.entries()],
      [
        [1, '592c190172fd5d41'],
        [2, 'c6f220c172dc76b2'],
      ],
    );
    assert.equal(parseRocmSmiUniqueIds(fixture('rocm-smi-uniqueid', 'mi210-na-rocm6.3.txt')).size, 0);
  });
});

describe('ROCm versions', () => {
  it('hipconfig keeps major.minor only (the third field is a build number)', () => {
    assert.deepEqual(parseHipconfigVersion(fixture('hipconfig', 'rocm6.0.txt')), { major: 6, minor: 0 });
    assert.deepEqual(parseHipconfigVersion(fixture('hipconfig', 'rocm6.4.1.txt')), { major: 6, minor: 4 });
    assert.equal(parseHipconfigVersion('hipconfig: not found'), undefined);
  });
  it('.info/version gives the full version', () => {
    assert.deepEqual(parseRocmVersionFile(fixture('rocm-version', 'rocm6.4.1.txt')), { major: 6, minor: 4, patch: 1 });
    assert.equal(formatVersion(parseRocmVersionFile(fixture('rocm-version', 'rocm6.0.2.txt'))!), '6.0.2');
  });
  it('compares with an unknown patch as 0', () => {
    assert.ok(compareVersions({ major: 6, minor: 4, patch: 1 }, { major: 6, minor: 4 }) > 0);
    assert.ok(compareVersions({ major: 6, minor: 3, patch: 9 }, { major: 6, minor: 4, patch: 1 }) < 0);
    assert.equal(compareVersions({ major: 7, minor: 0, patch: 0 }, { major: 7, minor: 0 }), 0);
  });
});

describe('KFD topology', () => {
  it('MI300X nodes: CPUs have render minor 0, GPUs 128 + 8n, gfx942, 64-bit unique ids', () => {
    const files = fixtureFiles('kfd', 'mi300x-8gpu.txt');
    const nodes = [...files.values()].map(parseKfdProperties);
    assert.equal(nodes.length, 10);
    assert.deepEqual(
      nodes.map((node) => node.drmRenderMinor),
      [0, 0, 128, 136, 144, 152, 160, 168, 176, 184],
    );
    assert.deepEqual(
      nodes.map((node) => node.isGpu),
      [false, false, true, true, true, true, true, true, true, true],
    );
    assert.equal(nodes[0]!.uniqueId, undefined);
    assert.equal(nodes[9]!.uniqueId, '18204577621935508831');
    assert.equal(gfxTargetName(nodes[2]!.gfxTargetVersion), 'gfx942');
  });
  it('MI250X unique ids match rocm-smi hex ids', () => {
    const files = fixtureFiles('kfd', 'mi250x-8gcd.txt');
    const node1 = parseKfdProperties(files.get('/sys/devices/virtual/kfd/kfd/topology/nodes/1/properties')!);
    assert.equal(kfdUniqueIdHex(node1.uniqueId!), '18f68e602b8a790f');
    assert.equal(gfxTargetName(node1.gfxTargetVersion), 'gfx90a');
  });
  it('gfx target names', () => {
    assert.equal(gfxTargetName(110000), 'gfx1100');
    assert.equal(gfxTargetName(90010), 'gfx90a');
    assert.equal(gfxTargetName(90402), 'gfx942');
    assert.equal(gfxTargetName(0), undefined);
  });
});
