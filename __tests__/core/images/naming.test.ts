import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { archImageName, buildLogName, containerName, hostRunLogName, imageName, registryImageName, runLogName } from '../../../src/core/images/naming.ts';

describe('imageName (compat §2.3)', () => {
  it('matches madengine for root, scoped and ctx-test models', () => {
    assert.equal(imageName('dummy', 'docker/dummy.ubuntu.amd.Dockerfile'), 'ci-dummy_dummy.ubuntu.amd');
    assert.equal(imageName('dummy2/model1', 'docker/dummy.ubuntu.amd.Dockerfile'), 'ci-dummy2_model1_dummy.ubuntu.amd');
    assert.equal(imageName('dummy3/model4', 'scripts/dummy3/docker/dummy.ubuntu.amd.Dockerfile'), 'ci-dummy3_model4_dummy.ubuntu.amd');
    assert.equal(imageName('dummy_ctxtest', 'docker/dummy_ctxtest.ctx2a.ubuntu.amd.Dockerfile'), 'ci-dummy_ctxtest_dummy_ctxtest.ctx2a.ubuntu.amd');
  });

  it('lower-cases the model name but not the Dockerfile stem', () => {
    assert.equal(imageName('Org/Model_X', 'docker/Prim.ubuntu.amd.Dockerfile'), 'ci-org_model_x_Prim.ubuntu.amd');
  });

  it('keeps a name that has no .Dockerfile suffix whole', () => {
    assert.equal(imageName('m', 'docker/m.cuda'), 'ci-m_m.cuda');
  });

  it('appends the arch for target-arch builds', () => {
    assert.equal(archImageName('ci-dummy_dummy.ubuntu.amd', 'gfx942'), 'ci-dummy_dummy.ubuntu.amd_gfx942');
  });
});

describe('buildLogName (compat §2.3)', () => {
  it('keeps the model case and replaces slashes', () => {
    assert.equal(buildLogName('dummy', 'docker/dummy.ubuntu.amd.Dockerfile'), 'dummy_dummy.ubuntu.amd.build.live.log');
    assert.equal(buildLogName('dummy2/Model1', 'docker/dummy.ubuntu.amd.Dockerfile'), 'dummy2_Model1_dummy.ubuntu.amd.build.live.log');
  });

  it('adds the arch so per-arch builds keep separate logs', () => {
    assert.equal(buildLogName('dummy', 'docker/dummy.ubuntu.amd.Dockerfile', 'gfx90a'), 'dummy_dummy.ubuntu.amd_gfx90a.build.live.log');
  });
});

describe('runLogName (compat §3.3)', () => {
  it('matches the reference vectors', () => {
    assert.equal(runLogName('dummy', 'ci-dummy_dummy.ubuntu.amd'), 'dummy_dummy.ubuntu.amd.run.live.log');
    assert.equal(runLogName('org/model', 'ci-org_model_ubuntu.22.04', ''), 'org_model_ubuntu.22.04.live.log');
    assert.equal(runLogName('a/b', 'ci-a_b_cuda'), 'a_b_cuda.run.live.log');
    assert.equal(runLogName('dummy_ctxtest', 'rocm/tensorflow:latest'), 'dummy_ctxtest_rocm_tensorflow_latest.run.live.log');
    assert.equal(runLogName('other/model', 'ci-some_ubuntu_22', ''), 'other_model_some_ubuntu_22.live.log');
  });

  it('names a pushed image by its ci- tag so it pairs with the build log', () => {
    const model = 'primus_pretrain/torchtitan_MI300X_qwen3_4B-pretrain';
    const short = 'ci-primus_pretrain_torchtitan_mi300x_qwen3_4b-pretrain_primus.ubuntu.amd';
    assert.equal(runLogName(model, short), 'primus_pretrain_torchtitan_MI300X_qwen3_4B-pretrain_primus.ubuntu.amd.run.live.log');
    assert.equal(runLogName(model, `rocm/mad-private:${short}`), runLogName(model, short));
    const digest = `sha256:${'df36ef7e'.repeat(8)}`;
    assert.equal(runLogName(model, `rocm/mad-private:${short}@${digest}`), runLogName(model, short));
  });

  it('sanitises other references, digest dropped', () => {
    assert.equal(runLogName('m', 'ubuntu:22.04'), 'm_ubuntu_22.04.run.live.log');
    assert.equal(runLogName('m', 'registry/ns/myimg:latest'), 'm_registry_ns_myimg_latest.run.live.log');
    const digest = `sha256:${'df36ef7e'.repeat(8)}`;
    assert.equal(runLogName('m', `registry/ns/myimg@${digest}`), runLogName('m', 'registry/ns/myimg'));
  });

  it('pairs with buildLogName for plain and per-arch images', () => {
    const df = 'docker/dummy.ubuntu.amd.Dockerfile';
    const image = imageName('dummy2/model1', df);
    assert.equal(runLogName('dummy2/model1', image, '.build'), buildLogName('dummy2/model1', df));
    assert.equal(runLogName('dummy2/model1', archImageName(image, 'gfx942'), '.build'), buildLogName('dummy2/model1', df, 'gfx942'));
  });

  it('names the pass of a model that runs several times (host and container logs)', () => {
    assert.equal(hostRunLogName('dummy2/model1'), 'dummy2_model1.host.run.live.log');
    assert.equal(hostRunLogName('dummy2/model1', 'sample2'), 'dummy2_model1.host.sample2.run.live.log');
    assert.equal(runLogName('dummy', 'ci-dummy_dummy.ubuntu.amd', '.warmup1.run'), 'dummy_dummy.ubuntu.amd.warmup1.run.live.log');
  });

  it('drops only the leading ci- (a model name containing ci- still pairs)', () => {
    const df = 'docker/x.ubuntu.amd.Dockerfile';
    assert.equal(runLogName('foo-ci-bar', imageName('foo-ci-bar', df), '.build'), buildLogName('foo-ci-bar', df));
  });
});

