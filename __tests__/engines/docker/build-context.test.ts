/** The build context as the daemon sees it: .dockerignore, Dockerfiles outside the context, the hash, tools. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { collectBuildContext, hashBuildInputs, withToolsContext } from '../../../src/engines/docker/build-context.ts';
import { baseImages, splitTag } from '../../../src/engines/docker/images.ts';
import { BuildError } from '../../../src/core/errors.ts';

let hub: string;
before(async () => {
  hub = await mkdtemp(path.join(tmpdir(), 'madengine-ctx-'));
  await mkdir(path.join(hub, 'docker/common'), { recursive: true });
  await mkdir(path.join(hub, 'docker/cache'), { recursive: true });
  await writeFile(path.join(hub, 'docker/a.Dockerfile'), 'FROM base\nCOPY --from=tools setup.sh /opt/\n');
  await writeFile(path.join(hub, 'docker/common/setup.sh'), 'echo setup\n');
  await writeFile(path.join(hub, 'docker/cache/big.bin'), 'ignored');
  await writeFile(path.join(hub, 'docker/.dockerignore'), '# comment\ncache\n');
  await mkdir(path.join(hub, 'scripts/x/docker'), { recursive: true });
  await writeFile(path.join(hub, 'scripts/x/docker/b.Dockerfile'), 'FROM base\n');
});
after(() => rm(hub, { recursive: true, force: true }));

test('.dockerignore applies (but .dockerignore and the Dockerfile are always sent)', async () => {
  const context = await collectBuildContext(path.join(hub, 'docker'), path.join(hub, 'docker/a.Dockerfile'));
  assert.deepEqual(
    context.files.map((f) => f.name),
    ['.dockerignore', 'a.Dockerfile', 'common/setup.sh'],
  );
  assert.equal(context.dockerfileName, 'a.Dockerfile');
});

test('a Dockerfile outside the context travels under a private name', async () => {
  const context = await collectBuildContext(path.join(hub, 'docker'), path.join(hub, 'scripts/x/docker/b.Dockerfile'));
  assert.match(context.dockerfileName, /^\.madengine\.Dockerfile\.[0-9a-f]{12}$/);
  assert.equal(context.dockerfileText, 'FROM base\n');
});

test('the hash changes with a context file, a build arg or a secret name, and not with ignored files', async () => {
  const hashOf = async (args: Record<string, string> = {}, extra: string[] = []) =>
    hashBuildInputs(await collectBuildContext(path.join(hub, 'docker'), path.join(hub, 'docker/a.Dockerfile')), args, extra);
  const base = await hashOf();
  assert.equal(await hashOf(), base, 'stable');
  await writeFile(path.join(hub, 'docker/cache/big.bin'), 'still ignored');
  assert.equal(await hashOf(), base);
  assert.notEqual(await hashOf({ BASE_DOCKER: 'x' }), base);
  assert.notEqual(await hashOf({}, ['HUB_PASSWORD']), base);
  await writeFile(path.join(hub, 'docker/common/setup.sh'), 'echo changed\n');
  assert.notEqual(await hashOf(), base);
});

test("the 'tools' build context: COPY --from=tools reads docker/common inside the context; BuildKit-only uses fail", async () => {
  const context = await collectBuildContext(path.join(hub, 'docker'), path.join(hub, 'docker/a.Dockerfile'));
  const rewritten = withToolsContext(context, path.join(hub, 'docker/common'));
  assert.equal(rewritten.dockerfileText, 'FROM base\nCOPY common/setup.sh /opt/\n');
  assert.match(rewritten.dockerfileName, /^\.madengine\.Dockerfile\./, 'the rewritten text is sent, not the file');
  const mount = { ...context, dockerfileText: 'FROM base\nRUN --mount=type=bind,from=tools,target=/t ls /t\n' };
  assert.throws(
    () => withToolsContext(mount, path.join(hub, 'docker/common')),
    (e: unknown) => e instanceof BuildError && /line 2 .* only BuildKit supports/.test(e.message),
  );
  assert.throws(() => withToolsContext(context, path.join(hub, 'elsewhere')), /outside the build context/);
  assert.equal(withToolsContext({ ...context, dockerfileText: 'FROM base\n' }, path.join(hub, 'docker/common')).dockerfileText, 'FROM base\n');
});

test('base images: ARG defaults and build args substituted, stage names skipped; tags split after the last slash', () => {
  const text = 'ARG BASE_DOCKER=rocm/pytorch:latest\nFROM ${BASE_DOCKER} AS build\nFROM build\nFROM --platform=linux/amd64 ubuntu:22.04\nFROM scratch\n';
  assert.deepEqual(baseImages(text, {}), ['rocm/pytorch:latest', 'ubuntu:22.04']);
  assert.deepEqual(baseImages(text, { BASE_DOCKER: 'localhost:5000/x:1' }), ['localhost:5000/x:1', 'ubuntu:22.04']);
  assert.deepEqual(splitTag('localhost:5000/a/b'), { repo: 'localhost:5000/a/b', tag: 'latest' });
  assert.deepEqual(splitTag('localhost:5000/a/b:v2'), { repo: 'localhost:5000/a/b', tag: 'v2' });
});
