/**
 * madengine's --batch-manifest (compat §2.6): a JSON list of {model_name, build_new,
 * registry, registry_image}. Models with build_new are built (their names are the tags);
 * the others get manifest entries pointing at images built earlier, so one manifest can
 * run a mix of fresh and existing images.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { readJsonFile } from '../util/json-file.ts';
import { dottedPath, formatIssue } from '../util/zod.ts';
import type { Catalogue } from '../hub/discover.ts';
import { selectModels } from '../hub/tags.ts';
import { imageName, registryImageName } from '../images/naming.ts';
import type { Credentials } from '../registry/credentials.ts';
import { findDockerfiles, selectionContext } from '../images/select.ts';
import type { BuildManifest } from '../manifest/manifest.ts';
import type { AdditionalContext } from '../context/schema.ts';
import { DOCKER_HUB_CREDENTIAL_KEY } from '../registry/docker-hub.ts';

const entrySchema = z.looseObject({
  model_name: z.string().min(1),
  build_new: z.boolean().default(false),
  registry: z.string().optional(),
  registry_image: z.string().optional(),
});
type BatchEntry = z.output<typeof entrySchema>;

export interface BatchManifest {
  file: string;
  entries: BatchEntry[];
  /** Tags to build: the model names of build_new entries. */
  buildTags: string[];
  /** A batch entry's registry_image for a built model, if it names one. */
  registryImageFor: (modelName: string) => string | undefined;
}

export async function readBatchManifest(file: string): Promise<BatchManifest> {
  const raw = await readJsonFile(file, ConfigError);
  if (!Array.isArray(raw)) throw new ConfigError(`${file}: a batch manifest must be a JSON list of {"model_name": ..., "build_new": ...} objects`, { file });
  const problems: string[] = [];
  const entries: BatchEntry[] = [];
  raw.forEach((item, index) => {
    const parsed = entrySchema.safeParse(item);
    if (parsed.success) entries.push(parsed.data);
    else
      problems.push(
        ...parsed.error.issues.map((issue) =>
          formatIssue(issue, item, {
            path: (keys) => `entry ${index}${keys.length ? `.${dottedPath(keys)}` : ''}`,
            missing: (at) => `${at}: missing`,
            invalid: (at, _value, { message }) => `${at}: ${message}`,
          }),
        ),
      );
  });
  if (problems.length) throw new ConfigError(`${file}: invalid batch manifest: ${problems.join('; ')}`, { file });
  const byName = new Map(entries.map((e) => [e.model_name, e]));
  return {
    file,
    entries,
    buildTags: entries.filter((e) => e.build_new).map((e) => e.model_name),
    registryImageFor: (name) => byName.get(name)?.registry_image,
  };
}

/**
 * Add manifest entries for build_new:false models: an image key `ci-<model>_<dockerfile>` (the
 * Dockerfile that matches the context), "build skipped", and the registry image to pull.
 */
export async function applyBatchEntries(
  manifest: BuildManifest,
  batch: BatchManifest,
  options: { catalogue: Catalogue; hubDir: string; context: AdditionalContext; registry?: string; credentials: Credentials },
): Promise<BuildManifest> {
  const result: BuildManifest = { ...manifest, built_images: { ...manifest.built_images }, built_models: { ...manifest.built_models } };
  const selection = await selectionContext(options.context, options.hubDir);
  for (const entry of batch.entries.filter((e) => !e.build_new)) {
    const [selected] = selectModels(options.catalogue, [entry.model_name]);
    if (!selected) continue;
    const candidates = await findDockerfiles(selected.model, options.hubDir, selection);
    const dockerfile = candidates.find((c) => c.matches)?.path ?? '';
    const image = imageName(selected.model.name, dockerfile || `${selected.model.dockerfile}.unknown`);
    const registry = entry.registry ?? options.registry;
    // Named like a pushed image (difference 28): madengine wrote "dockerhub/<image>", a Docker Hub user's repository.
    const registryImage = entry.registry_image ?? (registry ? registryImageName(registry, image, options.credentials) : '');
    result.built_images[image] = {
      model: selected.model.name,
      docker_image: image,
      dockerfile,
      base_docker: '',
      docker_sha: '',
      build_duration: 0,
      build_command: `# Skipped build for ${selected.model.name} (build_new=false)`,
      log_file: `${selected.model.name.replaceAll('/', '_')}.build.skipped.log`,
      registry_image: registryImage,
      registry: registry ?? DOCKER_HUB_CREDENTIAL_KEY,
      reused: true,
    };
    result.built_models[image] = { ...selected.model };
  }
  return result;
}