describe('containerName (compat §3.3)', () => {
  it('matches madengine names', () => {
    assert.equal(containerName('ci-dummy_dummy.ubuntu.amd'), 'container_ci-dummy_dummy.ubuntu.amd');
    assert.equal(containerName('rocm/tensorflow:latest'), 'container_rocm_tensorflow_latest');
    assert.equal(containerName('ubuntu:22.04'), 'container_ubuntu_22.04');
    assert.equal(containerName('localhost:5000/ns/img:tag'), 'container_localhost_5000_ns_img_tag');
    assert.equal(containerName('registry/ns/img:ci-m_model_df'), 'container_registry_ns_img_ci-m_model_df');
  });

  it('adds the node rank for multi-node runs', () => {
    assert.equal(containerName('ci-dummy_dummy.ubuntu.amd', { rank: 0 }), 'container_ci-dummy_dummy.ubuntu.amd_node0');
    assert.equal(containerName('ci-x', { rank: '3' }), 'container_ci-x_node3');
    assert.equal(containerName('ci-x', { rank: '' }), 'container_ci-x');
  });

  it('ends with the run id, so two runs of one image never share a name (difference 33)', () => {
    const uuid = '0b7e4c1a-2f5d-4e8b-9a3c-5d6e7f8a9b0c';
    assert.equal(containerName('ci-x', { runId: uuid }), 'container_ci-x_7f8a9b0c');
    assert.equal(containerName('ci-x', { runId: '9876543210-1-ab12cd34' }), 'container_ci-x_ab12cd34');
    assert.equal(containerName('ci-x', { runId: 'run 1/é', rank: 2 }), 'container_ci-x_node2_run_1__');
    assert.notEqual(containerName('ci-x', { runId: '9876543210-1-ab12cd34' }), containerName('ci-x', { runId: '9876543210-1-ffff0000' }));
    assert.match(containerName('ci-x', { runId: 'run 1/é' }), /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/);
  });

  it('ends with the pass when a model runs several times in one run (--repeat, --warmup)', () => {
    const runId = '9876543210-1-ab12cd34';
    assert.equal(containerName('ci-x', { runId, pass: 'sample2' }), 'container_ci-x_ab12cd34_sample2');
    assert.equal(containerName('ci-x', { runId, rank: 1, pass: 'warmup1' }), 'container_ci-x_node1_ab12cd34_warmup1');
    assert.equal(containerName('ci-x', { runId, pass: '' }), 'container_ci-x_ab12cd34');
  });

  it('gives digest-pinned references a name Docker accepts', () => {
    const digest = `sha256:${'af99a16c'.repeat(8)}`;
    const name = containerName(`registry/ns/mad-private@${digest}`);
    assert.equal(name, 'container_registry_ns_mad-private');
    assert.match(name, /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/);
    assert.equal(containerName(`registry/ns/img:tag@${digest}`), containerName('registry/ns/img:tag'));
  });
});

describe('registryImageName (compat §2.5)', () => {
  const dockerhub = { dockerhub: { repository: 'myorg/ci', username: 'u', password: 'p' } };

  it('uses the dockerhub repository for docker.io and dockerhub, any case', () => {
    assert.equal(registryImageName('dockerhub', 'ci-dummy_dummy.ubuntu.amd', dockerhub), 'myorg/ci:ci-dummy_dummy.ubuntu.amd');
    assert.equal(registryImageName('docker.io', 'ci-dummy_dummy.ubuntu.amd', dockerhub), 'myorg/ci:ci-dummy_dummy.ubuntu.amd');
    assert.equal(registryImageName('Docker.IO', 'ci-x', dockerhub), 'myorg/ci:ci-x');
  });

  it('names the image the same way under every name of Docker Hub', () => {
    for (const registry of ['docker.io', 'dockerhub', 'index.docker.io', 'registry-1.docker.io', 'Index.Docker.IO', 'https://index.docker.io/v1/']) {
      assert.equal(registryImageName(registry, 'ci-x', dockerhub), 'myorg/ci:ci-x', registry);
      assert.equal(registryImageName(registry, 'ci-x'), 'ci-x', registry);
    }
  });

  it('keeps the local name on docker hub without a repository', () => {
    assert.equal(registryImageName('dockerhub', 'ci-dummy_dummy.ubuntu.amd'), 'ci-dummy_dummy.ubuntu.amd');
    assert.equal(registryImageName('docker.io', 'ci-x', { dockerhub: { username: 'u' } }), 'ci-x');
    assert.equal(registryImageName('docker.io', 'ci-x', { dockerhub: { repository: '' } }), 'ci-x');
  });

  it('prefixes other registries, with their repository when credentials give one', () => {
    assert.equal(registryImageName('localhost:5000', 'ci-x'), 'localhost:5000/ci-x');
    assert.equal(registryImageName('localhost:5000', 'ci-x', dockerhub), 'localhost:5000/ci-x');
    assert.equal(registryImageName('ghcr.io', 'ci-x', { 'ghcr.io': { repository: 'rocm/mad', username: 'u', password: 'p' } }), 'ghcr.io/rocm/mad:ci-x');
  });

  it('returns the local name without a registry', () => {
    assert.equal(registryImageName('', 'ci-x', dockerhub), 'ci-x');
    assert.equal(registryImageName(undefined, 'ci-x'), 'ci-x');
  });
});
