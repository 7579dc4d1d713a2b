import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../src/core/errors.ts';
import { formatImageReference, parseImageReference } from '../../../src/core/registry/reference.ts';
import {
  credentialBuildArgs,
  loadCredentials,
  parseCredentials,
  registryCredentialKey,
  registryLogin,
  secretValues,
} from '../../../src/core/registry/credentials.ts';
import { redact } from '../../../src/core/secrets/redactor.ts';
import { RegistryClient, RegistryError, parseChallenges } from '../../../src/core/registry/client.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseImageReference', () => {
  const vectors: [string, string, string, string | undefined, string | undefined][] = [
    // input, registry, repository, tag, digest
    ['ubuntu', 'docker.io', 'library/ubuntu', 'latest', undefined],
    ['ubuntu:22.04', 'docker.io', 'library/ubuntu', '22.04', undefined],
    ['docker.io/ubuntu', 'docker.io', 'library/ubuntu', 'latest', undefined],
    ['docker.io/library/ubuntu:jammy', 'docker.io', 'library/ubuntu', 'jammy', undefined],
    ['index.docker.io/rocm/pytorch:latest', 'docker.io', 'rocm/pytorch', 'latest', undefined],
    ['rocm/pytorch:rocm6.2_ubuntu22.04', 'docker.io', 'rocm/pytorch', 'rocm6.2_ubuntu22.04', undefined],
    ['myorg/ci:ci-dummy_dummy.ubuntu.amd', 'docker.io', 'myorg/ci', 'ci-dummy_dummy.ubuntu.amd', undefined],
    ['localhost/foo', 'localhost', 'foo', 'latest', undefined],
    ['localhost:5000/foo/bar:1', 'localhost:5000', 'foo/bar', '1', undefined],
    ['127.0.0.1:5000/madengine/x:tag', '127.0.0.1:5000', 'madengine/x', 'tag', undefined],
    ['ghcr.io/rocm/madengine/ci-dummy:v1', 'ghcr.io', 'rocm/madengine/ci-dummy', 'v1', undefined],
    [`ubuntu@${DIGEST}`, 'docker.io', 'library/ubuntu', undefined, DIGEST],
    [`127.0.0.1:5000/a/b:t@${DIGEST}`, '127.0.0.1:5000', 'a/b', 't', DIGEST],
    ['[::1]:5000/img', '[::1]:5000', 'img', 'latest', undefined],
    ['Registry/img', 'Registry', 'img', 'latest', undefined],
    ['a__b/c-d.e', 'docker.io', 'a__b/c-d.e', 'latest', undefined],
  ];
  for (const [input, registry, repository, tag, digest] of vectors) {
    test(input, () => {
      const ref = parseImageReference(input);
      assert.equal(ref.registry, registry);
      assert.equal(ref.repository, repository);
      assert.equal(ref.tag, tag);
      assert.equal(ref.digest, digest);
      assert.equal(ref.reference, digest ?? tag);
    });
  }

  test('formats the fully qualified form', () => {
    assert.equal(formatImageReference(parseImageReference('ubuntu')), 'docker.io/library/ubuntu:latest');
    assert.equal(formatImageReference(parseImageReference(`a/b@${DIGEST}`)), `docker.io/a/b@${DIGEST}`);
  });

  const invalid: [string, RegExp][] = [
    ['', /empty/],
    ['Ubuntu', /lower-case/],
    ['org/Image:tag', /lower-case/],
    ['ubuntu:', /tag ''/],
    ['ubuntu:-bad', /tag '-bad'/],
    [`ubuntu:${'x'.repeat(129)}`, /1-128/],
    ['ubuntu@sha256:abc', /digest 'sha256:abc'/],
    [`ubuntu@sha256:${'A'.repeat(64)}`, /lower-case hex/],
    ['reg.io/', /repository name is empty/],
    ['a//b', /component ''/],
    ['foo-/bar', /component 'foo-'/],
    ['bad_host.:5000/x', /registry 'bad_host.:5000'/],
  ];
  for (const [input, pattern] of invalid) {
    test(`rejects '${input.slice(0, 40)}'`, () => {
      assert.throws(
        () => parseImageReference(input),
        (error: unknown) => error instanceof ConfigError && pattern.test(error.message) && error.message.includes(`'${input}'`),
      );
    });
  }
});

