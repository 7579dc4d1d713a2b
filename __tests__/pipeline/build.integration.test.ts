/**
 * The build phase against the real Docker engine and Distribution registries started by
 * scripts/test-infra.sh: shared builds, reuse, selective rebuilds, push + digest, auth, failures.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type Docker from 'dockerode';
import { readBatchManifest } from '../../src/core/build/batch.ts';
import { ConfigError, ExitCode, MadError } from '../../src/core/errors.ts';
import { memoryLogger } from '../helpers/logger.ts';
import { readManifest } from '../../src/core/manifest/manifest.ts';
import { RegistryClient } from '../../src/core/registry/client.ts';
import { connectDocker, ensureDocker } from '../../src/engines/docker/connection.ts';
import { buildModels } from '../../src/pipeline/build.ts';
import { repoRoot } from '../helpers/node.ts';
import { requireInfra, type InfraEnv } from '../helpers/infra.ts';

let work: string;
let docker: Docker;
const created = new Set<string>();

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'madengine-build-it-'));
  docker = await connectDocker();
});
after(async () => {
  for (const ref of created) execFileSync('docker', ['rmi', '-f', ref], { stdio: 'ignore' });
  await rm(work, { recursive: true, force: true });
});

/** A fresh copy of the example hub with a unique stamp, so every test really builds. */
async function exampleHub(name: string): Promise<string> {
  const hub = path.join(work, name);
  await cp(path.join(repoRoot, 'examples/mad'), hub, { recursive: true });
  await writeFile(path.join(hub, 'docker', 'stamp.txt'), `${name} ${process.pid} ${Date.now()}\n`);
  return hub;
}

async function build(hub: string, overrides: Partial<Parameters<typeof buildModels>[0]> = {}) {
  const logger = memoryLogger();
  const result = await buildModels({
    hubDir: hub,
    tags: ['all'],
    context: {},
    docker,
    manifestOutput: path.join(hub, 'build_manifest.json'),
    logger,
    ...overrides,
  });
  for (const image of Object.keys(result.manifest.built_images)) created.add(image);
  return { result, logger };
}

test('example hub: shared Dockerfiles are built once, every model gets its image', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const hub = await exampleHub('shared');
  const { result } = await build(hub);
  assert.equal(result.exitCode, ExitCode.SUCCESS);
  const images = result.manifest.built_images;
  assert.equal(Object.keys(images).length, 8, 'one image entry per model');
  assert.equal(result.built, 2, 'docker/dummy.ubuntu.amd and dummy_ctx.noctx: two builds for eight models');
  assert.equal(new Set(Object.values(images).map((i) => i.docker_sha)).size, 2);
  assert.deepEqual(images['ci-dummy_dummy.ubuntu.amd']?.models?.length, 7);
  for (const image of Object.keys(images)) assert.ok((await docker.getImage(image).inspect()).Id, `${image} exists locally`);
  const onDisk = await readManifest(path.join(hub, 'build_manifest.json'));
  assert.deepEqual(Object.keys(onDisk.built_images), Object.keys(images));
  assert.equal(onDisk.built_models['ci-dummy2_model1_dummy.ubuntu.amd']?.name, 'dummy2/model1');
});

