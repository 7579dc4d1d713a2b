/**
 * Secrets at build time against the real Docker engine and registry (issue 9 item 2): a secret mount
 * leaves no value in `docker history`, the image config or the pushed config blob; a secret build arg
 * (an ARG named like a secret) blocks the push without the opt-in; rotation rebuilds only what uses it;
 * podman (no BuildKit sessions) fails a secret-mount build with what to do.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { ExitCode } from '../../src/core/errors.ts';
import { connectDocker } from '../../src/engines/docker/connection.ts';
import { buildModels } from '../../src/pipeline/build.ts';
import { memoryLogger } from '../helpers/logger.ts';
import { requireInfra, type InfraEnv } from '../helpers/infra.ts';

let work: string;
const created = new Set<string>();
const stamp = `${process.pid}-${Date.now()}`;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'madengine-build-secrets-it-'));
});
after(async () => {
  for (const ref of created) execFileSync('docker', ['rmi', '-f', ref], { stdio: 'ignore' });
  await rm(work, { recursive: true, force: true });
});

/** A hub with a secret-mount model and a secret-ARG model, both unique to this test. */
async function secretsHub(name: string, base: string): Promise<string> {
  const hub = path.join(work, name);
  await mkdir(path.join(hub, 'docker'), { recursive: true });
  await mkdir(path.join(hub, 'scripts'), { recursive: true });
  await writeFile(path.join(hub, 'scripts', 'run.sh'), 'echo "performance: 1 x"\n');
  const model = (model: string) => ({
    name: `${model}${name}`,
    dockerfile: `docker/${model}`,
    scripts: 'scripts/run.sh',
    n_gpus: '0',
    tags: [model],
    args: '',
  });
  await writeFile(path.join(hub, 'models.json'), JSON.stringify([model('secmount'), model('secarg')]));
  await writeFile(
    path.join(hub, 'docker', 'secmount.ubuntu.amd.Dockerfile'),
    `FROM ${base}\nRUN echo ${name}-${stamp}\n` +
      'RUN --mount=type=secret,id=MAD_SECRETS_HF_TOKEN,required=true sha256sum /run/secrets/MAD_SECRETS_HF_TOKEN | cut -d" " -f1 > /secret.sha256\n',
  );
  await writeFile(
    path.join(hub, 'docker', 'secarg.ubuntu.amd.Dockerfile'),
    `FROM ${base}\nARG MAD_SECRETS_HF_TOKEN\nRUN echo ${name}-${stamp} "\${#MAD_SECRETS_HF_TOKEN}" > /len\n`,
  );
  return hub;
}

async function build(hub: string, tag: string, env: NodeJS.ProcessEnv, overrides: Partial<Parameters<typeof buildModels>[0]> = {}) {
  const logger = memoryLogger();
  const result = await buildModels({ hubDir: hub, tags: [tag], context: {}, manifestOutput: path.join(hub, 'build_manifest.json'), logger, env, ...overrides });
  for (const image of Object.keys(result.manifest.built_images)) created.add(image);
  for (const push of result.manifest.summary?.successful_pushes ?? []) created.add((push as { registry_image: string }).registry_image);
  return { result, logger, entry: Object.values(result.manifest.built_images)[0] };
}

/** The image config blob the registry serves for `repository:tag` (what anyone who can pull it can read). */
async function pushedConfig(registry: string, repository: string, tag: string): Promise<string | undefined> {
  const manifest = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  });
  if (manifest.status === 404) return undefined;
  const digest = ((await manifest.json()) as { config: { digest: string } }).config.digest;
  return (await fetch(`http://${registry}/v2/${repository}/blobs/${digest}`)).text();
}

function history(image: string): string {
  return (
    execFileSync('docker', ['history', '--no-trunc', image], { encoding: 'utf8' }) + execFileSync('docker', ['image', 'inspect', image], { encoding: 'utf8' })
  );
}

test('a secret mount reaches the RUN step and leaves no trace in history, image config or the pushed config blob', async (t) => {
  const infra = (await requireInfra(t, { docker: true, registries: true })) as InfraEnv | undefined;
  if (!infra) return;
  const hub = await secretsHub('mount', infra.baseImage);
  const secret = `hf-mount-${stamp}`;
  const { result, entry } = await build(hub, 'secmount', { MAD_SECRETS_HF_TOKEN: secret }, { registry: infra.registry });
  assert.equal(result.exitCode, ExitCode.SUCCESS, JSON.stringify(result.failedBuilds.concat(result.failedPushes as never)));
  assert.ok(entry?.registry_image && entry.secret_build_args === undefined);
  const inside = execFileSync('docker', ['run', '--rm', entry.docker_image, 'cat', '/secret.sha256'], { encoding: 'utf8' }).trim();
  assert.equal(inside, createHash('sha256').update(secret).digest('hex'), 'the build read the secret');
  assert.ok(!history(entry.docker_image).includes(secret), 'docker history / inspect hold no secret');
  const config = await pushedConfig(infra.registry, entry.docker_image, 'latest');
  assert.ok(config?.includes('secret.sha256') && !config.includes(secret), 'the pushed config blob holds no secret');
  assert.ok(!entry.build_hash!.includes(secret));
});

