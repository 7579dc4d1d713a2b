/** buildImages orchestration with an in-memory ImageEngine: sharing, reuse, secrets, failures, cancellation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildImages, BUILD_HASH_LABEL } from '../../../src/core/build/build-images.ts';
import type { EngineBuildRequest, ImageEngine } from '../../../src/core/build/engine.ts';
import type { BuildPlan, PlannedBuild } from '../../../src/core/images/plan.ts';
import { modelSchema } from '../../../src/core/hub/model.ts';
import { memoryLogger } from '../../helpers/logger.ts';

function fakeEngine(options: { failDockerfile?: string; existingHash?: string } = {}) {
  const builds: EngineBuildRequest[] = [];
  const tags: [string, string][] = [];
  const logins: Parameters<ImageEngine['login']>[0][] = [];
  const pushes: string[] = [];
  const engine: ImageEngine = {
    hashInputs: async ({ dockerfile, buildArgs, extra }) => `hash-${dockerfile}-${JSON.stringify(buildArgs)}-${extra.join(',')}`,
    findByLabel: async (label, value) => (label === BUILD_HASH_LABEL && value === options.existingHash ? { id: 'sha256:old', tags: [] } : undefined),
    build: async (request) => {
      builds.push(request);
      request.onLine('Step 1/1 : RUN echo');
      if (request.dockerfile === options.failDockerfile) throw new Error('The command returned a non-zero code: 3');
      return { imageId: `sha256:${request.tag}`, baseImage: 'base:1' };
    },
    tag: async (source, target) => void tags.push([source, target]),
    login: async (auth) => void logins.push(auth),
    push: async (ref) => {
      pushes.push(ref);
      return { digest: 'sha256:d' };
    },
  };
  return { engine, builds, tags, logins, pushes };
}

function planned(dockerfile: string, models: string[], cred = ''): PlannedBuild {
  return {
    id: dockerfile,
    dockerfile,
    contextDir: 'docker',
    buildArgs: {},
    cred,
    gpuVendor: 'AMD',
    images: models.map((name) => ({
      image: `ci-${name}_${path.basename(dockerfile).replace('.Dockerfile', '')}`,
      model: modelSchema.parse({ name, dockerfile: 'docker/x', scripts: 'run.sh', cred }),
      origin: { file: 'models.json', kind: 'root', index: 0 },
      dockerfile,
      buildLog: `${name}.build.live.log`,
    })),
  };
}

async function run(plan: BuildPlan, engine: ImageEngine, extra: Partial<Parameters<typeof buildImages>[0]> = {}) {
  const logDir = await mkdtemp(path.join(tmpdir(), 'madengine-build-unit-'));
  const logger = memoryLogger();
  const result = await buildImages({
    hubDir: '/hub',
    plan,
    context: { gpu_vendor: 'AMD', guest_os: 'UBUNTU' },
    engine,
    credentials: {},
    noCache: false,
    liveOutput: false,
    logDir,
    logger,
    env: {},
    ...extra,
  });
  return { result, logDir, logger };
}

test('one build per planned build; the other models get tags; every model has a manifest entry and a log', async () => {
  const { engine, builds, tags } = fakeEngine();
  const { result, logDir } = await run({ builds: [planned('docker/a.ubuntu.amd.Dockerfile', ['m1', 'm2', 'm3'])], models: 3, warnings: [] }, engine);
  assert.equal(builds.length, 1);
  assert.deepEqual(
    tags.map(([, target]) => target),
    ['ci-m2_a.ubuntu.amd', 'ci-m3_a.ubuntu.amd'],
  );
  assert.deepEqual(Object.keys(result.manifest.built_images), ['ci-m1_a.ubuntu.amd', 'ci-m2_a.ubuntu.amd', 'ci-m3_a.ubuntu.amd']);
  assert.ok(Object.values(result.manifest.built_images).every((i) => i.docker_sha === 'sha256:ci-m1_a.ubuntu.amd' && i.models?.length === 3));
  assert.deepEqual((await readdir(logDir)).sort(), ['m1.build.live.log', 'm2.build.live.log', 'm3.build.live.log']);
});

test('an image with the same build hash is reused without building', async () => {
  const { engine, builds } = fakeEngine({ existingHash: 'hash-docker/a.ubuntu.amd.Dockerfile-{}-' });
  const { result } = await run({ builds: [planned('docker/a.ubuntu.amd.Dockerfile', ['m1'])], models: 1, warnings: [] }, engine);
  assert.equal(builds.length, 0);
  assert.equal(result.reused, 1);
  assert.equal(result.manifest.built_images['ci-m1_a.ubuntu.amd']?.reused_from, 'local');
});

test('MAD_SECRETS* and credential values are build args, hashed by name only, masked in logs and the manifest', async () => {
  const { engine, builds } = fakeEngine();
  const { result, logDir } = await run({ builds: [planned('docker/a.ubuntu.amd.Dockerfile', ['m1'], 'HUB')], models: 1, warnings: [] }, engine, {
    env: { MAD_SECRETS_TOKEN: 'tok-123456', OTHER: 'x' },
    credentials: { HUB: { username: 'bob', password: 'pw-987654' } },
  });
  assert.deepEqual(builds[0]!.buildArgs, { MAD_SECRETS_TOKEN: 'tok-123456', HUB_USERNAME: 'bob', HUB_PASSWORD: 'pw-987654' });
  const entry = result.manifest.built_images['ci-m1_a.ubuntu.amd']!;
  assert.ok(!entry.build_hash?.includes('tok-123456') && entry.build_hash?.includes('MAD_SECRETS_TOKEN'));
  const written = JSON.stringify(result.manifest) + (await readFile(path.join(logDir, 'm1.build.live.log'), 'utf8'));
  assert.ok(!written.includes('tok-123456') && !written.includes('pw-987654'));
  assert.match(entry.build_command ?? '', /--build-arg MAD_SECRETS_TOKEN=\*\*\*/);
});

