import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, fixtureFiles } from '../../fixtures/gpu/load.ts';
import { detectSystem, defaultRunner, KFD_NODES_DIR } from '../../../src/core/gpu/detect.ts';
import type { DetectDeps, ToolResult } from '../../../src/core/gpu/types.ts';

type Reply = ToolResult | (() => Promise<ToolResult>);
const ok = (stdout: string): ToolResult => ({ code: 0, stdout, stderr: '' });

/** A fake host: files (path -> content), commands ("cmd arg..." -> reply); everything else is absent. */
function fakeHost(files: Record<string, string>, commands: Record<string, Reply>, env: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin' }) {
  const calls: string[] = [];
  const paths = new Map(Object.entries(files));
  const deps: DetectDeps = {
    env,
    run: async (cmd, args) => {
      const key = [cmd, ...args].join(' ');
      calls.push(key);
      const reply = commands[key];
      if (reply === undefined) return { code: null, stdout: '', stderr: `spawn ${cmd} ENOENT` };
      return typeof reply === 'function' ? reply() : reply;
    },
    readFile: async (file) => {
      const content = paths.get(file);
      if (content === undefined) throw new Error(`ENOENT: ${file}`);
      return content;
    },
    readdir: async (dir) => {
      const prefix = dir.endsWith('/') ? dir : `${dir}/`;
      const names = new Set([...paths.keys()].filter((file) => file.startsWith(prefix)).map((file) => file.slice(prefix.length).split('/')[0]!));
      if (names.size === 0) throw new Error(`ENOENT: ${dir}`);
      return [...names];
    },
    exists: async (file) => paths.has(file),
  };
  return { deps, calls };
}

const kfd = (name: string): Record<string, string> => Object.fromEntries(fixtureFiles('kfd', name));
const BASE = { '/usr/bin/apt': '', '/proc/sys/kernel/numa_balancing': '0\n' };