test('a second build with unchanged inputs reuses every image; a changed context file rebuilds only its image', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const hub = await exampleHub('reuse');
  // Two models with their own build contexts.
  for (const dir of ['ctxa', 'ctxb']) {
    await mkdir(path.join(hub, dir), { recursive: true });
    await writeFile(path.join(hub, dir, 'data.txt'), `${dir} v1 ${process.pid} ${Date.now()}\n`);
  }
  const models = JSON.parse(await readFile(path.join(hub, 'models.json'), 'utf8')) as object[];
  models.push(
    { name: 'ctx_a', dockerfile: 'docker/dummy', dockercontext: 'ctxa', scripts: 'scripts/dummy/run.sh', n_gpus: '0', tags: ['ctxpair'], args: '' },
    { name: 'ctx_b', dockerfile: 'docker/dummy', dockercontext: 'ctxb', scripts: 'scripts/dummy/run.sh', n_gpus: '0', tags: ['ctxpair'], args: '' },
  );
  await writeFile(path.join(hub, 'models.json'), JSON.stringify(models));

  const first = await build(hub, { tags: ['ctxpair'] });
  assert.equal(first.result.built, 2);
  const again = await build(hub, { tags: ['ctxpair'] });
  assert.equal(again.result.built, 0);
  assert.equal(again.result.reused, 2);
  assert.ok(Object.values(again.result.manifest.built_images).every((i) => i.reused === true && i.reused_from === 'local'));

  await writeFile(path.join(hub, 'ctxa', 'data.txt'), 'ctxa v2\n');
  const changed = await build(hub, { tags: ['ctxpair'] });
  const a = changed.result.manifest.built_images['ci-ctx_a_dummy.ubuntu.amd']!;
  const b = changed.result.manifest.built_images['ci-ctx_b_dummy.ubuntu.amd']!;
  assert.equal(a.reused, false, 'the changed context is rebuilt');
  assert.equal(b.reused, true, 'the other context is reused');
  assert.notEqual(a.build_hash, first.result.manifest.built_images['ci-ctx_a_dummy.ubuntu.amd']!.build_hash);
});

test('push to the local registry records the digest the Registry API reports', async (t) => {
  const infra = await requireInfra(t, { docker: true, registries: true });
  if (!infra) return;
  const hub = await exampleHub('push');
  const { result } = await build(hub, { tags: ['dummy'], registry: infra.registry });
  assert.equal(result.exitCode, ExitCode.SUCCESS);
  const entry = result.manifest.built_images['ci-dummy_dummy.ubuntu.amd']!;
  assert.equal(entry.registry_image, `${infra.registry}/ci-dummy_dummy.ubuntu.amd`);
  created.add(entry.registry_image!);
  const digest = await new RegistryClient().manifestDigest(entry.registry_image!);
  assert.equal(entry.registry_digest, digest);
  assert.equal(
    (result.manifest.built_models['ci-dummy_dummy.ubuntu.amd'] as { env_vars?: Record<string, string> }).env_vars?.DOCKER_IMAGE_NAME,
    entry.registry_image,
  );
});

async function withCredential(hub: string, registry: string, username: string, password: string): Promise<void> {
  await writeFile(path.join(hub, 'credential.json'), JSON.stringify({ [registry]: { username, password } }));
}

test('htpasswd registry: good credentials push; bad ones fail clearly and the password appears nowhere', async (t) => {
  const infra = (await requireInfra(t, { docker: true, registries: true })) as InfraEnv | undefined;
  if (!infra) return;
  const hub = await exampleHub('auth');
  await withCredential(hub, infra.authRegistry, infra.user, infra.password);
  const good = await build(hub, { tags: ['dummy'], registry: infra.authRegistry });
  assert.equal(good.result.exitCode, ExitCode.SUCCESS, JSON.stringify(good.result.failedPushes));
  created.add(good.result.manifest.built_images['ci-dummy_dummy.ubuntu.amd']!.registry_image!);

  const badPassword = `wrong-${process.pid}-secret`;
  await withCredential(hub, infra.authRegistry, infra.user, badPassword);
  const bad = await build(hub, { tags: ['dummy'], registry: infra.authRegistry });
  assert.equal(bad.result.exitCode, ExitCode.BUILD_FAILURE);
  assert.match(bad.result.failedPushes[0]!.error, new RegExp(`login to ${infra.authRegistry.replace('.', '\\.')} as ${infra.user} failed`));
  const everything = [bad.logger.lines.join('\n'), await readFile(path.join(hub, 'build_manifest.json'), 'utf8')].join('\n');
  assert.ok(!everything.includes(badPassword), 'password must not reach logs or the manifest');
  const processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  assert.ok(!processes.includes(badPassword), 'password must not be on any command line');
});

