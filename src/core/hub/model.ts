/**
 * The model record: one entry of a models.json catalogue (or one CustomModel from a
 * get_models_json.py), normalised so the rest of the toolkit never guesses at types.
 *
 * Defaults are madengine's CustomModel defaults (compat §1.2). Unknown keys
 * (env_vars, distributed, slurm, additional_docker_run_options, deprecated, ...) are kept
 * verbatim so build_manifest.json carries the full model dict exactly as madengine does.
 */
import { z } from 'zod';

/** madengine's CustomModel defaults (compat §1.2): what an entry that leaves a key out gets. The one copy. */
export const MODEL_DEFAULTS = Object.freeze({
  dockerfile: '',
  dockercontext: '',
  scripts: '',
  url: '',
  cred: '',
  owner: '',
  data: '',
  n_gpus: '-1',
  timeout: 7200 as number | null,
  training_precision: '',
  tags: Object.freeze([]) as readonly string[],
  args: '',
  multiple_results: '',
  skip_gpu_arch: '',
});

/** n_gpus and friends may be written as numbers in JSON; madengine treats them as strings. */
const stringish = z.union([z.string(), z.number()]).transform((value) => String(value));

/** tags: a list, or madengine's comma-separated string form. */
const tagList = z
  .union([z.array(z.string()), z.string()])
  .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((tag) => tag.trim()).filter(Boolean));

/** skip_gpu_arch: a comma-separated string, or a list (joined back to madengine's string form). */
const commaString = z.union([z.string(), z.array(z.string())]).transform((value) => (Array.isArray(value) ? value.join(',') : value));

export const modelSchema = z.looseObject({
  name: z.string().min(1, 'must be a non-empty string'),
  dockerfile: z.string().default(MODEL_DEFAULTS.dockerfile),
  dockercontext: z.string().default(MODEL_DEFAULTS.dockercontext),
  scripts: z.string().default(MODEL_DEFAULTS.scripts),
  url: z.string().default(MODEL_DEFAULTS.url),
  cred: z.string().default(MODEL_DEFAULTS.cred),
  owner: z.string().default(MODEL_DEFAULTS.owner),
  data: z.string().default(MODEL_DEFAULTS.data),
  n_gpus: stringish.default(MODEL_DEFAULTS.n_gpus),
  timeout: z
    .union([
      z.number(),
      z
        .string()
        .regex(/^-?\d+$/)
        .transform(Number),
      z.null(),
    ])
    .default(MODEL_DEFAULTS.timeout),
  training_precision: z.string().default(MODEL_DEFAULTS.training_precision),
  tags: tagList.default(() => [...MODEL_DEFAULTS.tags]),
  args: z.string().default(MODEL_DEFAULTS.args),
  multiple_results: z.string().default(MODEL_DEFAULTS.multiple_results),
  skip_gpu_arch: commaString.default(MODEL_DEFAULTS.skip_gpu_arch),
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
