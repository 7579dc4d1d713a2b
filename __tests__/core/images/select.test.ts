import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuildError, ConfigError } from '../../../src/core/errors.ts';
import { modelSchema, type Model } from '../../../src/core/hub/model.ts';
import { findDockerfiles, selectionContext } from '../../../src/core/images/select.ts';
import { planBuilds } from '../../../src/core/images/plan.ts';
import { AMD_DOCKERFILE as AMD, NVIDIA_DOCKERFILE as NVIDIA, ctxtestDockerfile as ctxtest, makeHub } from '../../fixtures/images/hub.ts';

const HUB_FILES: Record<string, string> = {
  'docker/dummy.ubuntu.amd.Dockerfile': AMD,
  'docker/dummy.ubuntu.nvidia.Dockerfile': NVIDIA,
  'docker/dummy_ctxtest.ctx1.ubuntu.amd.Dockerfile': ctxtest('1', '1'),
  'docker/dummy_ctxtest.ctx2a.ubuntu.amd.Dockerfile': ctxtest('2', '2'),
  'docker/dummy_ctxtest.ctx2b.ubuntu.amd.Dockerfile': ctxtest('2', '2'),
  'docker/dummy_ctxtest.noctx.ubuntu.amd.Dockerfile': ctxtest('None', '0'),
  'docker/plain.Dockerfile': 'FROM ubuntu:22.04\n',
  'docker/bad.ubuntu.amd.Dockerfile': "FROM x\n# CONTEXT {'gpu_vendor': 'AMD'\n",
  'docker/mi300only.ubuntu.amd.Dockerfile': "# CONTEXT {'gpu_vendor': 'AMD', 'MAD_GPU': 'MI300'}\nFROM rocm/pytorch\n",
  'docker/order.b.Dockerfile': 'FROM x\n',
  'docker/order.B.Dockerfile': 'FROM x\n',
  'docker/order.a.Dockerfile': 'FROM x\n',
  'scripts/dummy3/docker/dummy.ubuntu.amd.Dockerfile': AMD,
};

const model = (name: string, dockerfile: string) => modelSchema.parse({ name, dockerfile });

/** The Dockerfiles the build plan takes for one model (planBuilds is what selects them). */
async function plannedDockerfiles(model: Model, hubDir: string, context: Record<string, unknown>): Promise<string[]> {
  const plan = await planBuilds([{ model, origin: { file: 'models.json', kind: 'root', index: 0 } }], { hubDir, context });
  return plan.builds.map((build) => build.dockerfile);
}

let hub: string;
let ctxHub: string;
before(async () => {
  hub = await makeHub(HUB_FILES);
  ctxHub = await makeHub(HUB_FILES);
  await fs.symlink(path.join(hub, 'docker/plain.Dockerfile'), path.join(hub, 'docker/linked.ubuntu.Dockerfile'));
  await fs.mkdir(path.join(hub, 'docker/dummy.dir'));
});
after(async () => {
  await fs.rm(hub, { recursive: true, force: true });
  await fs.rm(ctxHub, { recursive: true, force: true });
});

describe('selectionContext', () => {
  it('applies madengine defaults and ctx_test None without a file', async () => {
    assert.deepEqual(await selectionContext({}, hub), { gpu_vendor: 'AMD', guest_os: 'UBUNTU', ctx_test: 'None' });
  });

  it('reads <hub>/ctx_test trimmed, and explicit context wins', async () => {
    await fs.writeFile(path.join(ctxHub, 'ctx_test'), '2\n');
    assert.equal((await selectionContext({}, ctxHub)).ctx_test, '2');
    assert.equal((await selectionContext({ ctx_test: '1' }, ctxHub)).ctx_test, '1');
    const explicit = await selectionContext({ gpu_vendor: 'NVIDIA', guest_os: 'CENTOS', extra: { a: 1 } }, ctxHub);
    assert.deepEqual(explicit, { gpu_vendor: 'NVIDIA', guest_os: 'CENTOS', extra: { a: 1 }, ctx_test: '2' });
  });

  it('does not change the caller context', async () => {
    const context = { gpu_vendor: 'AMD' };
    await selectionContext(context, hub);
    assert.deepEqual(context, { gpu_vendor: 'AMD' });
  });
});

