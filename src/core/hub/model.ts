/**
 * The model record: one entry of a models.json catalogue (or one CustomModel from a
 * get_models_json.py), normalised so the rest of the toolkit never guesses at types.
 *
 * Defaults are madengine's CustomModel defaults (reference §1.2). Unknown keys
 * (env_vars, distributed, slurm, additional_docker_run_options, deprecated, ...) are kept
 * verbatim so build_manifest.json carries the full model dict exactly as madengine does.
 */
import { z } from 'zod';

/** n_gpus and friends may be written as numbers in JSON; madengine treats them as strings. */
const stringish = z.union([z.string(), z.number()]).transform((value) => String(value));

/** tags: a list, or madengine's comma-separated string form. */
const tagList = z
  .union([z.array(z.string()), z.string()])
  .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((tag) => tag.trim()).filter(Boolean));

/** skip_gpu_arch: a comma-separated string, or a list (joined back to madengine's string form). */
const commaString = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value.join(',') : value));

export const modelSchema = z.looseObject({
  name: z.string().min(1, 'must be a non-empty string'),
  dockerfile: z.string().default(''),
  dockercontext: z.string().default(''),
  scripts: z.string().default(''),
  url: z.string().default(''),
  cred: z.string().default(''),
  owner: z.string().default(''),
  data: z.string().default(''),
  n_gpus: stringish.default('-1'),
  timeout: z.union([z.number(), z.string().regex(/^-?\d+$/).transform(Number), z.null()]).default(7200),
  training_precision: z.string().default(''),
  tags: tagList.default([]),
  args: z.string().default(''),
  multiple_results: z.string().default(''),
  skip_gpu_arch: commaString.default(''),
});

/** A normalised model. Extra keys from the catalogue are preserved as `unknown`. */
export type Model = z.output<typeof modelSchema>;

/** Where a model came from, for error messages and annotations. */
export interface ModelOrigin {
  /** Catalogue file, relative to the hub root (models.json, scripts/x/models.json, scripts/x/get_models_json.py). */
  file: string;
  kind: 'root' | 'static' | 'dynamic';
  /** Index of the entry within its catalogue. */
  index: number;
}

/** A discovered model with the catalogue it came from. */
export interface DiscoveredModel {
  model: Model;
  origin: ModelOrigin;
}
