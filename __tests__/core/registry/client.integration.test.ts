// The registry client and Docker connection against the real daemons of scripts/test-infra.sh:
// Distribution registries (anonymous, htpasswd Basic, Bearer tokens) and dockerd.
import { after, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createSign, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { runProcess } from '../../../src/core/exec/process.ts';
import { RegistryClient, RegistryError } from '../../../src/core/registry/client.ts';
import { connectDocker, ensureDocker } from '../../../src/engines/docker/connection.ts';
import { requireInfra } from '../../helpers/infra.ts';
import type { InfraEnv } from '../../helpers/infra.ts';

const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function docker(args: string[], input?: string): Promise<string> {
  const result = await runProcess('docker', args, input === undefined ? { timeoutMs: 120_000 } : { timeoutMs: 120_000, input });
  if (result.exitCode !== 0) throw new Error(`docker ${args.join(' ')} failed (${result.exitCode}): ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** One tiny image, imported and pushed with the docker CLI to the anonymous registry (once per file). */
let pushedImage: Promise<{ ref: string; digest: string; label: string }> | undefined;
function pushWithDockerCli(infra: InfraEnv) {
  pushedImage ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mad-reg-int-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'hello.txt'), `hello ${RUN_ID}\n`);
    const result = await runProcess('tar', ['-C', dir, '-cf', path.join(dir, 'image.tar'), 'hello.txt']);
    assert.equal(result.exitCode, 0, result.stderr);
    const ref = `${infra.registry}/madengine-test/regclient:${RUN_ID}`;
    const label = `label-${RUN_ID}`;
    await docker(['import', '--change', `LABEL org.madengine.test.id=${label}`, path.join(dir, 'image.tar'), ref]);
    cleanups.push(() => docker(['rmi', '-f', ref]));
    const output = await docker(['push', ref]);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1];
    assert.ok(digest, `docker push did not report a digest:\n${output}`);
    return { ref, digest, label };
  })();
  return pushedImage;
}

/**
 * Pushes a one-layer OCI image over the Registry HTTP API (as a client like crane would), so the auth
 * registries get content without `docker login` touching anyone's docker config. Returns the manifest digest.
 */
async function pushOciImage(registry: string, repository: string, tag: string, authorization: string, labels: Record<string, string>): Promise<string> {
  const base = `http://${registry}/v2/${repository}`;
  const layerTar = Buffer.from(`not really a tar ${RUN_ID}`);
  const layer = gzipSync(layerTar);
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: labels }, rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] } }),
  );
  for (const blob of [layer, config]) {
    const start = await fetch(`${base}/blobs/uploads/`, { method: 'POST', headers: { authorization } });
    assert.equal(start.status, 202, `starting a blob upload to ${registry}: HTTP ${start.status} ${await start.text()}`);
    const location = new URL(start.headers.get('location')!, `http://${registry}`);
    location.searchParams.set('digest', sha256(blob));
    const put = await fetch(location, { method: 'PUT', headers: { authorization, 'content-type': 'application/octet-stream' }, body: blob });
    assert.equal(put.status, 201, `uploading a blob to ${registry}: HTTP ${put.status} ${await put.text()}`);
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
  });
  const put = await fetch(`${base}/manifests/${tag}`, {
    method: 'PUT',
    headers: { authorization, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  assert.equal(put.status, 201, `putting the manifest to ${registry}: HTTP ${put.status} ${await put.text()}`);
  assert.equal(put.headers.get('docker-content-digest'), sha256(manifest));
  return sha256(manifest);
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

describe('docker engine', () => {
  test('ensureDocker reports the test engine', async (t) => {
    if (!(await requireInfra(t, { registries: false }))) return;
    const info = await ensureDocker(await connectDocker());
    assert.match(info.version, /^\d+\.\d+/);
    assert.match(info.apiVersion, /^1\.\d+$/);
    assert.equal(typeof info.podman, 'boolean');
  });
});

describe('anonymous registry', () => {
  test('manifestDigest equals the digest docker push reported', async (t) => {
    const infra = await requireInfra(t);
    if (!infra) return;
    const image = await pushWithDockerCli(infra);
    const client = new RegistryClient();
    assert.equal(await client.manifestDigest(image.ref), image.digest);
    const byDigest = `${image.ref.slice(0, image.ref.lastIndexOf(':'))}@${image.digest}`;
    assert.equal(await client.manifestDigest(byDigest), image.digest);
  });

  test('a tag that does not exist has no digest and no labels', async (t) => {
    const infra = await requireInfra(t);
    if (!infra) return;
    await pushWithDockerCli(infra);
    const client = new RegistryClient();
    assert.equal(await client.manifestDigest(`${infra.registry}/madengine-test/regclient:absent-${RUN_ID}`), undefined);
    assert.equal(await client.manifestDigest(`${infra.registry}/madengine-test/never-pushed-${RUN_ID}:x`), undefined);
    assert.equal(await client.imageLabels(`${infra.registry}/madengine-test/regclient:absent-${RUN_ID}`), undefined);
  });

  test('imageLabels reads the labels of the pushed image; tags lists its tag', async (t) => {
    const infra = await requireInfra(t);
    if (!infra) return;
    const image = await pushWithDockerCli(infra);
    const client = new RegistryClient();
    const labels = await client.imageLabels(image.ref);
    assert.equal(labels?.['org.madengine.test.id'], image.label);
    assert.ok((await client.tags(image.ref)).includes(RUN_ID));
  });

  test('an unreachable registry is named with the connection error', async (t) => {
    if (!(await requireInfra(t, { docker: false }))) return;
    await assert.rejects(new RegistryClient({ timeoutMs: 5000 }).manifestDigest('127.0.0.1:5999/x/y:z'), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.match(error.message, /^registry 127\.0\.0\.1:5999 unreachable: connect ECONNREFUSED 127\.0\.0\.1:5999$/);
      return true;
    });
  });
});

describe('htpasswd registry (Basic auth)', () => {
  let pushed: Promise<string> | undefined;
  const repository = 'madengine-test/basic';
  function push(infra: InfraEnv) {
    pushed ??= pushOciImage(infra.authRegistry, repository, RUN_ID, basic(infra.user, infra.password), { 'org.madengine.test.auth': 'basic' });
    return pushed;
  }

  test('good credentials: digest and labels', async (t) => {
    const infra = await requireInfra(t, { docker: false });
    if (!infra) return;
    const digest = await push(infra);
    const client = new RegistryClient({ credentials: { [infra.authRegistry]: { username: infra.user, password: infra.password } } });
    await client.checkAccess(infra.authRegistry);
    assert.equal(await client.manifestDigest(`${infra.authRegistry}/${repository}:${RUN_ID}`), digest);
    assert.equal(await client.manifestDigest(`${infra.authRegistry}/${repository}:absent`), undefined);
    assert.deepEqual(await client.imageLabels(`${infra.authRegistry}/${repository}:${RUN_ID}`), { 'org.madengine.test.auth': 'basic' });
  });

  test('a wrong password is a 401 RegistryError naming the user, never the password', async (t) => {
    const infra = await requireInfra(t, { docker: false });
    if (!infra) return;
    await push(infra);
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    const client = new RegistryClient({ credentials: { [infra.authRegistry]: { username: infra.user, password: wrong } } });
    await assert.rejects(client.manifestDigest(`${infra.authRegistry}/${repository}:${RUN_ID}`), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.equal(error.status, 401);
      assert.match(error.message, new RegExp(`registry ${infra.authRegistry.replace(/\./g, '\\.')} rejected the credentials of user '${infra.user}'`));
      assert.ok(!error.message.includes(wrong) && !error.message.includes(infra.password));
      return true;
    });
  });

  test('no credentials: asks for a credential.json entry', async (t) => {
    const infra = await requireInfra(t, { docker: false });
    if (!infra) return;
    await assert.rejects(new RegistryClient().manifestDigest(`${infra.authRegistry}/${repository}:${RUN_ID}`), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.match(error.message, new RegExp(`requires authentication .*add a '${infra.authRegistry.replace(/\./g, '\\.')}' entry`));
      return true;
    });
  });
});