describe('findDockerfiles (prefix expansion)', () => {
  it('lists <prefix>.* files only, in byte order, with headers and match flags', async () => {
    const selection = await selectionContext({}, hub);
    const found = await findDockerfiles(model('dummy', 'docker/dummy'), hub, selection);
    assert.deepEqual(
      found.map((c) => [c.path, c.matches, c.mismatches]),
      [
        ['docker/dummy.ubuntu.amd.Dockerfile', true, []],
        ['docker/dummy.ubuntu.nvidia.Dockerfile', false, ['gpu_vendor']],
      ],
    );
    assert.deepEqual(found[0]!.header, { gpu_vendor: 'AMD', guest_os: 'UBUNTU' });
    assert.equal(found[1]!.headerText, "{'gpu_vendor': 'NVIDIA', 'guest_os': 'UBUNTU'}");
  });

  it('sorts like ls in the C locale and follows symlinks to files', async () => {
    const selection = await selectionContext({}, hub);
    const order = await findDockerfiles(model('o', 'docker/order'), hub, selection);
    assert.deepEqual(
      order.map((c) => c.path),
      ['docker/order.B.Dockerfile', 'docker/order.a.Dockerfile', 'docker/order.b.Dockerfile'],
    );
    const linked = await findDockerfiles(model('l', 'docker/linked'), hub, selection);
    assert.deepEqual(
      linked.map((c) => [c.path, c.matches]),
      [['docker/linked.ubuntu.Dockerfile', true]],
    );
  });

  it('normalises ./ and ../ inside the hub', async () => {
    const selection = await selectionContext({}, hub);
    const viaScripts = await findDockerfiles(model('dummy2/model1', 'scripts/dummy2/../../docker/dummy'), hub, selection);
    assert.equal(viaScripts[0]!.path, 'docker/dummy.ubuntu.amd.Dockerfile');
    const nested = await findDockerfiles(model('dummy3/model3', './scripts/dummy3/docker/dummy'), hub, selection);
    assert.deepEqual(
      nested.map((c) => c.path),
      ['scripts/dummy3/docker/dummy.ubuntu.amd.Dockerfile'],
    );
  });

  it('rejects a prefix that leaves the hub', async () => {
    const selection = await selectionContext({}, hub);
    await assert.rejects(
      findDockerfiles(model('evil', 'scripts/../../outside/dummy'), hub, selection),
      (error: unknown) =>
        error instanceof ConfigError && /model evil: dockerfile 'scripts\/..\/..\/outside\/dummy' is outside the model hub/.test(error.message),
    );
    await assert.rejects(findDockerfiles(model('abs', '/etc/dummy'), hub, selection), ConfigError);
  });

  it('names the file and line of a header that does not parse', async () => {
    const selection = await selectionContext({}, hub);
    await assert.rejects(
      findDockerfiles(model('bad', 'docker/bad'), hub, selection),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.file === 'docker/bad.ubuntu.amd.Dockerfile' &&
        error.line === 2 &&
        error.message.startsWith('docker/bad.ubuntu.amd.Dockerfile:2: ') &&
        error.exitCode === 4,
    );
  });
});

