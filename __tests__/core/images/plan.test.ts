import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { BuildError, ConfigError } from '../../../src/core/errors.ts';
import { modelSchema } from '../../../src/core/hub/model.ts';
import type { DiscoveredModel } from '../../../src/core/hub/model.ts';
import { planBuilds } from '../../../src/core/images/plan.ts';
import type { BuildPlan } from '../../../src/core/images/plan.ts';
import { validateContext } from '../../../src/core/context/validate.ts';
import { AMD_DOCKERFILE, NVIDIA_DOCKERFILE, ctxtestDockerfile, makeHub } from '../../fixtures/images/hub.ts';

const FILES: Record<string, string> = {
  'docker/dummy.ubuntu.amd.Dockerfile': AMD_DOCKERFILE,
  'docker/dummy.ubuntu.nvidia.Dockerfile': NVIDIA_DOCKERFILE,
  'docker/dummy_ctxtest.ctx2a.ubuntu.amd.Dockerfile': ctxtestDockerfile('2', '2'),
  'docker/dummy_ctxtest.ctx2b.ubuntu.amd.Dockerfile': ctxtestDockerfile('2', '2'),
  'docker/dummy_ctxtest.noctx.ubuntu.amd.Dockerfile': ctxtestDockerfile('None', '0'),
  'docker/archdefault.ubuntu.amd.Dockerfile': "# CONTEXT {'gpu_vendor': 'AMD'}\nFROM rocm/pytorch\nARG MAD_SYSTEM_GPU_ARCHITECTURE=gfx942\n",
  'docker/bare.ubuntu.amd.Dockerfile': "# CONTEXT {'gpu_vendor': 'AMD'}\nFROM rocm/pytorch\nARG MAD_SYSTEM_GPU_ARCHITECTURE\n",
  'docker/primus_pretrain.ubuntu.amd.Dockerfile': "# CONTEXT {'gpu_vendor': 'AMD'}\nFROM rocm/primus\n",
  'docker/generic.Dockerfile': 'FROM ubuntu:22.04\n',
  'docker/common/tool.sh': 'echo tool\n',
  'scripts/dummy3/docker/dummy.ubuntu.amd.Dockerfile': AMD_DOCKERFILE,
};

let index = 0;
function entry(fields: Record<string, unknown>): DiscoveredModel {
  return { model: modelSchema.parse(fields), origin: { file: 'models.json', kind: 'root', index: index++ } };
}

const dummy = entry({ name: 'dummy', dockerfile: 'docker/dummy', scripts: 'scripts/dummy/run.sh' });
const dummy2 = entry({ name: 'dummy2', dockerfile: 'docker/dummy', timeout: 360 });
const model1 = entry({ name: 'dummy2/model1', dockerfile: 'docker/dummy' });
const model3 = entry({ name: 'dummy3/model3', dockerfile: 'scripts/dummy3/docker/dummy' });
const ctxtest = entry({ name: 'dummy_ctxtest', dockerfile: 'docker/dummy_ctxtest' });

/** [dockerfile, images] per build, the shape most assertions care about. */
function summary(plan: BuildPlan): [string, string[]][] {
  return plan.builds.map((build) => [build.dockerfile, build.images.map((image) => image.image)]);
}

let hub: string;
let bareHub: string;
before(async () => {
  hub = await makeHub(FILES);
  // No docker/common, and a ctx_test file selecting both ctx2 Dockerfiles.
  const withoutCommon = Object.fromEntries(Object.entries(FILES).filter(([file]) => !file.startsWith('docker/common/')));
  bareHub = await makeHub({ ...withoutCommon, ctx_test: '2\n' });
});
after(async () => {
  if (hub) await fs.rm(hub, { recursive: true, force: true });
  if (bareHub) await fs.rm(bareHub, { recursive: true, force: true });
});