test('rotating a secret the Dockerfile uses rebuilds its image; rotating one it does not use reuses it', async (t) => {
  const infra = (await requireInfra(t, { docker: true, registries: false })) as InfraEnv | undefined;
  if (!infra) return;
  const hub = await secretsHub('rotate', infra.baseImage);
  const first = await build(hub, 'secmount', { MAD_SECRETS_HF_TOKEN: `a-${stamp}`, MAD_SECRETS_OTHER: `x-${stamp}` });
  assert.equal(first.result.built, 1);
  const unused = await build(hub, 'secmount', { MAD_SECRETS_HF_TOKEN: `a-${stamp}`, MAD_SECRETS_OTHER: `y-${stamp}` });
  assert.equal(unused.result.reused, 1, 'an unused secret does not change the build hash');
  assert.equal(unused.entry?.build_hash, first.entry?.build_hash);
  const rotated = await build(hub, 'secmount', { MAD_SECRETS_HF_TOKEN: `b-${stamp}`, MAD_SECRETS_OTHER: `y-${stamp}` });
  assert.equal(rotated.result.built, 1, 'the rotated secret rebuilds');
  assert.notEqual(rotated.entry?.build_hash, first.entry?.build_hash);
  const inside = execFileSync('docker', ['run', '--rm', rotated.entry!.docker_image, 'cat', '/secret.sha256'], { encoding: 'utf8' }).trim();
  assert.equal(inside, createHash('sha256').update(`b-${stamp}`).digest('hex'));
});

test('an image whose history holds a secret build arg is not pushed without the opt-in, and is with it', async (t) => {
  const infra = (await requireInfra(t, { docker: true, registries: true })) as InfraEnv | undefined;
  if (!infra) return;
  const hub = await secretsHub('arg', infra.baseImage);
  const secret = `hf-arg-${stamp}`;
  const refused = await build(hub, 'secarg', { MAD_SECRETS_HF_TOKEN: secret }, { registry: infra.registry });
  assert.equal(refused.result.exitCode, ExitCode.BUILD_FAILURE);
  assert.match(refused.result.failedPushes[0]?.error ?? '', /refused to push .*declares ARG MAD_SECRETS_HF_TOKEN.*--allow-secrets-in-image/);
  assert.deepEqual(refused.entry?.secret_build_args, ['MAD_SECRETS_HF_TOKEN']);
  assert.ok(history(refused.entry!.docker_image).includes(secret), 'the warning is right: the value is in the history');
  // (The repository may hold an image an earlier run pushed with the opt-in; this build's secret is not there.)
  assert.ok(!((await pushedConfig(infra.registry, refused.entry!.docker_image, 'latest')) ?? '').includes(secret), 'nothing reached the registry');
  assert.ok(refused.logger.lines.some((line) => line.startsWith('warn:') && line.includes('ARG MAD_SECRETS_HF_TOKEN') && !line.includes(secret)));

  const allowed = await build(hub, 'secarg', { MAD_SECRETS_HF_TOKEN: secret }, { registry: infra.registry, allowSecretsInImage: true });
  assert.equal(allowed.result.exitCode, ExitCode.SUCCESS);
  assert.ok(allowed.entry?.registry_image);
  assert.ok((await pushedConfig(infra.registry, allowed.entry!.docker_image, 'latest'))?.includes(secret), 'opted in: anyone who can pull can read it');
});

/** A hub with one model per Dockerfile text (`docker/<tag>.ubuntu.amd.Dockerfile`), unique to this test. */
async function hubWith(name: string, dockerfiles: Record<string, string>, files: Record<string, string> = {}): Promise<string> {
  const hub = path.join(work, name);
  await mkdir(path.join(hub, 'docker'), { recursive: true });
  await mkdir(path.join(hub, 'scripts'), { recursive: true });
  await writeFile(path.join(hub, 'scripts', 'run.sh'), 'echo "performance: 1 x"\n');
  const models = Object.keys(dockerfiles).map((tag) => ({
    name: `${tag}${name}`,
    dockerfile: `docker/${tag}`,
    scripts: 'scripts/run.sh',
    n_gpus: '0',
    tags: [tag],
    args: '',
  }));
  await writeFile(path.join(hub, 'models.json'), JSON.stringify(models));
  for (const [tag, text] of Object.entries(dockerfiles)) await writeFile(path.join(hub, 'docker', `${tag}.ubuntu.amd.Dockerfile`), text);
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(hub, file), text);
  return hub;
}

