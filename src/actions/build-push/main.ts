/**
 * build-push: build the images of the selected models (one per unique build input, reused while
 * unchanged), push them, write build_manifest.json and optionally upload it as an artifact.
 */
import path from 'node:path';
import * as core from '@actions/core';
import type { Logger } from '../../core/log.ts';
import { registryCredentialKey } from '../../core/registry/credentials.ts';
import { uploadFiles } from '../../github/artifacts.ts';
import { actionsLogger } from '../../github/logger.ts';
import { maskValues } from '../../github/masking.ts';
import { writeSummaryTable } from '../../github/summary.ts';
import { buildModels } from '../../pipeline/build.ts';
import type { Inputs } from './inputs.ts';

export async function main(inputs: Inputs, logger: Logger = actionsLogger()): Promise<void> {
  const { registry, login, manifestOutput } = inputs;
  const result = await buildModels({
    hubDir: inputs.hubDir,
    tags: inputs.tags,
    context: inputs.context,
    ...(registry && inputs.push ? { registry } : {}),
    ...(registry && login ? { credentials: { [registryCredentialKey(registry)]: login } } : {}),
    noCache: inputs.cleanCache,
    allowSecretsInImage: inputs.allowSecretsInImage,
    manifestOutput,
    logger,
    // Every secret the pipeline learns (credentials, MAD_SECRETS* of the env and the context) is masked on the runner.
    onSecrets: maskValues,
  });

  const images = Object.values(result.manifest.built_images).map((image) => ({
    image: image.docker_image,
    model: image.model ?? '',
    registry_image: image.registry_image ?? '',
    digest: image.registry_digest ?? '',
    reused: image.reused ?? false,
    push_error: image.push_error,
  }));
  core.setOutput('manifest', manifestOutput);
  core.setOutput('images', JSON.stringify(images));
  core.setOutput('built', String(result.built));
  core.setOutput('reused', String(result.reused));
  core.setOutput('failed', String(result.failedBuilds.length + result.failedPushes.length));

  if (inputs.uploadArtifact) {
    await uploadFiles(inputs.uploadArtifact, [manifestOutput], path.dirname(manifestOutput));
    core.info(`uploaded ${manifestOutput} as artifact '${inputs.uploadArtifact}'`);
  }
  await writeSummaryTable(
    `madengine build: ${result.built} built, ${result.reused} reused, ${result.failedBuilds.length} failed`,
    ['Image', 'Model', 'Status', 'Registry image'],
    [
      ...images.map((i) => [i.image, i.model, i.reused ? 'reused' : 'built', i.push_error ? `push failed: ${i.push_error}` : i.registry_image]),
      ...result.failedBuilds.map((f) => [f.dockerfile ?? '', f.model, 'FAILED', f.error.split('\n')[0] ?? '']),
    ],
  );
  if (result.failedBuilds.length || result.failedPushes.length) {
    throw new Error(`${result.failedBuilds.length} build(s) and ${result.failedPushes.length} push(es) failed; the manifest lists the images that succeeded`);
  }
}