describe('planBuilds picks Dockerfiles by header (header filtering)', () => {
  it('keeps docker/dummy to the AMD file by default and to NVIDIA on request', async () => {
    const dummy = model('dummy', 'docker/dummy');
    assert.deepEqual(await plannedDockerfiles(dummy, hub, await selectionContext({}, hub)), ['docker/dummy.ubuntu.amd.Dockerfile']);
    assert.deepEqual(await plannedDockerfiles(dummy, hub, await selectionContext({ gpu_vendor: 'NVIDIA' }, hub)), ['docker/dummy.ubuntu.nvidia.Dockerfile']);
  });

  it('does not take dummy_ctxtest.* for docker/dummy', async () => {
    const selected = await plannedDockerfiles(model('dummy', 'docker/dummy'), hub, await selectionContext({}, hub));
    assert.ok(selected.every((file) => !file.includes('ctxtest')));
  });

  it('follows ctx_test: no file -> noctx, file 2 -> ctx2a and ctx2b, explicit 1 -> ctx1', async () => {
    const ctx = model('dummy_ctxtest', 'docker/dummy_ctxtest');
    assert.deepEqual(await plannedDockerfiles(ctx, hub, await selectionContext({}, hub)), ['docker/dummy_ctxtest.noctx.ubuntu.amd.Dockerfile']);
    await fs.writeFile(path.join(ctxHub, 'ctx_test'), '2');
    assert.deepEqual(await plannedDockerfiles(ctx, ctxHub, await selectionContext({}, ctxHub)), [
      'docker/dummy_ctxtest.ctx2a.ubuntu.amd.Dockerfile',
      'docker/dummy_ctxtest.ctx2b.ubuntu.amd.Dockerfile',
    ]);
    assert.deepEqual(await plannedDockerfiles(ctx, ctxHub, await selectionContext({ ctx_test: '1' }, ctxHub)), [
      'docker/dummy_ctxtest.ctx1.ubuntu.amd.Dockerfile',
    ]);
  });

  it('lets a Dockerfile without a header match any context', async () => {
    const plain = model('plain', 'docker/plain');
    assert.deepEqual(await plannedDockerfiles(plain, hub, await selectionContext({ gpu_vendor: 'NVIDIA' }, hub)), ['docker/plain.Dockerfile']);
  });

  it('matches keys the context lacks and any additional-context key it has', async () => {
    const mi300 = model('m', 'docker/mi300only');
    assert.deepEqual(await plannedDockerfiles(mi300, hub, await selectionContext({}, hub)), ['docker/mi300only.ubuntu.amd.Dockerfile']);
    await assert.rejects(plannedDockerfiles(mi300, hub, await selectionContext({ MAD_GPU: 'MI200' }, hub)), BuildError);
  });

  it('explains a model with no matching Dockerfile, listing candidates and headers', async () => {
    const selection = await selectionContext({ ctx_test: 3 }, hub);
    await assert.rejects(plannedDockerfiles(model('dummy_ctxtest', 'docker/dummy_ctxtest'), hub, selection), (error: unknown) => {
      assert.ok(error instanceof BuildError);
      assert.equal(error.exitCode, 2); // a build failure (issue 9 item 17)
      assert.match(error.message, /^model dummy_ctxtest has no Dockerfile for context \{gpu_vendor: AMD, guest_os: UBUNTU, ctx_test: 3\}: candidates: /);
      assert.ok(error.message.includes("docker/dummy_ctxtest.ctx1.ubuntu.amd.Dockerfile CONTEXT {'ctx_test': '1'}"));
      assert.ok(error.message.includes("docker/dummy_ctxtest.noctx.ubuntu.amd.Dockerfile CONTEXT {'ctx_test': 'None'}"));
      return true;
    });
    await assert.rejects(
      plannedDockerfiles(model('dummy', 'docker/dummy'), hub, await selectionContext({ guest_os: 'CENTOS' }, hub)),
      /model dummy has no Dockerfile for context \{gpu_vendor: AMD, guest_os: CENTOS\}: candidates: docker\/dummy\.ubuntu\.amd\.Dockerfile CONTEXT \{'gpu_vendor': 'AMD', 'guest_os': 'UBUNTU'\}; docker\/dummy\.ubuntu\.nvidia\.Dockerfile/,
    );
  });

  it('says which files it looked for when there are no candidates', async () => {
    const selection = await selectionContext({}, hub);
    await assert.rejects(
      plannedDockerfiles(model('ghost', 'docker/ghost'), hub, selection),
      (error: unknown) =>
        error instanceof BuildError && error.message === `model ghost has no Dockerfile: no file matches docker/ghost.* in ${path.join(hub, 'docker')}`,
    );
    await assert.rejects(
      plannedDockerfiles(model('nodir', 'nowhere/x'), hub, selection),
      /model nodir has no Dockerfile: no file matches nowhere\/x\.\* \(directory .*nowhere does not exist\)/,
    );
    await assert.rejects(plannedDockerfiles(model('empty', ''), hub, selection), /model empty has no 'dockerfile'/);
  });
});