describe('credentials', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mad-cred-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function hub(name: string, content?: string): Promise<string> {
    const hubDir = path.join(dir, name);
    await mkdir(hubDir, { recursive: true });
    if (content !== undefined) await writeFile(path.join(hubDir, 'credential.json'), content);
    return hubDir;
  }

  test('no credential.json and no env: no credentials', async () => {
    assert.deepEqual(await loadCredentials(await hub('empty'), {}), {});
  });

  test('reads entries and stringifies scalar values', async () => {
    const creds = await loadCredentials(
      await hub('file', JSON.stringify({ dockerhub: { username: 'u', password: 'p', repository: 'org/ci' }, AMD_GITHUB: { token: 'ghp_x', port: 22 } })),
      {},
    );
    assert.deepEqual(creds, { dockerhub: { username: 'u', password: 'p', repository: 'org/ci' }, AMD_GITHUB: { token: 'ghp_x', port: '22' } });
  });

  test('MAD_DOCKERHUB_* override the dockerhub entry and keep its other keys', async () => {
    const hubDir = await hub('env', JSON.stringify({ dockerhub: { username: 'file-user', password: 'file-pw', repository: 'file/repo', email: 'e' } }));
    const creds = await loadCredentials(hubDir, { MAD_DOCKERHUB_USER: 'env-user', MAD_DOCKERHUB_PASSWORD: 'env-pw' });
    assert.deepEqual(creds.dockerhub, { username: 'env-user', password: 'env-pw', repository: 'file/repo', email: 'e' });
    const withRepo = await loadCredentials(hubDir, { MAD_DOCKERHUB_USER: 'a', MAD_DOCKERHUB_PASSWORD: 'b', MAD_DOCKERHUB_REPO: 'env/repo' });
    assert.equal(withRepo.dockerhub?.repository, 'env/repo');
    const noFile = await loadCredentials(await hub('env-only'), { MAD_DOCKERHUB_USER: 'a', MAD_DOCKERHUB_PASSWORD: 'b' });
    assert.deepEqual(noFile, { dockerhub: { username: 'a', password: 'b' } });
  });

  test('only one of MAD_DOCKERHUB_USER / _PASSWORD is an error naming the missing one', async () => {
    await assert.rejects(loadCredentials(await hub('half'), { MAD_DOCKERHUB_USER: 'a' }), /MAD_DOCKERHUB_USER is set but MAD_DOCKERHUB_PASSWORD is not/);
  });

  test('bad JSON names the file, line and column', async () => {
    const hubDir = await hub('bad', '{\n  "dockerhub": {\n    "username": "u",\n  }\n}\n');
    await assert.rejects(loadCredentials(hubDir, {}), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.file, path.join(hubDir, 'credential.json'));
      assert.equal(error.line, 4);
      assert.equal(error.column, 3);
      assert.match(error.message, /credential\.json:4:3: invalid JSON/);
      return true;
    });
  });

  test('a non-object document or entry is rejected without echoing values', () => {
    assert.throws(() => parseCredentials('["secret-a"]', 'c.json'), /c\.json: must be a JSON object.*got an array/);
    assert.throws(
      () => parseCredentials('{\n "x": "secret-b"\n}', 'c.json'),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /c\.json:2:2: entry 'x' must be an object/);
        assert.doesNotMatch(error.message, /secret-b/);
        return true;
      },
    );
    assert.throws(() => parseCredentials('{"x": {"password": {"v": "secret-c"}}}', 'c.json'), /'x\.password' must be a string.*got a object/);
  });

  test('registryCredentialKey maps Docker Hub names to dockerhub', () => {
    for (const name of ['docker.io', 'DockerHub', 'index.docker.io', 'registry-1.docker.io', '']) assert.equal(registryCredentialKey(name), 'dockerhub');
    assert.equal(registryCredentialKey('ghcr.io'), 'ghcr.io');
    assert.equal(registryCredentialKey('127.0.0.1:5000'), '127.0.0.1:5000');
  });

  test('registryLogin: missing entry is undefined, incomplete entry is an error', () => {
    const creds = { dockerhub: { username: 'u', password: 'p' }, 'ghcr.io': { username: 'only' } };
    assert.deepEqual(registryLogin('docker.io', creds), { username: 'u', password: 'p' });
    assert.equal(registryLogin('quay.io', creds), undefined);
    assert.throws(() => registryLogin('ghcr.io', creds), /credential 'ghcr\.io' for registry ghcr\.io has no password/);
  });

  test('credentialBuildArgs upper-cases keys under the credential name', () => {
    const creds = { AMD_GITHUB: { username: 'u', password: 'p', token_x: 't' } };
    assert.deepEqual(credentialBuildArgs('AMD_GITHUB', creds, 'dummy'), { AMD_GITHUB_USERNAME: 'u', AMD_GITHUB_PASSWORD: 'p', AMD_GITHUB_TOKEN_X: 't' });
    assert.deepEqual(credentialBuildArgs('', creds, 'dummy'), {});
  });

  test('credentialBuildArgs: a missing credential names the model, the keys and a suggestion', () => {
    const creds = { AMD_GITHUB: { username: 'u' }, dockerhub: { username: 'v' } };
    assert.throws(
      () => credentialBuildArgs('AMD_GITHB', creds, 'dummy_cred'),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message === "credential 'AMD_GITHB' for model dummy_cred not found in credential.json (keys: AMD_GITHUB, dockerhub) (did you mean 'AMD_GITHUB'?)",
    );
    assert.throws(() => credentialBuildArgs('X', {}, 'm'), /keys: none: no credential\.json/);
  });

  test('secretValues lists every non-empty value once, longest first', () => {
    const values = secretValues({ a: { username: 'user', password: 'longer-password', empty: '' }, b: { token: 'user' } });
    assert.deepEqual(values, ['longer-password', 'user']);
  });

  test('redact masks every occurrence, longest secret first', () => {
    assert.equal(redact('login pw=abc123 again abc123', ['abc123']), 'login pw=*** again ***');
    assert.equal(redact('token abcdef', ['abc', 'abcdef']), 'token ***');
    assert.equal(redact('nothing here', ['', 'zzz']), 'nothing here');
  });
});

