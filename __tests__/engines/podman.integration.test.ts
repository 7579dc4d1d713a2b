/**
 * The same build and run code against podman's Docker-compatible API (`podman system service`,
 * started by scripts/test-infra.sh): build, reuse, run in a container, nothing left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { memoryLogger } from '../helpers/logger.ts';
import { connectDocker, ensureDocker } from '../../src/engines/docker/connection.ts';
import { buildModels } from '../../src/pipeline/build.ts';
import { infraEnv } from '../helpers/infra.ts';
import { cliFromSource, repoRoot } from '../helpers/node.ts';

test('podman: build, reuse and run the example hub through the Docker-compatible API', async (t) => {
  const podmanHost = infraEnv()?.podmanHost;
  if (!podmanHost) {
    const message = 'podman service not up (bash scripts/test-infra.sh up starts it)';
    if (process.env.MADENGINE_REQUIRE_INFRA === '1') throw new Error(message);
    return t.skip(message);
  }
  const podman = await connectDocker({ host: podmanHost });
  const info = await ensureDocker(podman);
  assert.equal(info.podman, true, 'the engine identifies itself as podman');

  const work = await mkdtemp(path.join(tmpdir(), 'madengine-podman-'));
  try {
    const hub = path.join(work, 'hub');
    await cp(path.join(repoRoot, 'examples/mad'), hub, { recursive: true });
    await writeFile(path.join(hub, 'docker/stamp.txt'), `podman ${Date.now()}\n`);
    const build = (): ReturnType<typeof buildModels> =>
      buildModels({
        hubDir: hub,
        tags: ['dummy', 'dummy_fp16', 'dummy_ctx'],
        context: {},
        docker: podman,
        manifestOutput: path.join(work, 'build_manifest.json'),
        logger: memoryLogger(),
      });
    const first = await build();
    assert.equal(first.exitCode, 0, JSON.stringify(first.failedBuilds));
    assert.equal(first.built, 2, 'dummy and dummy_fp16 share one build');
    const again = await build();
    assert.equal(again.built, 0);
    assert.equal(again.reused, 2, 'label filters work on podman too');

    const run = spawnSync(
      process.execPath,
      [
        ...cliFromSource,
        'run',
        '--manifest-file',
        path.join(work, 'build_manifest.json'),
        '--hub',
        hub,
        '-o',
        path.join(work, 'perf.csv'),
        '-c',
        '{"executor": "docker"}',
      ],
      { cwd: work, encoding: 'utf8', env: { ...process.env, DOCKER_HOST: podmanHost }, timeout: 180_000 },
    );
    assert.equal(run.status, 0, run.stderr + run.stdout);
    assert.match(run.stderr, /executor: docker \(podman /);
    const perf = await readFile(path.join(work, 'perf.csv'), 'utf8');
    assert.match(perf, /\ndummy,.*,42\.5,samples_per_second,/);
    const left = await podman.listContainers({ all: true, filters: JSON.stringify({ label: ['org.madengine.run-id'] }) });
    assert.deepEqual(left, [], 'no container left behind');
  } finally {
    const images = await podman.listImages({ filters: JSON.stringify({ label: ['org.madengine.build-id'] }) });
    for (const image of images)
      await podman
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
});