describe('detectSystem: AMD with amd-smi (ROCm 6.4.1)', () => {
  const files = {
    ...BASE,
    ...kfd('mi300x-8gpu.txt'),
    '/opt/rocm/bin/amd-smi': '',
    '/opt/rocm/bin/rocm-smi': '',
    '/opt/rocm/bin/rocminfo': '',
    '/opt/rocm/.info/version': fixture('rocm-version', 'rocm6.4.1.txt'),
  };
  const commands = {
    '/opt/rocm/bin/amd-smi list': ok('GPU: 0\n    BDF: 0000:05:00.0\n'),
    '/opt/rocm/bin/amd-smi list --csv': ok(fixture('amd-smi-list-csv', 'mi300x-8gpu-rocm6.4.txt')),
    '/opt/rocm/bin/amd-smi list -e --json': ok(fixture('amd-smi-list-json', 'mi300x-8gpu-enum-rocm6.4.txt')),
    '/opt/rocm/bin/amd-smi static -g 0': ok(fixture('amd-smi-static', 'mi300x-gpu0-rocm6.4.txt')),
    '/opt/rocm/bin/rocminfo': ok(fixture('rocminfo', 'mi300x-8gpu-rocm6.4.txt')),
  };

  it('reports 8 MI300X GPUs with their render nodes', async () => {
    const { deps, calls } = fakeHost(files, commands);
    const info = await detectSystem(deps);
    assert.equal(info.gpuVendor, 'AMD');
    assert.equal(info.gpuCount, 8);
    assert.equal(info.gpuArchitecture, 'gfx942');
    assert.equal(info.gpuProductName, 'AMD Instinct MI300X');
    assert.equal(info.runtimeVersion, '6.4.1');
    assert.equal(info.rocmPath, '/opt/rocm');
    assert.deepEqual(info.renderDevices, [128, 136, 144, 152, 160, 168, 176, 184]);
    assert.equal(info.hostOs, 'HOST_UBUNTU');
    assert.equal(info.numaBalancing, '0');
    // amd-smi is preferred from 6.4.1 on: rocm-smi is never asked.
    assert.ok(!calls.some((call) => call.includes('rocm-smi')), calls.join('\n'));
  });

  it('uses amd-smi render names when KFD topology is unreadable', async () => {
    const noKfd = Object.fromEntries(Object.entries(files).filter(([file]) => !file.startsWith(KFD_NODES_DIR)));
    const { deps } = fakeHost(noKfd, commands);
    const info = await detectSystem(deps);
    assert.deepEqual(info.renderDevices, [128, 136, 144, 152, 160, 168, 176, 184]);
    assert.ok(
      info.notes.some((note) => note.startsWith('KFD topology not readable')),
      info.notes.join('\n'),
    );
  });

  it('maps amd-smi GPU index to render minor through KFD node ids, not node order', async () => {
    // MI210 host where amd-smi GPU 0 is KFD node 2 (renderD129) and GPU 1 is node 1 (renderD128).
    const mi210Kfd = {
      [`${KFD_NODES_DIR}/0/properties`]: 'cpu_cores_count 64\nsimd_count 0\ndrm_render_minor 0\n',
      [`${KFD_NODES_DIR}/1/properties`]: 'cpu_cores_count 0\nsimd_count 416\ngfx_target_version 90010\ndrm_render_minor 130\n',
      [`${KFD_NODES_DIR}/2/properties`]: 'cpu_cores_count 0\nsimd_count 416\ngfx_target_version 90010\ndrm_render_minor 131\n',
    };
    const { deps } = fakeHost(
      { ...BASE, ...mi210Kfd, '/opt/rocm/bin/amd-smi': '', '/opt/rocm/.info/version': '6.4.1-120\n' },
      {
        '/opt/rocm/bin/amd-smi list': ok(''),
        '/opt/rocm/bin/amd-smi list --csv': ok('gpu,gpu_bdf,gpu_uuid,kfd_id,node_id,partition_id\n0,a,b,1,2,0\n1,c,d,2,1,0\n'),
        '/opt/rocm/bin/amd-smi list -e --json': ok(fixture('amd-smi-list-json', 'mi210-2gpu-enum-with-warning.txt')),
        '/opt/rocm/bin/amd-smi static -g 0': ok(fixture('amd-smi-static', 'mi210-rocm7.txt')),
      },
    );
    const info = await detectSystem(deps);
    // KFD minors (130/131) win over amd-smi's own render names (129/128); GPU 0 -> node 2 -> 131.
    assert.deepEqual(info.renderDevices, [131, 130]);
    assert.equal(info.gpuProductName, 'AMD Instinct MI210');
    // No rocminfo: architecture falls back to KFD gfx_target_version.
    assert.equal(info.gpuArchitecture, 'gfx90a');
  });
});

