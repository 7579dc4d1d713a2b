/**
 * build-push: build the images of the selected models (one per unique build input, reused while
 * unchanged), push them, write build_manifest.json and optionally upload it as an artifact.
 */
import path from 'node:path';
import * as core from '@actions/core';
import { ConfigError } from '../core/errors.ts';
import { registryCredentialKey } from '../core/registry/credentials.ts';
import { splitTags } from '../core/hub/tags.ts';
import { buildWorkflow } from '../workflows/build.ts';
import { booleanInput, jsonInput, listInput, optionalInput, stringInput } from '../github/inputs.ts';
import { actionsLogger } from '../github/logger.ts';
import { runAction, workspace } from '../github/run-action.ts';
import { writeSummaryTable } from '../github/summary.ts';
import { uploadFiles } from '../github/artifacts.ts';
import { maskHubSecrets } from '../github/secrets.ts';

/** Tags from `tags`, else the names of discover's `models` output, else everything. */
function selectedTags(): string[] {
  const tags = splitTags(listInput('tags'));
  const models = jsonInput<{ name?: unknown }[]>('models');
  if (models !== undefined) {
    if (!Array.isArray(models) || models.some((m) => typeof m?.name !== 'string')) {
      throw new ConfigError("input 'models' must be discover's output: a JSON array of model records with a name");
    }
    if (tags.length) throw new ConfigError("inputs 'tags' and 'models' cannot be used together");
    return models.map((m) => m.name as string);
  }
  return tags.length ? tags : ['all'];
}

async function main(): Promise<void> {
  const logger = actionsLogger();
  const root = workspace();
  const registry = optionalInput('registry');
  const username = optionalInput('username');
  const password = optionalInput('password');
  if (password) core.setSecret(password);
  if ((username === undefined) !== (password === undefined)) throw new ConfigError("inputs 'username' and 'password' go together: give both or neither");
  if (username && !registry) throw new ConfigError("inputs 'username'/'password' need 'registry'");
  const push = booleanInput('push', true);
  const contextText = optionalInput('additional-context');
  const contextFile = optionalInput('additional-context-file');
  const manifestOutput = path.resolve(root, stringInput('manifest-output') || 'build_manifest.json');

  const hubDir = path.resolve(root, optionalInput('hub') ?? '.');
  await maskHubSecrets(hubDir);
  const result = await buildWorkflow({
    hubDir,
    tags: selectedTags(),
    ...(contextText !== undefined ? { contextText, contextTextSource: "input 'additional-context'" } : {}),
    ...(contextFile !== undefined ? { contextFile: path.resolve(root, contextFile) } : {}),
    ...(registry && push ? { registry } : {}),
    ...(registry && username && password ? { credentials: { [registryCredentialKey(registry)]: { username, password } } } : {}),
    noCache: booleanInput('clean-cache', false),
    manifestOutput,
    logger,
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

  const artifact = optionalInput('upload-artifact');
  if (artifact) {
    await uploadFiles(artifact, [manifestOutput], path.dirname(manifestOutput));
    core.info(`uploaded ${manifestOutput} as artifact '${artifact}'`);
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

await runAction(main);