describe('parseChallenges', () => {
  test('bearer with quoted params, and several challenges', () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/ubuntu:pull' } },
    ]);
    assert.deepEqual(parseChallenges('Basic realm="x", Bearer realm="y",service=z'), [
      { scheme: 'basic', params: { realm: 'x' } },
      { scheme: 'bearer', params: { realm: 'y', service: 'z' } },
    ]);
  });
});

/** A scripted fetch: each call is matched by method + URL and recorded. */
function fakeFetch(routes: (req: { method: string; url: string; headers: Record<string, string> }) => Response | Promise<Response>) {
  const calls: { method: string; url: string; headers: Record<string, string> }[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const req = {
      method: init?.method ?? 'GET',
      url: String(input),
      headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>)),
    };
    calls.push(req);
    return routes(req);
  }) as typeof fetch;
  return { fetchImpl, calls };
}

describe('RegistryClient (scripted fetch)', () => {
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: '' }, layers: [] });

  test('uses http for 127.0.0.1 and https for other hosts; Docker Hub goes to registry-1.docker.io', async () => {
    const { fetchImpl, calls } = fakeFetch(() => new Response(null, { status: 404 }));
    const client = new RegistryClient({ fetch: fetchImpl });
    assert.equal(await client.manifestDigest('127.0.0.1:5000/a/b:t'), undefined);
    assert.equal(await client.manifestDigest('ubuntu'), undefined);
    assert.equal(await client.manifestDigest('ghcr.io/o/r@' + DIGEST), undefined);
    assert.deepEqual(
      calls.map((c) => `${c.method} ${c.url}`),
      [
        'HEAD http://127.0.0.1:5000/v2/a/b/manifests/t',
        'HEAD https://registry-1.docker.io/v2/library/ubuntu/manifests/latest',
        `HEAD https://ghcr.io/v2/o/r/manifests/${DIGEST}`,
      ],
    );
    assert.match(calls[0]!.headers.accept!, /application\/vnd\.oci\.image\.index\.v1\+json/);
    assert.match(calls[0]!.headers.accept!, /application\/vnd\.docker\.distribution\.manifest\.v2\+json/);
  });

  test('insecure: list forces http for named hosts', async () => {
    const { fetchImpl, calls } = fakeFetch(() => new Response(null, { status: 404 }));
    await new RegistryClient({ fetch: fetchImpl, insecure: ['reg.lan:5000'] }).manifestDigest('reg.lan:5000/x');
    assert.equal(calls[0]!.url, 'http://reg.lan:5000/v2/x/manifests/latest');
  });

  test('computes the digest from the manifest bytes when HEAD has no Docker-Content-Digest', async () => {
    const { fetchImpl } = fakeFetch((req) => (req.method === 'HEAD' ? new Response(null, { status: 200 }) : new Response(manifest, { status: 200 })));
    const digest = await new RegistryClient({ fetch: fetchImpl }).manifestDigest('reg.io/x:1');
    assert.equal(digest, `sha256:${createHash('sha256').update(manifest).digest('hex')}`);
  });

  test('bearer flow: token fetched with Basic credentials and scope, cached across requests', async () => {
    const { fetchImpl, calls } = fakeFetch((req) => {
      if (req.url.startsWith('https://auth.example/token')) {
        return Response.json({ token: 'tok-1', expires_in: 300 });
      }
      if (req.headers.authorization !== 'Bearer tok-1') {
        return new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer realm="https://auth.example/token",service="reg"' } });
      }
      return new Response(null, { status: 200, headers: { 'docker-content-digest': DIGEST } });
    });
    const client = new RegistryClient({ fetch: fetchImpl, credentials: { 'reg.example': { username: 'me', password: 's3cret' } } });
    assert.equal(await client.manifestDigest('reg.example/team/app:1'), DIGEST);
    assert.equal(await client.manifestDigest('reg.example/team/app:2'), DIGEST);
    const tokenCalls = calls.filter((c) => c.url.startsWith('https://auth.example/'));
    assert.equal(tokenCalls.length, 1);
    const tokenUrl = new URL(tokenCalls[0]!.url);
    assert.equal(tokenUrl.searchParams.get('service'), 'reg');
    assert.equal(tokenUrl.searchParams.get('scope'), 'repository:team/app:pull');
    assert.equal(tokenCalls[0]!.headers.authorization, `Basic ${Buffer.from('me:s3cret').toString('base64')}`);
    assert.equal(calls.length, 4); // 401, token, 200, then a cached-token 200
  });

  test('token service rejecting credentials gives a clear error without the password', async () => {
    const { fetchImpl } = fakeFetch((req) =>
      req.url.startsWith('https://auth.example/')
        ? new Response('{"details":"incorrect username or password"}', { status: 401 })
        : new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer realm="https://auth.example/token"' } }),
    );
    const client = new RegistryClient({ fetch: fetchImpl, credentials: { dockerhub: { username: 'me', password: 'hunter2-secret' } } });
    await assert.rejects(client.manifestDigest('me/app'), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.equal(error.status, 401);
      assert.match(error.message, /registry docker\.io rejected the credentials of user 'me' for me\/app at token service https:\/\/auth\.example\/token/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });

  test('anonymous Basic challenge asks for a credential.json entry', async () => {
    const { fetchImpl } = fakeFetch(() => new Response(null, { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } }));
    await assert.rejects(
      new RegistryClient({ fetch: fetchImpl }).manifestDigest('reg.io/x'),
      /registry reg\.io requires authentication for x \(HTTP 401\): add a 'reg\.io' entry with username and password to credential\.json/,
    );
  });

  test('imageLabels resolves an index to linux/amd64, verifies the config digest and returns its labels', async () => {
    const config = JSON.stringify({ config: { Labels: { 'org.madengine.hash': 'h1' } } });
    const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    const amd64 = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: configDigest } });
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { digest: 'sha256:arm', platform: { os: 'linux', architecture: 'arm64' } },
        { digest: 'sha256:amd', platform: { os: 'linux', architecture: 'amd64' } },
      ],
    });
    const { fetchImpl, calls } = fakeFetch((req) => {
      if (req.url.endsWith('/manifests/v1')) return new Response(index);
      if (req.url.endsWith('/manifests/sha256:amd')) return new Response(amd64);
      if (req.url.endsWith(`/blobs/${configDigest}`)) return new Response(config);
      return new Response(null, { status: 404 });
    });
    const client = new RegistryClient({ fetch: fetchImpl });
    assert.deepEqual(await client.imageLabels('reg.io/x:v1'), { 'org.madengine.hash': 'h1' });
    assert.equal(await client.imageLabels('reg.io/x:missing'), undefined);
    assert.ok(!calls.some((c) => c.url.includes('sha256:arm')));
  });

  test('imageLabels rejects a config blob whose bytes do not match its digest', async () => {
    const wrongDigest = `sha256:${'0'.repeat(64)}`;
    const { fetchImpl } = fakeFetch((req) =>
      req.url.includes('/manifests/')
        ? new Response(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { digest: wrongDigest } }))
        : new Response('{"config":{}}'),
    );
    await assert.rejects(new RegistryClient({ fetch: fetchImpl }).imageLabels('reg.io/x'), /does not match its digest/);
  });

  test('tags follows Link pagination; unknown repository is []', async () => {
    const { fetchImpl } = fakeFetch((req) => {
      if (req.url.includes('/nope/')) return new Response('{"errors":[{"code":"NAME_UNKNOWN"}]}', { status: 404 });
      if (req.url.includes('last=b')) return Response.json({ name: 'x', tags: ['c'] });
      return Response.json({ name: 'x', tags: ['a', 'b'] }, { headers: { link: '</v2/x/tags/list?n=2&last=b>; rel="next"' } });
    });
    const client = new RegistryClient({ fetch: fetchImpl });
    assert.deepEqual(await client.tags('reg.io/x'), ['a', 'b', 'c']);
    assert.deepEqual(await client.tags('reg.io/nope'), []);
  });

  test('registry error bodies are reported with their code and message', async () => {
    const { fetchImpl } = fakeFetch(() => new Response('{"errors":[{"code":"UNSUPPORTED","message":"nope"}]}', { status: 500 }));
    await assert.rejects(
      new RegistryClient({ fetch: fetchImpl }).tags('reg.io/x'),
      /registry reg\.io answered HTTP 500 to GET \/v2\/x\/tags\/list: UNSUPPORTED: nope/,
    );
  });

  test('network failures name the registry and the cause', async () => {
    const fetchImpl = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 10.0.0.1:443') });
    }) as typeof fetch;
    await assert.rejects(
      new RegistryClient({ fetch: fetchImpl }).manifestDigest('reg.io/x'),
      /^RegistryError: registry reg\.io unreachable: connect ECONNREFUSED 10\.0\.0\.1:443$/,
    );
  });
});
