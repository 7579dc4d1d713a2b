import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Docker from 'dockerode';
import type { ModelRunSpec } from '../../../src/core/run/executor.ts';
import { runSpec } from '../../helpers/run-spec.ts';
import { containerCreateOptions } from '../../../src/engines/docker/container-options.ts';

function spec(overrides: Partial<ModelRunSpec> = {}): ModelRunSpec {
  return runSpec({
    runId: 'run-42',
    image: 'ci-dummy_dummy.ubuntu.amd',
    hubDir: '/work/hub',
    env: { MAD_MODEL_NAME: 'dummy', QUOTED: `it's "$x" a b` },
    timeoutSeconds: 60,
    ...overrides,
  });
}

const withFuse = { exists: (p: string) => p === '/dev/fuse' };
const noDevices = { exists: () => false };

/** HostConfig.Devices is untyped in @types/dockerode. */
const devicesOf = (options: Docker.ContainerCreateOptions): Docker.DeviceMapping[] => (options.HostConfig?.Devices ?? []) as Docker.DeviceMapping[];

describe('containerCreateOptions', () => {
  test('AMD: madengine options, /dev/kfd and one renderD per assigned GPU', () => {
    const options = containerCreateOptions(spec({ gpus: { vendor: 'AMD', devices: [0, 3], renderMinors: [128, 152, 999] } }), withFuse);
    assert.equal(options.name, 'container_ci-dummy_dummy.ubuntu.amd_run-42');
    assert.equal(options.Image, 'ci-dummy_dummy.ubuntu.amd');
    assert.deepEqual(options.Cmd, ['cat']);
    assert.equal(options.Tty, true);
    assert.equal(options.User, 'root');
    assert.equal(options.WorkingDir, '/myworkspace');
    const host = options.HostConfig!;
    assert.equal(host.NetworkMode, 'host');
    assert.equal(host.IpcMode, 'host');
    assert.deepEqual(host.GroupAdd, ['video']);
    assert.deepEqual(host.CapAdd, ['SYS_PTRACE', 'SYS_ADMIN']);
    assert.deepEqual(host.SecurityOpt, ['seccomp=unconfined', 'apparmor=unconfined']);
    assert.deepEqual(
      devicesOf(options).map((d) => d.PathOnHost),
      ['/dev/fuse', '/dev/kfd', '/dev/dri/renderD128', '/dev/dri/renderD152'],
    );
    assert.ok(devicesOf(options).every((d) => d.PathInContainer === d.PathOnHost && d.CgroupPermissions === 'rwm'));
    assert.equal(host.DeviceRequests, undefined);
  });

  test('AMD: more GPUs than known render minors is a configuration error', () => {
    assert.throws(() => containerCreateOptions(spec({ gpus: { vendor: 'AMD', devices: [0, 1], renderMinors: [128] } }), withFuse), {
      name: 'ConfigError',
      message: /GPUs \[0, 1\] assigned but only 1 render minors known/,
    });
  });

  test('NVIDIA: SYS_NICE and a device request for exactly the assigned GPUs, no /dev/dri', () => {
    const options = containerCreateOptions(spec({ gpus: { vendor: 'NVIDIA', devices: [1, 2], renderMinors: [] } }), withFuse);
    const host = options.HostConfig!;
    assert.deepEqual(host.CapAdd, ['SYS_PTRACE', 'SYS_ADMIN', 'SYS_NICE']);
    assert.deepEqual(host.DeviceRequests, [{ Driver: 'nvidia', DeviceIDs: ['1', '2'], Capabilities: [['gpu']] }]);
    assert.deepEqual(
      devicesOf(options).map((d) => d.PathOnHost),
      ['/dev/fuse'],
    );
    assert.equal(host.GroupAdd, undefined);
    assert.equal(host.NetworkMode, 'host');
  });

  test('NONE: no GPU devices or requests, still host network and IPC', () => {
    const host = containerCreateOptions(spec(), noDevices).HostConfig!;
    assert.deepEqual(host.Devices, []);
    assert.equal(host.DeviceRequests, undefined);
    assert.equal(host.GroupAdd, undefined);
    assert.equal(host.NetworkMode, 'host');
    assert.equal(host.IpcMode, 'host');
  });

  test('/dev/fuse is passed only when the host has it', () => {
    assert.deepEqual(
      devicesOf(containerCreateOptions(spec({ gpus: { vendor: 'AMD', devices: [0], renderMinors: [128] } }), noDevices)).map((d) => d.PathOnHost),
      ['/dev/kfd', '/dev/dri/renderD128'],
    );
  });

  test('env values pass verbatim (no shell involved), labels name the run and the model', () => {
    const options = containerCreateOptions(spec(), noDevices);
    assert.deepEqual(options.Env, ['MAD_MODEL_NAME=dummy', `QUOTED=it's "$x" a b`]);
    assert.deepEqual(options.Labels, { 'org.madengine.run-id': 'run-42', 'org.madengine.model': 'dummy' });
  });

  test('an invalid env name is rejected with what would be valid', () => {
    assert.throws(() => containerCreateOptions(spec({ env: { 'BAD-NAME': 'x' } }), noDevices), {
      name: 'ConfigError',
      message: /'BAD-NAME' is invalid: expected letters, digits and _/,
    });
  });

  test('hub at /myworkspace read-write, data mounts with :ro when read-only', () => {
    const options = containerCreateOptions(
      spec({
        mounts: [
          { hostPath: '/data/set', containerPath: '/data', readOnly: true },
          { hostPath: '/scratch', containerPath: '/scratch', readOnly: false },
        ],
      }),
      noDevices,
    );
    assert.deepEqual(options.HostConfig!.Binds, ['/work/hub:/myworkspace', '/data/set:/data:ro', '/scratch:/scratch']);
  });

  test('relative or colon-containing mount paths are rejected', () => {
    assert.throws(() => containerCreateOptions(spec({ mounts: [{ hostPath: 'data', containerPath: '/data', readOnly: false }] }), noDevices), {
      name: 'ConfigError',
      message: /mount data: host path 'data' must be absolute/,
    });
    assert.throws(() => containerCreateOptions(spec({ hubDir: '/a:b' }), noDevices), {
      name: 'ConfigError',
      message: /model hub: host path '\/a:b' contains ':'/,
    });
  });

  test('cpuset with spaces removed; absent when not given', () => {
    assert.equal(containerCreateOptions(spec({ cpuset: '0-3, 8' }), noDevices).HostConfig!.CpusetCpus, '0-3,8');
    assert.equal(containerCreateOptions(spec(), noDevices).HostConfig!.CpusetCpus, undefined);
  });

  test('registry references and digests give madengine container names, with the run id at the end', () => {
    assert.equal(containerCreateOptions(spec({ image: 'rocm/tensorflow:latest' }), noDevices).name, 'container_rocm_tensorflow_latest_run-42');
    assert.equal(containerCreateOptions(spec({ image: 'reg:5000/ci-x@sha256:abc' }), noDevices).name, 'container_reg_5000_ci-x_run-42');
    assert.notEqual(containerCreateOptions(spec({ runId: 'run-43' }), noDevices).name, containerCreateOptions(spec(), noDevices).name);
  });

  test('no image is a configuration error', () => {
    const { image: _image, ...noImage } = spec();
    assert.throws(() => containerCreateOptions(noImage, noDevices), { name: 'ConfigError', message: /no image to run/ });
  });
});