test('a failing Dockerfile: other images are still built, the manifest is written, exit 2', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const hub = await exampleHub('failing');
  await writeFile(
    path.join(hub, 'docker', 'broken.ubuntu.amd.Dockerfile'),
    "# CONTEXT {'gpu_vendor': 'AMD'}\nFROM madengine/example-base:latest\nRUN exit 3\n",
  );
  const models = JSON.parse(await readFile(path.join(hub, 'models.json'), 'utf8')) as object[];
  models.push({ name: 'broken', dockerfile: 'docker/broken', scripts: 'scripts/dummy/run.sh', n_gpus: '0', tags: ['dummies'], args: '' });
  await writeFile(path.join(hub, 'models.json'), JSON.stringify(models));
  const { result } = await build(hub, { tags: ['dummies'] });
  assert.equal(result.exitCode, ExitCode.BUILD_FAILURE);
  assert.deepEqual(
    result.failedBuilds.map((f) => f.model),
    ['broken'],
  );
  assert.match(result.failedBuilds[0]!.error, /returned a non-zero code: 3|exit code: 3|non-zero/);
  const manifest = await readManifest(path.join(hub, 'build_manifest.json'));
  assert.ok(manifest.built_images['ci-dummy_dummy.ubuntu.amd'], 'the good image is in the manifest');
  assert.equal((manifest.summary!.failed_builds[0] as { model: string }).model, 'broken');
  assert.match(await readFile(path.join(hub, 'broken_broken.ubuntu.amd.build.live.log'), 'utf8'), /ERROR: /);
});

test("a model whose cred is missing fails with the credential's name", async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const hub = await exampleHub('cred');
  const models = JSON.parse(await readFile(path.join(hub, 'models.json'), 'utf8')) as { name: string; cred?: string }[];
  models.find((m) => m.name === 'dummy')!.cred = 'PRIVATE_GIT';
  await writeFile(path.join(hub, 'models.json'), JSON.stringify(models));
  const { result } = await build(hub, { tags: ['dummy'] });
  assert.equal(result.exitCode, ExitCode.BUILD_FAILURE);
  assert.match(result.failedBuilds[0]!.error, /credential 'PRIVATE_GIT' for model dummy not found in credential\.json/);
});

test('an unreachable registry is a recorded push failure, the image is still built', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const hub = await exampleHub('unreachable');
  const { result } = await build(hub, { tags: ['dummy'], registry: '127.0.0.1:5999' });
  assert.equal(result.exitCode, ExitCode.BUILD_FAILURE);
  assert.equal(result.failedBuilds.length, 0);
  assert.equal(result.failedPushes.length, 1);
  assert.match(result.manifest.built_images['ci-dummy_dummy.ubuntu.amd']!.push_error ?? '', /5999/);
});

test('no Docker daemon: a clear message naming the socket and how to start one', async () => {
  const nowhere = await connectDocker({ host: 'unix:///tmp/madengine-no-such.sock' });
  await assert.rejects(
    ensureDocker(nowhere, { timeoutMs: 2000 }),
    (error: unknown) =>
      error instanceof MadError &&
      /no Docker daemon answers at unix:\/\/\/tmp\/madengine-no-such\.sock/.test(error.message) &&
      /DOCKER_HOST/.test(error.message),
  );
});

test('an invalid --batch-manifest is rejected with the entry at fault', async () => {
  const file = path.join(work, 'batch.json');
  await writeFile(file, JSON.stringify([{ model_name: 'dummy', build_new: true }, { build_new: 'yes' }]));
  await assert.rejects(
    readBatchManifest(file),
    (error: unknown) => error instanceof ConfigError && /entry 1\.model_name: missing/.test(error.message) && /entry 1\.build_new/.test(error.message),
  );
  await writeFile(file, '{"model_name": "dummy"}');
  await assert.rejects(readBatchManifest(file), /must be a JSON list/);
  await writeFile(file, '[{"model_name": "dummy",}]');
  await assert.rejects(readBatchManifest(file), /batch\.json:1:\d+: invalid JSON/);
});