test('red team: a MAD_SECRETS* docker_build_arg and a credential passed as a plain one appear in no manifest, summary or log; the mount gets the value', async (t) => {
  const infra = (await requireInfra(t, { docker: true, registries: true })) as InfraEnv | undefined;
  if (!infra) return;
  const secret = `CtxSecret999-${stamp}`;
  const password = `cred-pw-${stamp}`;
  const hub = await hubWith(
    'ctxarg',
    {
      ctxarg:
        `FROM ${infra.baseImage}\nARG PLAIN\nRUN echo ctxarg-${stamp} "\${#PLAIN}" > /len\n` +
        'RUN --mount=type=secret,id=MAD_SECRETS_CTX sha256sum /run/secrets/MAD_SECRETS_CTX | cut -d" " -f1 > /secret.sha256\n',
    },
    { 'credential.json': JSON.stringify({ hub: { username: 'ci-bot', password } }) },
  );
  const summary = path.join(hub, 'bs.json');
  const context = { text: JSON.stringify({ docker_build_arg: { MAD_SECRETS_CTX: secret, PLAIN: password } }) };
  const { result, entry } = await build(hub, 'ctxarg', {}, { registry: infra.registry, context, summaryOutput: summary });
  assert.equal(result.exitCode, ExitCode.SUCCESS, JSON.stringify(result.failedBuilds.concat(result.failedPushes as never)));
  assert.ok(entry?.registry_image, 'the image was pushed: the secret is not in its history');
  assert.match(entry.build_command ?? '', /--build-arg PLAIN=\*\*\* --secret id=MAD_SECRETS_CTX,env=MAD_SECRETS_CTX/);
  const inside = execFileSync('docker', ['run', '--rm', entry.docker_image, 'cat', '/secret.sha256'], { encoding: 'utf8' }).trim();
  assert.equal(inside, createHash('sha256').update(secret).digest('hex'), 'the mount read the docker_build_arg secret');
  const logs = await Promise.all((await readdir(hub)).filter((file) => file.endsWith('.log')).map((file) => readFile(path.join(hub, file), 'utf8')));
  const written = [await readFile(path.join(hub, 'build_manifest.json'), 'utf8'), await readFile(summary, 'utf8'), ...logs].join('\n');
  assert.ok(written.includes('ctxarg') && !written.includes(secret) && !written.includes(password), written);
  assert.ok(!history(entry.docker_image).includes(secret));
});

test('a secret mount no secret serves builds on BuildKit without the file; a required=true one fails naming the id and its sources', async (t) => {
  const infra = (await requireInfra(t, { docker: true, registries: false })) as InfraEnv | undefined;
  if (!infra) return;
  const hub = await hubWith('unknown', {
    optmount: `FROM ${infra.baseImage}\nRUN --mount=type=secret,id=MAD_SECRETS_NOPE echo optmount-${stamp}; ls /run/secrets > /listing 2>&1; true\n`,
    reqmount: `FROM ${infra.baseImage}\nRUN --mount=type=secret,id=MAD_SECRETS_NOPE,required=true echo reqmount-${stamp}; cat /run/secrets/MAD_SECRETS_NOPE\n`,
  });
  const optional = await build(hub, 'optmount', {});
  assert.equal(optional.result.exitCode, ExitCode.SUCCESS, JSON.stringify(optional.result.failedBuilds));
  assert.match(optional.entry?.build_command ?? '', /^DOCKER_BUILDKIT=1 docker build /);
  assert.ok(optional.logger.lines.some((line) => line.startsWith('warn:') && line.includes('mounts secret id(s) MAD_SECRETS_NOPE')));
  const listing = execFileSync('docker', ['run', '--rm', optional.entry!.docker_image, 'cat', '/listing'], { encoding: 'utf8' });
  assert.ok(!listing.includes('MAD_SECRETS_NOPE'), listing);

  const required = await build(hub, 'reqmount', {});
  assert.equal(required.result.exitCode, ExitCode.BUILD_FAILURE);
  const error = required.result.failedBuilds[0]?.error ?? '';
  assert.match(error, /secret MAD_SECRETS_NOPE not found/);
  assert.match(error, /docker\/reqmount\.ubuntu\.amd\.Dockerfile mounts secret MAD_SECRETS_NOPE with required=true.*environment variable MAD_SECRETS_NOPE/);
  assert.doesNotMatch(error, /requires BuildKit/);
});

test('podman (no BuildKit sessions): a secret-mount build fails naming the Dockerfile, the secret and what to do', async (t) => {
  const infra = (await requireInfra(t, { docker: true, registries: false })) as InfraEnv | undefined;
  if (!infra) return;
  if (!infra.podmanHost) return t.skip('podman is not part of this infrastructure');
  const podman: Docker = await connectDocker({ host: infra.podmanHost });
  const hub = await secretsHub('podman', infra.baseImage);
  const { result } = await build(hub, 'secmount', { MAD_SECRETS_HF_TOKEN: `p-${stamp}` }, { docker: podman });
  assert.equal(result.exitCode, ExitCode.BUILD_FAILURE);
  assert.match(
    result.failedBuilds[0]?.error ?? '',
    /docker\/secmount\.ubuntu\.amd\.Dockerfile mounts the secret\(s\) MAD_SECRETS_HF_TOKEN .*needs a BuildKit session.*podman/,
  );
});
