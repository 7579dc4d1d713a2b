/**
 * Catalogue entry -> Model, exactly as `modelSchema` would parse it, but fast when cold.
 *
 * A hub of 5,000 models must be discovered in well under a second from a fresh process, and zod
 * spends most of that warming up. The common case (every known key absent or of its usual type) is
 * normalised here by hand; anything else goes through `modelSchema`, which also produces the
 * precise error messages. A test checks both paths give identical output (values and key order).
 */
import type { z } from 'zod';
import { MODEL_DEFAULTS, modelSchema } from './model.ts';
import type { Model } from './model.ts';
import { describeValue } from '../util/describe.ts';
import type { IssueWording } from '../util/zod.ts';
import { isPlainObject } from '../util/object.ts';

type Outcome = { success: true; data: Model } | { success: false; issues: z.core.$ZodIssue[] };

type Field = (value: unknown) => unknown; // a given value as the schema would output it, or SLOW when it needs the full schema
const SLOW = Symbol('slow');

const text: Field = (value) => (typeof value === 'string' ? value : SLOW);

/** Given values only: an absent key gets MODEL_DEFAULTS (see fieldValue). */
const FIELDS: Record<string, Field> = {
  name: (value) => (typeof value === 'string' && value !== '' ? value : SLOW),
  dockerfile: text,
  dockercontext: text,
  scripts: text,
  url: text,
  cred: text,
  owner: text,
  data: text,
  n_gpus: (value) => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : SLOW),
  timeout: (value) => (typeof value === 'number' || value === null ? value : SLOW),
  training_precision: text,
  tags: (value) => {
    const list = typeof value === 'string' ? value.split(',') : value;
    if (!Array.isArray(list) || !list.every((tag) => typeof tag === 'string')) return SLOW;
    return (list as string[]).map((tag) => tag.trim()).filter(Boolean);
  },
  args: text,
  multiple_results: text,
  skip_gpu_arch: text,
};

/** The output for one known key: the given value, or the model default (a key without one, `name`, is required). */
function fieldValue(key: string, value: unknown): unknown {
  if (value !== undefined) return FIELDS[key]!(value);
  if (!Object.hasOwn(MODEL_DEFAULTS, key)) return SLOW;
  const fallback = MODEL_DEFAULTS[key as keyof typeof MODEL_DEFAULTS];
  return Array.isArray(fallback) ? [...fallback] : fallback;
}

const SHAPE_KEYS = Object.keys(modelSchema.shape);
// Should model.ts gain a field this file does not know, every entry simply takes the schema path.
const FAST_PATH_USABLE = SHAPE_KEYS.every((key) => key in FIELDS);

/** Normalise one entry like `modelSchema.safeParse(raw)`. */
export function normaliseModel(raw: unknown): Outcome {
  if (FAST_PATH_USABLE && isPlainObject(raw)) {
    const input = raw as Record<string, unknown>;
    const output: Record<string, unknown> = {};
    let fast = true;
    for (const key of SHAPE_KEYS) {
      const value = fieldValue(key, input[key]);
      if (value === SLOW) {
        fast = false;
        break;
      }
      output[key] = value;
    }
    if (fast) {
      for (const key of Object.keys(input)) if (!(key in FIELDS)) output[key] = input[key];
      return { success: true, data: output as Model };
    }
  }
  const parsed = modelSchema.safeParse(raw);
  return parsed.success ? { success: true, data: parsed.data } : { success: false, issues: parsed.error.issues };
}

/** What each known key accepts, in words, for error messages. */
const EXPECTED: Record<string, string> = {
  name: 'a non-empty string',
  n_gpus: 'a string or a number (e.g. "1", or "-1" for all GPUs)',
  timeout: 'a whole number of seconds (a number or a string of digits) or null',
  tags: 'a list of strings or a comma-separated string',
  skip_gpu_arch: 'a comma-separated string or a list of strings',
};

/** How a model's schema issues read: "key 'n_gpus': expected a string or a number (...), found boolean true". */
export const MODEL_ISSUE_WORDING: IssueWording = {
  missing: (key, issue) => (key === '' ? issue.message : `key '${key}' is required`),
  invalid: (key, value, issue) => {
    if (key === '') return issue.message;
    const expected = EXPECTED[key] ?? (key in FIELDS ? 'a string' : undefined);
    return expected === undefined ? `key '${key}': ${issue.message}` : `key '${key}': expected ${expected}, found ${describeValue(value, { listItems: true })}`;
  },
};