/**
 * The token service the Bearer registry points at (its realm): checks Basic credentials and signs a JWT
 * with the key the registry trusts, granting what the scope asks for to known users and nothing to others.
 */
async function startTokenService(t: TestContext, infra: InfraEnv, users: Record<string, string>) {
  const token = infra.token!;
  const key = await readFile(token.keyFile, 'utf8');
  const cert = new X509Certificate(await readFile(token.certFile));
  const realm = new URL(token.realm);
  const requests: URL[] = [];
  const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', token.realm);
    requests.push(url);
    let subject = '';
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString().split(':');
      if (users[user!] === undefined || users[user!] !== rest.join(':')) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"incorrect username or password"}');
        return;
      }
      subject = user!;
    }
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      return subject === '' ? [] : [{ type, name, actions: actions!.split(',') }];
    });
    const now = Math.floor(Date.now() / 1000);
    const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [cert.raw.toString('base64')] }));
    const claims = b64url(
      JSON.stringify({
        iss: token.issuer,
        sub: subject,
        aud: url.searchParams.get('service'),
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomBytes(8).toString('hex'),
        access,
      }),
    );
    const signature = createSign('RSA-SHA256').update(`${head}.${claims}`).sign(key);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${head}.${claims}.${b64url(signature)}`, expires_in: 300 }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(realm.port), realm.hostname, resolve);
  });
  t.after(() => new Promise((resolve) => server.close(resolve)));
  /** A push token minted directly, for putting test content into the registry. */
  const pushToken = async (repository: string): Promise<string> => {
    const [user, password] = Object.entries(users)[0]!;
    const response = await fetch(`${token.realm}?service=${token.service}&scope=repository:${repository}:pull,push`, {
      headers: { authorization: basic(user, password) },
    });
    return `Bearer ${((await response.json()) as { token: string }).token}`;
  };
  return { requests, pushToken };
}

describe('token registry (Bearer auth)', () => {
  test('good, wrong and missing credentials through the real token flow', async (t) => {
    const infra = await requireInfra(t, { docker: false });
    if (!infra) return;
    assert.ok(infra.token, 'test-infra.sh did not export the token registry (MADENGINE_TEST_TOKEN_*)');
    const password = randomBytes(12).toString('hex');
    const service = await startTokenService(t, infra, { tokenuser: password });
    const repository = 'madengine-test/bearer';
    const digest = await pushOciImage(infra.token.registry, repository, RUN_ID, await service.pushToken(repository), { 'org.madengine.test.auth': 'bearer' });
    const ref = `${infra.token.registry}/${repository}:${RUN_ID}`;

    const good = new RegistryClient({ credentials: { [infra.token.registry]: { username: 'tokenuser', password } } });
    assert.equal(await good.manifestDigest(ref), digest);
    assert.deepEqual(await good.imageLabels(ref), { 'org.madengine.test.auth': 'bearer' });
    const asked = service.requests.at(-1)!;
    assert.equal(asked.searchParams.get('service'), infra.token.service);
    assert.equal(asked.searchParams.get('scope'), `repository:${repository}:pull`);

    const wrong = new RegistryClient({ credentials: { [infra.token.registry]: { username: 'tokenuser', password: 'not-it' } } });
    await assert.rejects(wrong.manifestDigest(ref), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.equal(error.status, 401);
      assert.match(error.message, /rejected the credentials of user 'tokenuser' for madengine-test\/bearer at token service http:\/\/127\.0\.0\.1:\d+\/token/);
      assert.ok(!error.message.includes('not-it'));
      return true;
    });

    // Anonymous: the token service answers, but the token grants nothing, so the registry still says 401.
    await assert.rejects(new RegistryClient().manifestDigest(ref), /requires authentication for madengine-test\/bearer \(HTTP 401\)/);
  });
});