test('a failing build is recorded for each of its models; the other builds still run', async () => {
  const { engine, builds } = fakeEngine({ failDockerfile: 'docker/bad.ubuntu.amd.Dockerfile' });
  const { result } = await run(
    { builds: [planned('docker/bad.ubuntu.amd.Dockerfile', ['b1', 'b2']), planned('docker/a.ubuntu.amd.Dockerfile', ['m1'])], models: 3, warnings: [] },
    engine,
  );
  assert.equal(builds.length, 2);
  assert.deepEqual(
    result.failedBuilds.map((f) => f.model),
    ['b1', 'b2'],
  );
  assert.match(result.failedBuilds[0]!.error, /non-zero code: 3/);
  assert.ok(result.manifest.built_images['ci-m1_a.ubuntu.amd']);
});

test('after cancellation the remaining builds are recorded as cancelled, not built', async () => {
  const { engine, builds } = fakeEngine();
  const controller = new AbortController();
  controller.abort();
  const { result } = await run({ builds: [planned('docker/a.ubuntu.amd.Dockerfile', ['m1'])], models: 1, warnings: [] }, engine, { signal: controller.signal });
  assert.equal(builds.length, 0);
  assert.equal(result.failedBuilds[0]?.error, 'cancelled before it started');
});

test('every name of Docker Hub pushes to the dockerhub repository with the dockerhub login, as docker.io does', async () => {
  const credentials = { dockerhub: { username: 'hubuser', password: 'hubpass', repository: 'myorg/ci' } };
  for (const registry of ['docker.io', 'dockerhub', 'DockerHub', 'index.docker.io', 'registry-1.docker.io', 'Docker.IO', 'https://index.docker.io/v1/']) {
    const { engine, logins, pushes } = fakeEngine();
    const { result } = await run({ builds: [planned('docker/a.ubuntu.amd.Dockerfile', ['m1'])], models: 1, warnings: [] }, engine, { registry, credentials });
    assert.deepEqual(logins, [{ username: 'hubuser', password: 'hubpass', serveraddress: 'https://index.docker.io/v1/' }], registry);
    assert.deepEqual(pushes, ['myorg/ci:ci-m1_a.ubuntu.amd'], registry);
    assert.equal(result.manifest.built_images['ci-m1_a.ubuntu.amd']?.registry_image, 'myorg/ci:ci-m1_a.ubuntu.amd', registry);
  }
});

test('an image the plan rejected is that model failed build; the shared build of the others still runs (issue 9 item 16)', async () => {
  const { engine, builds } = fakeEngine();
  const rejected = [
    { model: 'bert large', dockerfile: 'docker/a.ubuntu.amd.Dockerfile', image: 'ci-bert large_a.ubuntu.amd', error: 'model bert large: bad name' },
  ];
  const { result } = await run({ builds: [planned('docker/a.ubuntu.amd.Dockerfile', ['m1'])], rejected, models: 1, warnings: [] }, engine);
  assert.equal(builds.length, 1);
  assert.deepEqual(Object.keys(result.manifest.built_images), ['ci-m1_a.ubuntu.amd']);
  assert.deepEqual(result.failedBuilds, [{ model: 'bert large', error: 'model bert large: bad name', dockerfile: 'docker/a.ubuntu.amd.Dockerfile' }]);
});
