/**
 * build_manifest.json: the hand-over from the build phase to the run phase.
 * madengine-compatible (compat §2.8): built_images and built_models keyed by the local
 * image name, the build context, credentials_required, summary, deployment_config.
 * Our additions live on each built_images entry (build_hash, reused, registry_digest, models).
 * Unknown keys are preserved, so a madengine manifest round-trips.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { readJsonFile } from '../util/json-file.ts';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { formatIssue } from '../util/zod.ts';

export const builtImageSchema = z.looseObject({
  docker_image: z.string().min(1),
  dockerfile: z.string().default(''),
  model: z.string().optional(),
  base_docker: z.string().default(''),
  docker_sha: z.string().default(''),
  build_duration: z.number().default(0),
  build_command: z.string().optional(),
  log_file: z.string().optional(),
  gpu_vendor: z.string().optional(),
  gpu_architecture: z.string().optional(),
  registry: z.string().optional(),
  registry_image: z.string().nullable().optional(),
  push_error: z.string().optional(),
  local_image: z.boolean().optional(),
  // ours
  build_id: z.string().optional(),
  build_hash: z.string().optional(),
  reused: z.boolean().optional(),
  reused_from: z.enum(['local', 'registry']).optional(),
  registry_digest: z.string().optional(),
  models: z.array(z.string()).optional(),
  /** Secret build args (names) the Dockerfile declares: their values are in this image's history. */
  secret_build_args: z.array(z.string()).optional(),
});
export type BuiltImage = z.output<typeof builtImageSchema>;

export const builtModelSchema = z.looseObject({
  name: z.string().min(1),
});

export const manifestSchema = z.looseObject({
  built_images: z.record(z.string(), builtImageSchema),
  built_models: z.record(z.string(), builtModelSchema),
  context: z.record(z.string(), z.unknown()),
  credentials_required: z.array(z.string()).default([]),
  summary: z
    .looseObject({
      successful_builds: z.array(z.unknown()).default([]),
      failed_builds: z.array(z.unknown()).default([]),
      total_build_time: z.number().default(0),
      successful_pushes: z.array(z.unknown()).default([]),
      failed_pushes: z.array(z.unknown()).default([]),
    })
    .optional(),
  deployment_config: z.record(z.string(), z.unknown()).optional(),
});
export type BuildManifest = z.output<typeof manifestSchema>;

export interface FailedBuild {
  model: string;
  error: string;
  dockerfile?: string;
  architecture?: string;
}

/** Read and validate a manifest (ours or madengine's); every problem is named with its key path. */
export async function readManifest(file: string): Promise<BuildManifest> {
  const raw = await readJsonFile(file, ConfigError);
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      formatIssue(issue, raw, {
        missing: (key) => `missing required key '${key}'`,
        invalid: (key, _value, { message }) => `${key || '(top level)'}: ${message}`,
      }),
    );
    throw new ConfigError(`${file}: not a valid build manifest: ${problems.join('; ')}`, { file });
  }
  const manifest = parsed.data;
  const orphans = Object.keys(manifest.built_images).filter((key) => !(key in manifest.built_models));
  if (orphans.length) {
    throw new ConfigError(`${file}: built_images without a built_models entry of the same key: ${orphans.join(', ')}`, { file });
  }
  return manifest;
}

export async function writeManifest(file: string, manifest: BuildManifest): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(manifest, null, 2) + '\n');
}
