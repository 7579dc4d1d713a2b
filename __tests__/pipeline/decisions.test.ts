/** The pipeline's own decisions: which executor runs, the context a `run --tags` builds with, the data config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateContext } from '../../src/core/context/validate.ts';
import { ConfigError, MadError } from '../../src/core/errors.ts';
import { memoryLogger } from '../helpers/logger.ts';
import { connectDocker } from '../../src/engines/docker/connection.ts';
import { contextForBuild } from '../../src/pipeline/build-context.ts';
import { chooseExecutor } from '../../src/pipeline/executor.ts';
import { loadDataConfig, loadSelection } from '../../src/pipeline/load.ts';
import { systemInfo } from '../helpers/system.ts';
import { repoRoot } from '../helpers/node.ts';

const noDaemon = () => connectDocker({ host: 'unix:///tmp/madengine-no-such-daemon.sock' });

test('executor: host is chosen without asking for a daemon; auto falls back to host; docker insists', async () => {
  let asked = 0;
  const host = await chooseExecutor('host', memoryLogger(), () => {
    asked++;
    return noDaemon();
  });
  assert.equal(host.executor.kind, 'host');
  assert.equal(asked, 0, 'no connection attempted for the host executor');

  const logger = memoryLogger();
  const auto = await chooseExecutor(undefined, logger, noDaemon);
  assert.equal(auto.executor.kind, 'host');
  assert.equal(auto.docker, undefined);
  assert.ok(
    logger.lines.some((line) => /executor: host \(no Docker daemon answers; picked automatically/.test(line)),
    logger.lines.join('\n'),
  );

  await assert.rejects(
    chooseExecutor('docker', memoryLogger(), noDaemon),
    (error: unknown) => error instanceof MadError && /madengine-no-such-daemon\.sock/.test(error.message),
  );
});

const system = systemInfo;

test('build context: the detected vendor unless the user chose one; the AMD architecture as a build arg unless set', () => {
  const nvidia = system({ gpuVendor: 'NVIDIA', gpuCount: 1, gpuArchitecture: 'NVIDIA H100' });
  const mi300 = system({ gpuVendor: 'AMD', gpuCount: 8, gpuArchitecture: 'gfx942' });
  const empty = validateContext({}, 'test').context;

  assert.equal(contextForBuild({}, empty, nvidia).gpu_vendor, 'NVIDIA', 'an NVIDIA machine builds its NVIDIA Dockerfiles');
  assert.equal(contextForBuild({}, empty, nvidia).docker_build_arg, undefined, 'no architecture build arg for NVIDIA');
  assert.equal(contextForBuild({}, empty, system({})).gpu_vendor, 'AMD', "no GPU: the schema's default stays");

  const chosen = { gpu_vendor: 'AMD' };
  assert.equal(contextForBuild(chosen, validateContext(chosen, 'test').context, nvidia).gpu_vendor, 'AMD', "the user's vendor wins over detection");

  assert.deepEqual(contextForBuild({}, empty, mi300).docker_build_arg, { MAD_SYSTEM_GPU_ARCHITECTURE: 'gfx942' });
  const pinned = { docker_build_arg: { MAD_SYSTEM_GPU_ARCHITECTURE: 'gfx90a', OTHER: 'x' } };
  assert.deepEqual(contextForBuild(pinned, validateContext(pinned, 'test').context, mi300).docker_build_arg, pinned.docker_build_arg);
  const other = { docker_build_arg: { OTHER: 'x' } };
  const merged = contextForBuild(other, validateContext(other, 'test').context, mi300);
  assert.deepEqual(merged.docker_build_arg, { OTHER: 'x', MAD_SYSTEM_GPU_ARCHITECTURE: 'gfx942' });
  assert.deepEqual(other.docker_build_arg, { OTHER: 'x' }, 'the input is not mutated');
});

test('data config: absent is fine, present is read relative to the hub, malformed names the file', async () => {
  const hub = await mkdtemp(path.join(tmpdir(), 'madengine-data-config-'));
  assert.equal(await loadDataConfig(hub), undefined);
  await writeFile(path.join(hub, 'data.json'), JSON.stringify({ mydata: { local: { path: '/data' } } }));
  assert.deepEqual(await loadDataConfig(hub), { mydata: { local: { path: '/data' } } });
  await writeFile(path.join(hub, 'other.json'), '{"x": ');
  await assert.rejects(loadDataConfig(hub, 'other.json'), (error: unknown) => error instanceof ConfigError && error.message.includes('other.json'));
});

test('selection: discovery runs once and no tags select nothing', async () => {
  const logger = memoryLogger();
  const hub = path.join(repoRoot, 'examples/mad');
  const none = await loadSelection(hub, [], logger);
  assert.ok(none.catalogue.models.length > 0);
  assert.deepEqual(none.selected, []);
  const some = await loadSelection(hub, ['dummy'], logger);
  assert.deepEqual(
    some.selected.map((entry) => entry.model.name),
    ['dummy'],
  );
  assert.equal(logger.lines.filter((line) => line === 'group: Discover models').length, 2, 'one discovery per call');
});
