import { test } from 'node:test';
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { applyDockerRunOptions, splitWords } from '../../../src/engines/docker/run-options.ts';
import { ConfigError } from '../../../src/core/errors.ts';

test('additional_docker_run_options: common docker run flags become Engine API fields', () => {
  const create: Docker.ContainerCreateOptions = { Env: ['A=1'], HostConfig: { CapAdd: ['SYS_PTRACE'] } };
  applyDockerRunOptions(
    `--shm-size 16g --ulimit memlock=-1:-1 -e "NAME=a b" --env=X=1 -v /data:/data:ro --device /dev/infiniband --cap-add=IPC_LOCK --privileged --security-opt label=disable -u 1000:1000`,
    create,
    'm',
  );
  assert.equal(create.HostConfig?.ShmSize, 16 * 1024 ** 3);
  assert.deepEqual(create.HostConfig?.Ulimits, [{ Name: 'memlock', Soft: -1, Hard: -1 }]);
  assert.deepEqual(create.Env, ['A=1', 'NAME=a b', 'X=1']);
  assert.deepEqual(create.HostConfig?.Binds, ['/data:/data:ro']);
  assert.deepEqual(create.HostConfig?.Devices, [{ PathOnHost: '/dev/infiniband', PathInContainer: '/dev/infiniband', CgroupPermissions: 'rwm' }]);
  assert.deepEqual(create.HostConfig?.CapAdd, ['SYS_PTRACE', 'IPC_LOCK']);
  assert.equal(create.HostConfig?.Privileged, true);
  assert.deepEqual(create.HostConfig?.SecurityOpt, ['label=disable']);
  assert.equal(create.User, '1000:1000');
});

test('additional_docker_run_options: unsupported flags, missing values and bad sizes are errors naming the model', () => {
  assert.throws(
    () => applyDockerRunOptions('--rm', {}, 'llama'),
    (e: unknown) => e instanceof ConfigError && /model llama: .*'--rm' is not supported .*supported: .*--shm-size/.test(e.message),
  );
  assert.throws(() => applyDockerRunOptions('--shm-size', {}, 'm'), /--shm-size needs a value/);
  assert.throws(() => applyDockerRunOptions('--shm-size lots', {}, 'm'), /expected a size/);
  assert.throws(() => splitWords(`-e "A=1`), /unterminated " quote/);
  assert.deepEqual(splitWords(`a 'b c' "d'e"`), ['a', 'b c', "d'e"]);
});
