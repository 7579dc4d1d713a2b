/** Batch manifests: build_new:false entries become manifest entries named like pushed images. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { applyBatchEntries, type BatchManifest } from '../../../src/core/build/batch.ts';
import { validateContext } from '../../../src/core/context/validate.ts';
import { discoverModels } from '../../../src/core/hub/discover.ts';
import type { BuildManifest } from '../../../src/core/manifest/manifest.ts';
import { repoRoot } from '../../helpers/node.ts';

const hubDir = path.join(repoRoot, 'examples/mad');
const empty: BuildManifest = { built_images: {}, built_models: {}, context: {}, credentials_required: [] };
const batch = (entries: BatchManifest['entries']): BatchManifest => ({ file: 'batch.json', entries, buildTags: [], registryImageFor: () => undefined });

test('build_new:false entries are referenced by the registry image a push would give them (difference 28)', async () => {
  const catalogue = await discoverModels(hubDir);
  const context = validateContext({}, 'test').context;
  const credentials = { dockerhub: { username: 'u', password: 'p', repository: 'myorg/ci' } };
  const key = 'ci-dummy2_model1_dummy.ubuntu.amd';
  const imageFor = async (registry: string | undefined, entry: Partial<BatchManifest['entries'][number]> = {}) =>
    (
      await applyBatchEntries(empty, batch([{ model_name: 'dummy2/model1', build_new: false, ...entry }]), {
        catalogue,
        hubDir,
        context,
        registry,
        credentials,
      })
    ).built_images[key];

  for (const hub of ['docker.io', 'dockerhub', 'index.docker.io', 'registry-1.docker.io']) {
    assert.equal((await imageFor(hub))?.registry_image, `myorg/ci:${key}`, hub);
  }
  assert.equal((await imageFor('localhost:5000'))?.registry_image, `localhost:5000/${key}`);
  assert.equal((await imageFor(undefined, { registry: 'ghcr.io/o' }))?.registry_image, `ghcr.io/o/${key}`, "the entry's registry wins");
  assert.equal((await imageFor('docker.io', { registry_image: 'x/y:z' }))?.registry_image, 'x/y:z', 'an explicit registry_image is kept');
  assert.equal((await imageFor(undefined))?.registry_image, '', 'no registry: nothing to pull');
  assert.equal((await imageFor(undefined))?.registry, 'dockerhub');
});