describe('detectSystem: AMD with rocm-smi only (ROCm 6.0)', () => {
  const files = {
    ...BASE,
    ...kfd('mi250x-8gcd.txt'),
    '/opt/rocm-6.0.2/bin/rocm-smi': '',
    '/opt/rocm-6.0.2/bin/rocminfo': '',
    '/opt/rocm-6.0.2/bin/hipconfig': '',
  };
  const commands = {
    '/opt/rocm-6.0.2/bin/rocm-smi --showid': ok(''),
    '/opt/rocm-6.0.2/bin/rocm-smi --showid --csv': ok(fixture('rocm-smi-showid-csv', 'mi250x-8gcd-rocm6.0.txt')),
    '/opt/rocm-6.0.2/bin/rocm-smi --showproductname': ok(fixture('rocm-smi-productname', 'mi250x-8gcd-rocm6.0.txt')),
    '/opt/rocm-6.0.2/bin/rocm-smi --showuniqueid': ok(fixture('rocm-smi-uniqueid', 'mi250x-8gcd-rocm6.0.txt')),
    '/opt/rocm-6.0.2/bin/rocminfo': ok(fixture('rocminfo', 'mi250x-8gcd-rocm6.0.txt')),
    '/opt/rocm-6.0.2/bin/hipconfig --version': ok(fixture('hipconfig', 'rocm6.0.txt')),
  };

  it('finds the versioned ROCm root, counts 8 GCDs and maps unique ids to render nodes', async () => {
    const { deps } = fakeHost(files, commands);
    const info = await detectSystem(deps);
    assert.equal(info.rocmPath, '/opt/rocm-6.0.2');
    assert.equal(info.gpuVendor, 'AMD');
    assert.equal(info.gpuCount, 8);
    assert.equal(info.gpuArchitecture, 'gfx90a');
    assert.equal(info.gpuProductName, 'AMD Instinct MI250X');
    assert.equal(info.runtimeVersion, '6.0');
    assert.deepEqual(info.renderDevices, [128, 129, 130, 131, 132, 133, 134, 135]);
  });

  it('honours MAD_ROCM_PATH', async () => {
    const { deps } = fakeHost(files, commands, { PATH: '/usr/bin', MAD_ROCM_PATH: '/somewhere/rocm' });
    const info = await detectSystem(deps);
    assert.equal(info.gpuVendor, 'NONE');
    assert.ok(
      info.notes.some((note) => note.includes('/somewhere/rocm')),
      info.notes.join('\n'),
    );
  });

  it('falls back to KFD node order when rocm-smi unique ids are N/A', async () => {
    const { deps } = fakeHost(files, {
      ...commands,
      '/opt/rocm-6.0.2/bin/rocm-smi --showuniqueid': ok(fixture('rocm-smi-uniqueid', 'mi210-na-rocm6.3.txt')),
    });
    const info = await detectSystem(deps);
    assert.deepEqual(info.renderDevices, [128, 129, 130, 131, 132, 133, 134, 135]);
    assert.ok(
      info.notes.some((note) => note.includes('KFD node order')),
      info.notes.join('\n'),
    );
  });
});

describe('detectSystem: NVIDIA', () => {
  const files = { ...BASE, '/usr/bin/nvidia-smi': '', '/usr/local/cuda/bin/nvcc': '' };
  const commands = {
    '/usr/bin/nvidia-smi': ok(fixture('nvidia-smi', 'h100-sxm-8gpu-driver565.txt')),
    '/usr/bin/nvidia-smi -L': ok(fixture('nvidia-smi-L', 'h100-sxm-8gpu.txt')),
    '/usr/bin/nvidia-smi --query-gpu=name --format=csv,noheader,nounits -i 0': ok(fixture('nvidia-smi-query', 'h100-name-i0.txt')),
    '/usr/local/cuda/bin/nvcc --version': ok(fixture('nvcc', 'cuda-12.4.txt')),
  };

  it('reports 8 H100 GPUs, the product as architecture, CUDA from nvcc', async () => {
    const { deps } = fakeHost(files, commands);
    const info = await detectSystem(deps);
    assert.deepEqual(
      { ...info, notes: [] },
      {
        gpuVendor: 'NVIDIA',
        gpuCount: 8,
        gpuArchitecture: 'NVIDIA H100 80GB HBM3',
        gpuProductName: 'NVIDIA H100 80GB HBM3',
        runtimeVersion: '12.4',
        renderDevices: [],
        hostOs: 'HOST_UBUNTU',
        numaBalancing: '0',
        notes: [],
      },
    );
  });

  it('takes CUDA from the banner without nvcc and counts GPUs, not MIG devices', async () => {
    const { deps } = fakeHost(
      { ...BASE, '/usr/bin/nvidia-smi': '' },
      {
        '/usr/bin/nvidia-smi': ok(fixture('nvidia-smi', 'a100-driver515-cuda11.7.txt')),
        '/usr/bin/nvidia-smi -L': ok(fixture('nvidia-smi-L', 'a100-sxm4-80gb-mig.txt')),
      },
    );
    const info = await detectSystem(deps);
    assert.equal(info.gpuCount, 4);
    assert.equal(info.runtimeVersion, '11.7');
    assert.equal(info.gpuProductName, 'NVIDIA A100-SXM4-80GB');
    assert.ok(
      info.notes.some((note) => note.includes('nvidia-smi banner')),
      info.notes.join('\n'),
    );
  });

  it('treats nvidia-smi without a driver as no NVIDIA GPU', async () => {
    const { deps } = fakeHost(files, { '/usr/bin/nvidia-smi': { code: 9, stdout: fixture('nvidia-smi', 'no-driver.txt'), stderr: '' } });
    const info = await detectSystem(deps);
    assert.equal(info.gpuVendor, 'NONE');
    assert.equal(info.gpuCount, 0);
    assert.ok(
      info.notes.some((note) => note.includes("couldn't communicate with the NVIDIA driver")),
      info.notes.join('\n'),
    );
  });
});