describe('planBuilds', () => {
  it('collapses models sharing a Dockerfile into one build with one image each', async () => {
    const plan = await planBuilds([dummy, dummy2, model1], { hubDir: hub, context: {} });
    assert.equal(plan.models, 3);
    assert.deepEqual(summary(plan), [
      ['docker/dummy.ubuntu.amd.Dockerfile', ['ci-dummy_dummy.ubuntu.amd', 'ci-dummy2_dummy.ubuntu.amd', 'ci-dummy2_model1_dummy.ubuntu.amd']],
    ]);
    const [build] = plan.builds;
    assert.equal(build!.contextDir, 'docker');
    assert.deepEqual(build!.buildArgs, {});
    assert.equal(build!.cred, '');
    assert.equal(build!.toolsContext, 'docker/common');
    assert.equal(build!.gpuVendor, 'AMD');
    assert.equal(build!.gpuArchitecture, undefined);
    assert.match(build!.id, /^[0-9a-f]{12}$/);
    assert.deepEqual(
      build!.images.map((image) => [image.model.name, image.origin.index, image.dockerfile, image.buildLog]),
      [
        ['dummy', dummy.origin.index, 'docker/dummy.ubuntu.amd.Dockerfile', 'dummy_dummy.ubuntu.amd.build.live.log'],
        ['dummy2', dummy2.origin.index, 'docker/dummy.ubuntu.amd.Dockerfile', 'dummy2_dummy.ubuntu.amd.build.live.log'],
        ['dummy2/model1', model1.origin.index, 'docker/dummy.ubuntu.amd.Dockerfile', 'dummy2_model1_dummy.ubuntu.amd.build.live.log'],
      ],
    );
    assert.equal(build!.images[1]!.model.timeout, 360);
  });

  it('keeps builds in first-use order and a model selected twice once', async () => {
    const plan = await planBuilds([model3, dummy, model3, dummy], { hubDir: hub, context: {} });
    assert.equal(plan.models, 2);
    assert.deepEqual(summary(plan), [
      ['scripts/dummy3/docker/dummy.ubuntu.amd.Dockerfile', ['ci-dummy3_model3_dummy.ubuntu.amd']],
      ['docker/dummy.ubuntu.amd.Dockerfile', ['ci-dummy_dummy.ubuntu.amd']],
    ]);
  });

  it('gives a stable id that depends on the build input only', async () => {
    const first = await planBuilds([dummy], { hubDir: hub, context: { docker_build_arg: { A: '1', B: '2' } } });
    const reordered = await planBuilds([model1, dummy], { hubDir: hub, context: { docker_build_arg: { B: '2', A: '1' } } });
    assert.equal(first.builds[0]!.id, reordered.builds[0]!.id);
    const other = await planBuilds([dummy], { hubDir: hub, context: { docker_build_arg: { A: '1', B: '3' } } });
    assert.notEqual(first.builds[0]!.id, other.builds[0]!.id);
  });

  it('keeps MAD_SECRETS* docker_build_arg values out of the public build id (a fast hash a weak secret could be guessed from)', async () => {
    const id = async (secret: string) =>
      (await planBuilds([dummy], { hubDir: hub, context: { docker_build_arg: { A: '1', MAD_SECRETS_CTX: secret } } })).builds[0]!.id;
    assert.equal(await id('CtxSecret999'), await id('rotated-value'));
    assert.notEqual(await id('CtxSecret999'), (await planBuilds([dummy], { hubDir: hub, context: { docker_build_arg: { A: '1' } } })).builds[0]!.id);
  });

  it('splits builds whose context dir or credential differ', async () => {
    const withContext = entry({ name: 'ctxdir', dockerfile: 'docker/dummy', dockercontext: './scripts/dummy3/' });
    const withCred = entry({ name: 'private', dockerfile: 'docker/dummy', cred: 'AMD_GITHUB' });
    const plan = await planBuilds([dummy, withContext, withCred, model1], { hubDir: hub, context: {} });
    assert.deepEqual(
      plan.builds.map((build) => [build.contextDir, build.cred, build.images.map((image) => image.model.name)]),
      [
        ['docker', '', ['dummy', 'dummy2/model1']],
        ['scripts/dummy3', '', ['ctxdir']],
        ['docker', 'AMD_GITHUB', ['private']],
      ],
    );
    assert.equal(new Set(plan.builds.map((build) => build.id)).size, 3);
  });

  it('builds primus Dockerfiles from the hub root', async () => {
    const primus = entry({ name: 'primus_pretrain/llama', dockerfile: 'docker/primus_pretrain' });
    const plan = await planBuilds([primus], { hubDir: hub, context: {} });
    assert.equal(plan.builds[0]!.contextDir, '.');
    assert.equal(plan.builds[0]!.images[0]!.image, 'ci-primus_pretrain_llama_primus_pretrain.ubuntu.amd');
  });

  it('rejects a dockercontext outside the hub', async () => {
    const escaping = entry({ name: 'esc', dockerfile: 'docker/dummy', dockercontext: '../..' });
    await assert.rejects(
      planBuilds([escaping], { hubDir: hub, context: {} }),
      (error: unknown) => error instanceof ConfigError && /model esc: dockercontext '..\/..' is outside the model hub/.test(error.message),
    );
  });

  it('passes docker_build_arg stringified and takes the arch from it', async () => {
    const plan = await planBuilds([dummy], {
      hubDir: hub,
      context: validateContext({ docker_build_arg: { BASE_DOCKER: 'rocm/tensorflow', N: 3, MAD_SYSTEM_GPU_ARCHITECTURE: 'gfx90a' } }, 'test').context,
      targetArchs: ['gfx942', 'gfx950'],
    });
    assert.equal(plan.builds.length, 1, 'an explicit arch build arg overrides target archs');
    assert.deepEqual(plan.builds[0]!.buildArgs, { BASE_DOCKER: 'rocm/tensorflow', N: '3', MAD_SYSTEM_GPU_ARCHITECTURE: 'gfx90a' });
    assert.equal(plan.builds[0]!.gpuArchitecture, 'gfx90a');
    assert.equal(plan.builds[0]!.images[0]!.image, 'ci-dummy_dummy.ubuntu.amd');
  });

  it('builds one image per target arch, each with the arch build arg', async () => {
    const plan = await planBuilds([dummy, model1], { hubDir: hub, context: {}, targetArchs: ['gfx90a', 'gfx942', 'gfx90a'] });
    assert.deepEqual(summary(plan), [
      ['docker/dummy.ubuntu.amd.Dockerfile', ['ci-dummy_dummy.ubuntu.amd_gfx90a', 'ci-dummy2_model1_dummy.ubuntu.amd_gfx90a']],
      ['docker/dummy.ubuntu.amd.Dockerfile', ['ci-dummy_dummy.ubuntu.amd_gfx942', 'ci-dummy2_model1_dummy.ubuntu.amd_gfx942']],
    ]);
    assert.deepEqual(
      plan.builds.map((build) => [build.buildArgs, build.gpuArchitecture]),
      [
        [{ MAD_SYSTEM_GPU_ARCHITECTURE: 'gfx90a' }, 'gfx90a'],
        [{ MAD_SYSTEM_GPU_ARCHITECTURE: 'gfx942' }, 'gfx942'],
      ],
    );
    assert.equal(plan.builds[1]!.images[0]!.buildLog, 'dummy_dummy.ubuntu.amd_gfx942.build.live.log');
  });

  it('takes gpuArchitecture from the Dockerfile default and warns about a bare ARG', async () => {
    const withDefault = entry({ name: 'archdefault', dockerfile: 'docker/archdefault' });
    const bare = entry({ name: 'bare', dockerfile: 'docker/bare' });
    const bare2 = entry({ name: 'bare2', dockerfile: 'docker/bare' });
    const plan = await planBuilds([withDefault, bare, bare2], { hubDir: hub, context: {} });
    assert.equal(plan.builds[0]!.gpuArchitecture, 'gfx942');
    assert.equal(plan.builds[1]!.gpuArchitecture, undefined);
    assert.equal(plan.warnings.length, 1);
    assert.match(plan.warnings[0]!, /docker\/bare\.ubuntu\.amd\.Dockerfile declares ARG MAD_SYSTEM_GPU_ARCHITECTURE without a default/);
    const targeted = await planBuilds([bare], { hubDir: hub, context: {}, targetArchs: ['gfx942'] });
    assert.deepEqual(targeted.warnings, []);
  });

  it('infers the vendor from the name, else the text', async () => {
    const nvidia = await planBuilds([dummy], { hubDir: hub, context: { gpu_vendor: 'NVIDIA' } });
    assert.equal(nvidia.builds[0]!.gpuVendor, 'NVIDIA');
    assert.equal(nvidia.builds[0]!.images[0]!.image, 'ci-dummy_dummy.ubuntu.nvidia');
    const generic = await planBuilds([entry({ name: 'g', dockerfile: 'docker/generic' })], { hubDir: hub, context: {} });
    assert.equal(generic.builds[0]!.gpuVendor, '');
  });

  it('builds every matching Dockerfile, following ctx_test', async () => {
    const plain = await planBuilds([ctxtest], { hubDir: hub, context: {} });
    assert.deepEqual(summary(plain), [['docker/dummy_ctxtest.noctx.ubuntu.amd.Dockerfile', ['ci-dummy_ctxtest_dummy_ctxtest.noctx.ubuntu.amd']]]);
    const two = await planBuilds([ctxtest, dummy], { hubDir: bareHub, context: {} });
    assert.deepEqual(summary(two), [
      ['docker/dummy_ctxtest.ctx2a.ubuntu.amd.Dockerfile', ['ci-dummy_ctxtest_dummy_ctxtest.ctx2a.ubuntu.amd']],
      ['docker/dummy_ctxtest.ctx2b.ubuntu.amd.Dockerfile', ['ci-dummy_ctxtest_dummy_ctxtest.ctx2b.ubuntu.amd']],
      ['docker/dummy.ubuntu.amd.Dockerfile', ['ci-dummy_dummy.ubuntu.amd']],
    ]);
    assert.equal(two.builds[0]!.toolsContext, undefined);
    assert.ok(!('toolsContext' in two.builds[0]!));
  });

  it('reports every model without a Dockerfile in one error', async () => {
    const ghost = entry({ name: 'ghost', dockerfile: 'docker/ghost' });
    const centosOnly = entry({ name: 'dummy_nv', dockerfile: 'docker/dummy' });
    await assert.rejects(
      planBuilds([ghost, dummy], { hubDir: hub, context: {} }),
      (error: unknown) =>
        error instanceof BuildError && error.exitCode === 2 && /^model ghost has no Dockerfile: no file matches docker\/ghost\.\*/.test(error.message),
    );
    await assert.rejects(
      planBuilds([ghost, centosOnly], { hubDir: hub, context: { guest_os: 'CENTOS' } }),
      (error: unknown) =>
        error instanceof BuildError &&
        error.message.startsWith('2 selected models have no matching Dockerfile:\n- model ghost ') &&
        error.message.includes('\n- model dummy_nv has no Dockerfile for context {gpu_vendor: AMD, guest_os: CENTOS}'),
    );
  });

  it('returns an empty plan for no models', async () => {
    assert.deepEqual(await planBuilds([], { hubDir: hub, context: {} }), { builds: [], models: 0, warnings: [] });
  });
});

describe('planBuilds: invalid image names (issue 9 item 16)', () => {
  it('leaves a model whose image name is invalid out of the shared build, naming it; the others still build', async () => {
    // Built directly (discover rejects such names): e.g. a manifest or batch input naming the model.
    const bad = entry({ name: 'bert large', dockerfile: 'docker/dummy' });
    const plan = await planBuilds([bad, dummy], { hubDir: hub, context: {} });
    assert.deepEqual(summary(plan), [['docker/dummy.ubuntu.amd.Dockerfile', ['ci-dummy_dummy.ubuntu.amd']]]);
    assert.deepEqual(plan.rejected, [
      {
        model: 'bert large',
        dockerfile: 'docker/dummy.ubuntu.amd.Dockerfile',
        image: 'ci-bert large_dummy.ubuntu.amd',
        error:
          "model bert large: image name 'ci-bert large_dummy.ubuntu.amd' is not a valid Docker image name: it must be lower-case letters and digits joined by '.', '_', '__' or dashes (a model name may use upper case and '/', which become lower case and '_')",
      },
    ]);
    assert.equal(plan.models, 2, 'both models are in the plan: one to build, one rejected');
  });
});