test('batch manifest: build_new models are built, the others referenced by registry image', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const hub = await exampleHub('batch');
  const file = path.join(hub, 'batch.json');
  await writeFile(
    file,
    JSON.stringify([
      { model_name: 'dummy', build_new: true },
      { model_name: 'dummy2/model1', build_new: false, registry_image: 'example.invalid/team/model1:v1' },
    ]),
  );
  const { result } = await build(hub, { tags: [], batchManifestFile: file });
  assert.equal(result.exitCode, ExitCode.SUCCESS);
  assert.equal(result.manifest.built_images['ci-dummy_dummy.ubuntu.amd']?.reused === undefined, false);
  const referenced = result.manifest.built_images['ci-dummy2_model1_dummy.ubuntu.amd']!;
  assert.equal(referenced.registry_image, 'example.invalid/team/model1:v1');
  assert.match(referenced.build_command ?? '', /Skipped build for dummy2\/model1/);
});

test("a manifest in madengine's own format is read by the run phase loader", async () => {
  const file = path.join(work, 'madengine_manifest.json');
  await writeFile(
    file,
    JSON.stringify({
      built_images: {
        'ci-dummy_dummy.ubuntu.amd': {
          docker_image: 'ci-dummy_dummy.ubuntu.amd',
          dockerfile: 'docker/dummy.ubuntu.amd.Dockerfile',
          base_docker: 'rocm/pytorch',
          docker_sha: 'sha256:abc',
          build_duration: 12.5,
          build_command: 'docker build ...',
          log_file: 'dummy_dummy.ubuntu.amd.build.live.log',
          gpu_vendor: 'AMD',
        },
      },
      built_models: {
        'ci-dummy_dummy.ubuntu.amd': { name: 'dummy', dockerfile: 'docker/dummy', scripts: 'scripts/dummy/run.sh', n_gpus: '1', tags: ['dummies'], args: '' },
      },
      context: { docker_env_vars: {}, docker_mounts: {}, docker_build_arg: {}, gpu_vendor: 'AMD', guest_os: 'UBUNTU', docker_gpus: '' },
      credentials_required: [],
      summary: { successful_builds: [], failed_builds: [], total_build_time: 12.5, successful_pushes: [], failed_pushes: [] },
      deployment_config: { target: 'local', env_vars: {}, debug: false },
    }),
  );
  const manifest = await readManifest(file);
  assert.equal(manifest.built_images['ci-dummy_dummy.ubuntu.amd']?.base_docker, 'rocm/pytorch');
  await writeFile(file, JSON.stringify({ built_images: {}, context: {} }));
  await assert.rejects(readManifest(file), /missing required key 'built_models'/);
  await writeFile(file, 'not json');
  await assert.rejects(readManifest(file), /invalid JSON/);
});

test("docker/common is the 'tools' build context: COPY --from=tools works through the Engine API", async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const hub = await exampleHub('tools');
  await mkdir(path.join(hub, 'docker/common'), { recursive: true });
  await writeFile(path.join(hub, 'docker/common/setup.sh'), 'echo tools-ready\n');
  await writeFile(
    path.join(hub, 'docker/tooled.ubuntu.amd.Dockerfile'),
    "# CONTEXT {'gpu_vendor': 'AMD'}\nFROM madengine/example-base:latest\nCOPY --from=tools setup.sh /opt/setup.sh\n",
  );
  const models = JSON.parse(await readFile(path.join(hub, 'models.json'), 'utf8')) as object[];
  models.push({ name: 'tooled', dockerfile: 'docker/tooled', scripts: 'scripts/dummy/run.sh', n_gpus: '0', tags: ['tooled'], args: '' });
  await writeFile(path.join(hub, 'models.json'), JSON.stringify(models));
  const { result } = await build(hub, { tags: ['tooled'] });
  assert.equal(result.exitCode, ExitCode.SUCCESS, JSON.stringify(result.failedBuilds));
  const output = execFileSync('docker', ['run', '--rm', 'ci-tooled_tooled.ubuntu.amd', 'cat', '/opt/setup.sh'], { encoding: 'utf8' });
  assert.equal(output, 'echo tools-ready\n');
});
