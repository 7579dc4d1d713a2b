/** The build-matrix action's inputs, parsed and checked: models, group-by, max-jobs, runner-labels. */
import { ConfigError } from '../errors.ts';
import type { Model } from '../hub/model.ts';
import { MODEL_ISSUE_WORDING, normaliseModel } from '../hub/normalise.ts';
import { describeValue } from '../util/describe.ts';
import { isPlainObject } from '../util/object.ts';
import { didYouMean } from '../util/suggest.ts';
import { formatIssue } from '../util/zod.ts';
import type { GroupBy } from './group.ts';
import { normaliseLabelKey, type RunnerLabels } from './labels.ts';
import { MAX_MATRIX_JOBS } from './pack.ts';

/** The inputs are JSON: bad values are described in its words ("an array"). */
const JSON_WORDS = { array: 'an array' } as const;

/** discover's `models` output (a JSON array of model records) -> models, deduplicated by name. */
export function parseModelRecords(value: unknown, source: string): Model[] {
  if (!Array.isArray(value)) {
    throw new ConfigError(`${source}: expected a JSON array of model records (the 'models' output of discover), found ${describeValue(value, JSON_WORDS)}`);
  }
  const models: Model[] = [];
  const seen = new Set<string>();
  value.forEach((raw, index) => {
    if (!isPlainObject(raw)) {
      throw new ConfigError(`${source}: item ${index} must be a model record (an object with at least 'name'), found ${describeValue(raw, JSON_WORDS)}`);
    }
    const outcome = normaliseModel(raw);
    if (!outcome.success) {
      const name = typeof (raw as { name?: unknown }).name === 'string' ? ` (${(raw as { name: string }).name})` : '';
      throw new ConfigError(`${source}: item ${index}${name}: ${outcome.issues.map((issue) => formatIssue(issue, raw, MODEL_ISSUE_WORDING)).join('; ')}`);
    }
    // discover never repeats a model; a hand-written list might, and one job per name is enough.
    if (seen.has(outcome.data.name)) return;
    seen.add(outcome.data.name);
    models.push(outcome.data);
  });
  return models;
}

export function parseGroupBy(value: string | undefined, source: string): GroupBy {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '') return 'image';
  if (text === 'image' || text === 'model') return text;
  throw new ConfigError(`${source}: got '${value}', expected 'image' or 'model'${didYouMean(text, ['image', 'model'])}`);
}

export function parseMaxJobs(value: number, source: string): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_MATRIX_JOBS) {
    throw new ConfigError(`${source}: got ${value}, expected a whole number from 1 to ${MAX_MATRIX_JOBS} (GitHub's limit of jobs per matrix)`);
  }
  return value;
}

const KEY_FORMS = "'<VENDOR>:<n_gpus>' (e.g. 'AMD:8'), '<VENDOR>' (AMD or NVIDIA), 'gpus:<n>', 'cpu' or 'default'";

/** The `runner-labels` mapping: every key in one of the documented forms, every value a label or a list of labels. */
export function parseRunnerLabels(value: unknown, source: string): RunnerLabels {
  if (!isPlainObject(value)) {
    throw new ConfigError(
      `${source}: expected a JSON object mapping keys such as "AMD:8" or "default" to runner labels, found ${describeValue(value, JSON_WORDS)}`,
    );
  }
  const labels = new Map<string, readonly string[]>();
  const given = new Map<string, string>();
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const normal = normaliseLabelKey(key);
    if (normal === undefined) {
      const hint = didYouMean(key, ['AMD', 'NVIDIA', 'cpu', 'default', 'gpus:1', 'AMD:1', 'NVIDIA:1']);
      throw new ConfigError(`${source}: key '${key}' is not one of ${KEY_FORMS}${hint}`);
    }
    const earlier = given.get(normal);
    if (earlier !== undefined) throw new ConfigError(`${source}: keys '${earlier}' and '${key}' mean the same thing; keep one`);
    given.set(normal, key);
    labels.set(normal, labelList(raw, `${source}: key '${key}'`));
  }
  if (labels.size === 0) throw new ConfigError(`${source}: the mapping is empty; give at least a "default" key, e.g. {"default": "self-hosted"}`);
  return labels;
}

function labelList(raw: unknown, where: string): string[] {
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length === 0 || !list.every((label) => typeof label === 'string' && label.trim() !== '')) {
    throw new ConfigError(
      `${where}: expected a runner label or a non-empty list of labels (e.g. ["self-hosted", "mi300x"]), found ${describeValue(raw, JSON_WORDS)}`,
    );
  }
  return list.map((label: string) => label.trim());
}
