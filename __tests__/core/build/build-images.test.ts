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

function fakeEngine(options: { failDockerfile?: string; failMessage?: string; existingHash?: string; dockerfiles?: Record<string, string> } = {}) {
  const builds: EngineBuildRequest[] = [];
  const tags: [string, string][] = [];
  const logins: Parameters<ImageEngine['login']>[0][] = [];
  const pushes: string[] = [];
  const engine: ImageEngine = {
    dockerfileText: async ({ dockerfile }) => options.dockerfiles?.[dockerfile] ?? 'FROM base:1\nRUN echo\n',
    hashInputs: async ({ dockerfile, buildArgs, extra }) => `hash-${dockerfile}-${JSON.stringify(buildArgs)}-${extra.join(',')}`,
    findByLabel: async (label, value) => (label === BUILD_HASH_LABEL && value === options.existingHash ? { id: 'sha256:old', tags: [] } : undefined),
    build: async (request) => {
      builds.push(request);
      request.onLine(`Step 1/1 : RUN echo ${JSON.stringify(request.buildArgs)}`);
      if (request.dockerfile === options.failDockerfile) throw new Error(options.failMessage ?? 'The command returned a non-zero code: 3');
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

const DOCKERFILE = 'docker/a.ubuntu.amd.Dockerfile';
const SECRETS = { env: { MAD_SECRETS_TOKEN: 'tok-123456', OTHER: 'x' }, credentials: { HUB: { username: 'bob', password: 'pw-987654' } } };
const onePlan = (cred = 'HUB'): BuildPlan => ({ builds: [planned(DOCKERFILE, ['m1'], cred)], models: 1, warnings: [] });

test('secrets reach no build whose Dockerfile does not ask for them (madengine passed every one as a build arg)', async () => {
  const { engine, builds } = fakeEngine();
  const { result, logDir, logger } = await run(onePlan(), engine, SECRETS);
  assert.deepEqual(builds[0]!.buildArgs, {});
  assert.equal(builds[0]!.secrets, undefined);
  const entry = result.manifest.built_images['ci-m1_a.ubuntu.amd']!;
  assert.equal(entry.secret_build_args, undefined);
  assert.doesNotMatch(entry.build_command ?? '', /MAD_SECRETS|HUB_/);
  assert.ok(!logger.lines.some((line) => line.startsWith('warn:')));
  const written = JSON.stringify(result.manifest) + (await readFile(path.join(logDir, 'm1.build.live.log'), 'utf8'));
  assert.ok(!written.includes('tok-123456') && !written.includes('pw-987654'));
});

test('a secret the Dockerfile declares as ARG is passed, warned about by name (never value) and recorded in the manifest', async () => {
  const dockerfiles = { [DOCKERFILE]: 'ARG MAD_SECRETS_TOKEN\nFROM base:1\nARG HUB_PASSWORD BASE=1\nRUN echo\n' };
  const { engine, builds } = fakeEngine({ dockerfiles });
  const { result, logger } = await run(onePlan(), engine, SECRETS);
  assert.deepEqual(builds[0]!.buildArgs, { MAD_SECRETS_TOKEN: 'tok-123456', HUB_PASSWORD: 'pw-987654' });
  const entry = result.manifest.built_images['ci-m1_a.ubuntu.amd']!;
  assert.deepEqual(entry.secret_build_args, ['HUB_PASSWORD', 'MAD_SECRETS_TOKEN']);
  assert.match(entry.build_command ?? '', /--build-arg 'HUB_PASSWORD=\*\*\*' --build-arg 'MAD_SECRETS_TOKEN=\*\*\*'/);
  const warning = logger.lines.find((line) => line.startsWith('warn:')) ?? '';
  assert.match(warning, /model m1: docker\/a\.ubuntu\.amd\.Dockerfile declares ARG HUB_PASSWORD, MAD_SECRETS_TOKEN/);
  assert.match(warning, /RUN --mount=type=secret,id=HUB_PASSWORD/);
  assert.ok(!JSON.stringify([result.manifest, logger.lines]).includes('tok-123456'));
  assert.ok(!JSON.stringify([result.manifest, logger.lines]).includes('pw-987654'));
});

test('an image whose history holds a secret build arg is not pushed without the opt-in; it stays local and the push fails', async () => {
  const dockerfiles = { [DOCKERFILE]: 'FROM base:1\nARG MAD_SECRETS_TOKEN\nRUN echo\n' };
  const refused = fakeEngine({ dockerfiles });
  const { result } = await run(onePlan(''), refused.engine, { ...SECRETS, registry: 'localhost:5000' });
  assert.deepEqual(refused.pushes, []);
  assert.equal(result.failedPushes.length, 1);
  assert.match(result.failedPushes[0]!.error, /refused to push localhost:5000\/ci-m1_a\.ubuntu\.amd.*declares ARG MAD_SECRETS_TOKEN.*--allow-secrets-in-image/);
  const entry = result.manifest.built_images['ci-m1_a.ubuntu.amd']!;
  assert.equal(entry.registry_image, undefined);
  assert.equal(entry.docker_sha, 'sha256:ci-m1_a.ubuntu.amd');
  assert.match(entry.push_error ?? '', /stays local/);

  const allowed = fakeEngine({ dockerfiles });
  const optedIn = await run(onePlan(''), allowed.engine, { ...SECRETS, registry: 'localhost:5000', allowSecretsInImage: true });
  assert.deepEqual(allowed.pushes, ['localhost:5000/ci-m1_a.ubuntu.amd']);
  assert.equal(optedIn.result.failedPushes.length, 0);
});

test('a secret the Dockerfile mounts is a BuildKit secret, not a build arg; the image is pushed', async () => {
  const dockerfiles = {
    [DOCKERFILE]: 'FROM base:1\nRUN --mount=type=secret,id=MAD_SECRETS_TOKEN \\\n  --mount=type=secret,target=/run/secrets/HUB_PASSWORD cat /run/secrets/*\n',
  };
  const { engine, builds, pushes } = fakeEngine({ dockerfiles });
  const { result, logger } = await run(onePlan(), engine, { ...SECRETS, registry: 'localhost:5000' });
  assert.deepEqual(builds[0]!.buildArgs, {});
  assert.deepEqual(builds[0]!.secrets, { MAD_SECRETS_TOKEN: 'tok-123456', HUB_PASSWORD: 'pw-987654' });
  assert.deepEqual(pushes, ['localhost:5000/ci-m1_a.ubuntu.amd']);
  const entry = result.manifest.built_images['ci-m1_a.ubuntu.amd']!;
  assert.equal(entry.secret_build_args, undefined);
  assert.match(entry.build_command ?? '', /^DOCKER_BUILDKIT=1 docker build .*--secret id=HUB_PASSWORD,env=HUB_PASSWORD --secret id=MAD_SECRETS_TOKEN/);
  assert.ok(!logger.lines.some((line) => line.startsWith('warn:')));
});

test('the build hash fingerprints the values of the secrets a build uses: rotation rebuilds, an unused secret changes nothing', async () => {
  const dockerfiles = { [DOCKERFILE]: 'FROM base:1\nRUN --mount=type=secret,id=MAD_SECRETS_TOKEN cat /run/secrets/MAD_SECRETS_TOKEN\n' };
  const hashWith = async (env: Record<string, string>): Promise<string> => {
    const { result } = await run(onePlan(''), fakeEngine({ dockerfiles }).engine, { env });
    return result.manifest.built_images['ci-m1_a.ubuntu.amd']!.build_hash!;
  };
  const original = await hashWith({ MAD_SECRETS_TOKEN: 'tok-123456', MAD_SECRETS_UNUSED: 'u-1' });
  assert.notEqual(await hashWith({ MAD_SECRETS_TOKEN: 'tok-rotated', MAD_SECRETS_UNUSED: 'u-1' }), original);
  assert.equal(await hashWith({ MAD_SECRETS_TOKEN: 'tok-123456', MAD_SECRETS_UNUSED: 'u-rotated' }), original);
  assert.equal(await hashWith({ MAD_SECRETS_TOKEN: 'tok-123456' }), original);
  assert.ok(!original.includes('tok-123456') && original.includes('secret-mount MAD_SECRETS_TOKEN') && /secret-fingerprint [0-9a-f]{64}/.test(original));
  // A Dockerfile that uses no secret keeps the hash it had before secrets were fingerprinted.
  const { result } = await run(onePlan(''), fakeEngine().engine, { env: { MAD_SECRETS_TOKEN: 'tok-123456' } });
  assert.equal(result.manifest.built_images['ci-m1_a.ubuntu.amd']!.build_hash, `hash-${DOCKERFILE}-{}-`);
});

/** A plan whose docker_build_arg (the context's) holds a MAD_SECRETS* entry next to a plain one. */
const contextArgPlan = (): BuildPlan => {
  const build = planned(DOCKERFILE, ['m1']);
  build.buildArgs = { BASE_DOCKER: 'base:1', MAD_SECRETS_CTX: 'CtxSecret999' };
  return { builds: [build], models: 1, warnings: [] };
};

test('a MAD_SECRETS* docker_build_arg the Dockerfile does not ask for reaches no build, no build_command, no hash (red team: it was printed in clear)', async () => {
  const { engine, builds } = fakeEngine();
  const { result, logDir } = await run(contextArgPlan(), engine, { registry: 'localhost:5000' });
  assert.deepEqual(builds[0]!.buildArgs, { BASE_DOCKER: 'base:1' });
  const entry = result.manifest.built_images['ci-m1_a.ubuntu.amd']!;
  assert.equal(
    entry.build_command,
    'docker build --network=host -t ci-m1_a.ubuntu.amd -f docker/a.ubuntu.amd.Dockerfile --build-arg BASE_DOCKER=base:1 docker',
  );
  assert.equal(entry.secret_build_args, undefined);
  assert.equal(entry.registry_image, 'localhost:5000/ci-m1_a.ubuntu.amd');
  const written = JSON.stringify(result.manifest) + (await readFile(path.join(logDir, 'm1.build.live.log'), 'utf8'));
  assert.ok(!written.includes('CtxSecret999'), written);
});

test('a MAD_SECRETS* docker_build_arg the Dockerfile declares as ARG is a secret build arg: masked, warned, recorded, not pushed, fingerprinted', async () => {
  const dockerfiles = { [DOCKERFILE]: 'FROM base:1\nARG MAD_SECRETS_CTX\nRUN echo\n' };
  const { engine, builds, pushes } = fakeEngine({ dockerfiles });
  const { result, logger, logDir } = await run(contextArgPlan(), engine, { registry: 'localhost:5000', env: { MAD_SECRETS_CTX: 'from-the-env' } });
  assert.deepEqual(builds[0]!.buildArgs, { BASE_DOCKER: 'base:1', MAD_SECRETS_CTX: 'CtxSecret999' }, 'the context value wins over the environment');
  const entry = result.manifest.built_images['ci-m1_a.ubuntu.amd']!;
  assert.match(entry.build_command ?? '', /--build-arg BASE_DOCKER=base:1 --build-arg 'MAD_SECRETS_CTX=\*\*\*'/);
  assert.deepEqual(entry.secret_build_args, ['MAD_SECRETS_CTX']);
  assert.deepEqual(pushes, []);
  assert.match(result.failedPushes[0]!.error, /refused to push .*declares ARG MAD_SECRETS_CTX/);
  assert.ok(logger.lines.some((line) => line.startsWith('warn:') && line.includes('declares ARG MAD_SECRETS_CTX')));
  assert.match(entry.build_hash ?? '', /secret-arg MAD_SECRETS_CTX,secret-fingerprint [0-9a-f]{64}$/);
  const written = JSON.stringify([result, logger.lines]) + (await readFile(path.join(logDir, 'm1.build.live.log'), 'utf8'));
  assert.ok(!written.includes('CtxSecret999'), 'the build log line that echoes the build args is redacted too');
});

test('a MAD_SECRETS* docker_build_arg the Dockerfile mounts is a BuildKit secret', async () => {
  const dockerfiles = { [DOCKERFILE]: 'FROM base:1\nRUN --mount=type=secret,id=MAD_SECRETS_CTX cat /run/secrets/MAD_SECRETS_CTX\n' };
  const { engine, builds } = fakeEngine({ dockerfiles });
  const { result } = await run(contextArgPlan(), engine);
  assert.deepEqual(builds[0]!.buildArgs, { BASE_DOCKER: 'base:1' });
  assert.deepEqual(builds[0]!.secrets, { MAD_SECRETS_CTX: 'CtxSecret999' });
  assert.match(result.manifest.built_images['ci-m1_a.ubuntu.amd']!.build_command ?? '', /--secret id=MAD_SECRETS_CTX,env=MAD_SECRETS_CTX/);
});

test('a Dockerfile mounting a secret no source provides still builds on BuildKit (with no values), and warns', async () => {
  const dockerfiles = { [DOCKERFILE]: 'FROM base:1\nRUN --mount=type=secret,id=MAD_SECRETS_NOPE ls /run/secrets\n' };
  const { engine, builds } = fakeEngine({ dockerfiles });
  const { result, logger } = await run(onePlan(''), engine);
  assert.deepEqual(builds[0]!.secrets, {});
  assert.match(result.manifest.built_images['ci-m1_a.ubuntu.amd']!.build_command ?? '', /^DOCKER_BUILDKIT=1 docker build /);
  assert.ok(logger.lines.some((line) => line.startsWith('warn:') && line.includes('mounts secret id(s) MAD_SECRETS_NOPE')));
});

test("a required=true mount no secret serves fails with BuildKit's message, the id, the Dockerfile and where secrets come from", async () => {
  const dockerfiles = { [DOCKERFILE]: 'FROM base:1\nRUN --mount=type=secret,id=MAD_SECRETS_NOPE,required=true cat /run/secrets/MAD_SECRETS_NOPE\n' };
  const failMessage = 'BuildKit build of ci-m1_a.ubuntu.amd failed: secret MAD_SECRETS_NOPE not found: not found';
  const { engine } = fakeEngine({ dockerfiles, failDockerfile: DOCKERFILE, failMessage });
  const { result } = await run(onePlan('HUB'), engine, { credentials: SECRETS.credentials });
  const error = result.failedBuilds[0]?.error ?? '';
  assert.ok(error.startsWith(failMessage), error);
  assert.match(error, /docker\/a\.ubuntu\.amd\.Dockerfile mounts secret MAD_SECRETS_NOPE with required=true, and no secret MAD_SECRETS_NOPE is known/);
  assert.match(error, /set the environment variable MAD_SECRETS_NOPE, or docker_build_arg\.MAD_SECRETS_NOPE .*credential 'HUB'/);
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