describe('detectSystem: no GPU, failures and timeouts', () => {
  it('a machine without GPU tools reports NONE and does not throw', async () => {
    const { deps } = fakeHost({ '/usr/bin/yum': '' }, {});
    const info = await detectSystem(deps);
    assert.equal(info.gpuVendor, 'NONE');
    assert.equal(info.gpuCount, 0);
    assert.equal(info.gpuArchitecture, '');
    assert.deepEqual(info.renderDevices, []);
    assert.equal(info.hostOs, 'HOST_CENTOS');
    assert.equal(info.numaBalancing, undefined);
    assert.ok(info.notes.includes('No GPU detected: vendor NONE.'), info.notes.join('\n'));
  });

  it('ROCm installed on a machine without GPUs reports NONE', async () => {
    const { deps } = fakeHost(
      { '/opt/rocm/bin/amd-smi': '', '/opt/rocm/bin/rocm-smi': '', '/opt/rocm/bin/rocminfo': '' },
      {
        '/opt/rocm/bin/amd-smi list': { code: 255, stdout: '', stderr: 'ERROR:root:Unable to detect any GPU devices' },
        '/opt/rocm/bin/rocm-smi --showid': { code: 2, stdout: '', stderr: 'ERROR:root:Driver not initialized (amdgpu not found in modules)' },
        '/opt/rocm/bin/rocminfo': { code: 1, stdout: fixture('rocminfo', 'no-gpu.txt'), stderr: '' },
      },
    );
    const info = await detectSystem(deps);
    assert.equal(info.gpuVendor, 'NONE');
    assert.equal(info.hostOs, 'unknown');
    assert.ok(
      info.notes.some((note) => note.includes('amd-smi list') && note.includes('exited with 255')),
      info.notes.join('\n'),
    );
  });

  it('a tool that times out or throws is noted and the next source is used', async () => {
    const { deps } = fakeHost(
      { ...BASE, '/opt/rocm/bin/amd-smi': '', '/opt/rocm/bin/rocm-smi': '', ...kfd('mi300x-8gpu.txt') },
      {
        '/opt/rocm/bin/amd-smi list': ok(''),
        // Version unknown -> amd-smi first; it hangs, so rocm-smi counts.
        '/opt/rocm/bin/amd-smi list --csv': { code: null, stdout: '', stderr: 'timed out after 60000 ms' },
        '/opt/rocm/bin/rocm-smi --showid --csv': ok(fixture('rocm-smi-showid-csv', 'mi250x-8gcd-rocm6.0.txt')),
        '/opt/rocm/bin/amd-smi static -g 0': async () => {
          throw new Error('runner crashed');
        },
        '/opt/rocm/bin/rocm-smi --showproductname': ok(fixture('rocm-smi-productname', 'mi250x-8gcd-rocm6.0.txt')),
      },
    );
    const info = await detectSystem(deps);
    assert.equal(info.gpuVendor, 'AMD');
    assert.equal(info.gpuCount, 8);
    assert.equal(info.gpuProductName, 'AMD Instinct MI250X');
    assert.equal(info.runtimeVersion, '');
    assert.ok(
      info.notes.some((note) => note.includes('did not finish: timed out')),
      info.notes.join('\n'),
    );
    assert.ok(
      info.notes.some((note) => note.includes('runner crashed')),
      info.notes.join('\n'),
    );
  });

  it('the default runner bounds a hanging tool and reports a missing one', async () => {
    const run = defaultRunner(200);
    const hung = await run(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    assert.equal(hung.code, null);
    assert.match(hung.stderr, /timed out after 200 ms/);
    const missing = await run('/nonexistent/amd-smi', ['list']);
    assert.equal(missing.code, null);
    assert.match(missing.stderr, /ENOENT/);
  });
});
