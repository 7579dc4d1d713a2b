/**
 * The job matrix for a workflow's `strategy.matrix`: one entry per image build (or per model), each
 * with the runner labels its models need, packed into fewer jobs when GitHub's limits (256 jobs per
 * matrix, 1 MB of job outputs) would be exceeded.
 */
import type { BuildPlan } from './images/plan.ts';
import { planBuilds } from './images/plan.ts';
import type { GpuVendor } from './images/dockerfile.ts';
import { ConfigError } from './errors.ts';
import type { DiscoveredModel, Model } from './hub/model.ts';
import { MODEL_ISSUE_WORDING, normaliseModel } from './hub/normalise.ts';
import { dockerfileStem } from './images/naming.ts';
import { describeValue } from './util/describe.ts';
import { didYouMean } from './util/suggest.ts';
import { isPlainObject } from './util/object.ts';
import { formatIssue } from './util/zod.ts';

/** GitHub's hard limit of jobs per matrix. */
export const MAX_MATRIX_JOBS = 256;
/** Job outputs are capped at 1 MB per job; stay well under it so the other outputs still fit. */
export const MAX_MATRIX_BYTES = 900_000;
/** Job names longer than this are cut: GitHub shows them in narrow lists. */
const MAX_NAME_LENGTH = 100;
/** The inputs are JSON: bad values are described in its words ("an array"). */
const JSON_WORDS = { array: 'an array' } as const;

export type GroupBy = 'image' | 'model';

/** One model as the matrix sees it: its first planned image and what it needs from a runner. */
export interface MatrixModel {
  name: string;
  /** madengine's n_gpus ("0": CPU only, "-1": all GPUs). */
  nGpus: string;
  /** Id of the build producing the model's first image: models sharing it are one job with group-by image. */
  build: string;
  /** The model's first madengine image name. */
  image: string;
  /** Hub-relative Dockerfile of that image. */
  dockerfile: string;
  gpuVendor: GpuVendor;
}

/** One `include` entry: `runs-on: ${{ matrix.runs-on }}`, `tags: ${{ matrix.tags }}`. */
export interface MatrixEntry {
  name: string;
  /** Comma-separated model names, usable as madengine tags. */
  tags: string;
  models: string[];
  /** Image of the first model. */
  image: string;
  /** AMD, NVIDIA or '' (comma-separated when a packed job mixes images of different vendors; '' is then left out). */
  gpu_vendor: string;
  /** The most GPUs any model of the job asks for ("-1": all of them). */
  n_gpus: string;
  'runs-on': string[];
}

export interface Matrix {
  include: MatrixEntry[];
}

export interface MatrixResult {
  matrix: Matrix;
  /** The matrix as the compact JSON the `matrix` output carries. */
  json: string;
  /** UTF-8 size of `json`. */
  bytes: number;
  /** Entries before packing (equal to include.length when nothing was packed). */
  unpacked: number;
  /** Why entries were packed, for the log; undefined when they were not. */
  packedBecause?: string;
}

// ---------------------------------------------------------------------------------------------
// Inputs

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

/** Runner-label keys, normalised (vendors upper-case, counts canonical) -> labels. */
export type RunnerLabels = ReadonlyMap<string, readonly string[]>;

const KEY_FORMS = "'<VENDOR>:<n_gpus>' (e.g. 'AMD:8'), '<VENDOR>' (AMD or NVIDIA), 'gpus:<n>', 'cpu' or 'default'";

/** The `runner-labels` mapping: every key in one of the documented forms, every value a label or a list of labels. */
export function parseRunnerLabels(value: unknown, source: string): RunnerLabels {
  if (!isPlainObject(value)) {
    throw new ConfigError(`${source}: expected a JSON object mapping keys such as "AMD:8" or "default" to runner labels, found ${describeValue(value, JSON_WORDS)}`);
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

function normaliseLabelKey(key: string): string | undefined {
  const text = key.trim();
  const lower = text.toLowerCase();
  if (lower === 'cpu' || lower === 'default') return lower;
  const gpus = /^gpus:\s*(-?\d+)$/i.exec(text);
  if (gpus) return `gpus:${canonicalCount(gpus[1]!)}`;
  const vendor = /^(amd|nvidia)(?::\s*(-?\d+))?$/i.exec(text);
  if (vendor) return vendor[2] === undefined ? vendor[1]!.toUpperCase() : `${vendor[1]!.toUpperCase()}:${canonicalCount(vendor[2])}`;
  return undefined;
}

function labelList(raw: unknown, where: string): string[] {
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length === 0 || !list.every((label) => typeof label === 'string' && label.trim() !== '')) {
    throw new ConfigError(`${where}: expected a runner label or a non-empty list of labels (e.g. ["self-hosted", "mi300x"]), found ${describeValue(raw, JSON_WORDS)}`);
  }
  return list.map((label: string) => label.trim());
}

/** "08" -> "8", so counts compare as numbers; text that is not a whole number is kept as written. */
function canonicalCount(text: string): string {
  const trimmed = text.trim();
  return /^-?\d+$/.test(trimmed) ? String(Number.parseInt(trimmed, 10)) : trimmed;
}

/** The keys that may give a model's runner, most specific first. */
export function labelKeysFor(gpuVendor: string, nGpus: string): string[] {
  const count = canonicalCount(nGpus);
  const keys: string[] = [];
  if (gpuVendor !== '') keys.push(`${gpuVendor}:${count}`, gpuVendor);
  keys.push(`gpus:${count}`);
  if (count === '0') keys.push('cpu');
  keys.push('default');
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Plan -> matrix models

/** Each model with its first planned image, in the order given. Pure: the plan is computed by the caller. */
export function matrixModels(models: readonly Model[], plan: BuildPlan): MatrixModel[] {
  const first = new Map<string, MatrixModel>();
  for (const build of plan.builds) {
    for (const planned of build.images) {
      if (first.has(planned.model.name)) continue;
      first.set(planned.model.name, {
        name: planned.model.name,
        nGpus: planned.model.n_gpus,
        build: build.id,
        image: planned.image,
        dockerfile: planned.dockerfile,
        gpuVendor: build.gpuVendor,
      });
    }
  }
  return models.map((model) => {
    const found = first.get(model.name);
    // planBuilds fails for a model without a Dockerfile, so this is a broken invariant, not bad input.
    if (!found) throw new Error(`model ${model.name} is missing from the build plan`);
    return found;
  });
}

export interface PlanMatrixOptions {
  hubDir: string;
  /** Validated additional context (it chooses the Dockerfiles, and so the images and vendors). */
  context: Readonly<Record<string, unknown>>;
  /** Injected for tests. */
  plan?: typeof planBuilds;
}

/** Plan the images of `models` (read from the hub's Dockerfiles) and return them as matrix models. */
export async function planMatrixModels(models: readonly Model[], options: PlanMatrixOptions): Promise<{ models: MatrixModel[]; warnings: string[] }> {
  const discovered: DiscoveredModel[] = models.map((model, index) => ({ model, origin: { file: 'input models', kind: 'static', index } }));
  const plan = await (options.plan ?? planBuilds)(discovered, { hubDir: options.hubDir, context: options.context });
  return { models: matrixModels(models, plan), warnings: plan.warnings };
}

// ---------------------------------------------------------------------------------------------
// The matrix

export interface MatrixOptions {
  groupBy: GroupBy;
  runnerLabels: RunnerLabels;
  /** At most this many entries (default and maximum 256). */
  maxJobs?: number;
  /** At most this many bytes of JSON (default 900,000). */
  maxBytes?: number;
}

/** Build the matrix: group, give each group its runner labels, then pack to fit the limits. */
export function buildMatrix(models: readonly MatrixModel[], options: MatrixOptions): MatrixResult {
  const maxJobs = parseMaxJobs(options.maxJobs ?? MAX_MATRIX_JOBS, 'max-jobs');
  const maxBytes = options.maxBytes ?? MAX_MATRIX_BYTES;
  const runsOn = runsOnForAll(models, options.runnerLabels);
  const entries = uniqueNames(group(models, runsOn, options.groupBy).map((members) => entryOf(members, runsOn, options.groupBy)));

  const json = matrixJson(entries);
  const bytes = Buffer.byteLength(json);
  if (entries.length <= maxJobs && bytes <= maxBytes) return { matrix: { include: entries }, json, bytes, unpacked: entries.length };

  const packed = pack(entries, maxJobs, maxBytes);
  const reasons: string[] = [];
  if (entries.length > maxJobs) reasons.push(`${entries.length} jobs exceed max-jobs ${maxJobs}`);
  if (packed.matrix.include.length < Math.min(entries.length, maxJobs)) {
    reasons.push(`${Math.min(entries.length, maxJobs)} jobs would pass the ${maxBytes}-byte limit on the matrix JSON`);
  }
  return { ...packed, unpacked: entries.length, packedBecause: reasons.join('; ') };
}

function matrixJson(include: readonly MatrixEntry[]): string {
  return JSON.stringify({ include });
}

/** Runner labels per model name; every model without a key is reported in one error. */
function runsOnForAll(models: readonly MatrixModel[], labels: RunnerLabels): Map<string, readonly string[]> {
  const result = new Map<string, readonly string[]>();
  const unmatched: string[] = [];
  for (const model of models) {
    const keys = labelKeysFor(model.gpuVendor, model.nGpus);
    const key = keys.find((candidate) => labels.has(candidate));
    if (key === undefined) unmatched.push(`${model.name} (${describeNeeds(model)}; keys tried: ${keys.join(', ')})`);
    else result.set(model.name, labels.get(key)!);
  }
  if (unmatched.length > 0) {
    const shown = unmatched.slice(0, 10).map((line) => `- ${line}`);
    if (unmatched.length > shown.length) shown.push(`- and ${unmatched.length - shown.length} more`);
    throw new ConfigError(
      `runner-labels: ${unmatched.length} model(s) match no key (keys given: ${[...labels.keys()].join(', ')}); ` +
        `add a matching key or a "default":\n${shown.join('\n')}`,
    );
  }
  return result;
}

function describeNeeds(model: MatrixModel): string {
  const vendor = model.gpuVendor === '' ? 'image with no GPU vendor' : `${model.gpuVendor} image`;
  return `${vendor}, n_gpus ${model.nGpus}`;
}

/** Groups of models in first-appearance order: per model, or per (build, runs-on) so every job's runner fits all its models. */
function group(models: readonly MatrixModel[], runsOn: ReadonlyMap<string, readonly string[]>, groupBy: GroupBy): MatrixModel[][] {
  if (groupBy === 'model') return models.map((model) => [model]);
  const groups = new Map<string, MatrixModel[]>();
  for (const model of models) {
    const key = JSON.stringify([model.build, runsOn.get(model.name)]);
    let members = groups.get(key);
    if (!members) groups.set(key, (members = []));
    members.push(model);
  }
  return [...groups.values()];
}

function entryOf(members: readonly MatrixModel[], runsOn: ReadonlyMap<string, readonly string[]>, groupBy: GroupBy): MatrixEntry {
  const first = members[0]!;
  const names = members.map((model) => model.name);
  const label = groupBy === 'model' ? first.name : `${dockerfileStem(first.dockerfile)} · ${gpuText(mostGpus(members.map((m) => m.nGpus)))}`;
  return {
    name: shorten(names.length > 1 ? `${label} · ${names.length} models` : label),
    tags: names.join(','),
    models: names,
    image: first.image,
    gpu_vendor: distinct(members.map((model) => model.gpuVendor)).join(','),
    n_gpus: mostGpus(members.map((model) => model.nGpus)),
    'runs-on': [...runsOn.get(first.name)!],
  };
}

function gpuText(nGpus: string): string {
  if (nGpus === '0') return 'cpu';
  if (nGpus === '-1') return 'all GPUs';
  return nGpus === '1' ? '1 GPU' : `${nGpus} GPUs`;
}

/** The largest GPU request: "-1" (all) beats any count; text that is not a number only wins when nothing else is there. */
function mostGpus(values: readonly string[]): string {
  const counts = values.map(canonicalCount);
  if (counts.includes('-1')) return '-1';
  const numbers = counts.filter((count) => /^\d+$/.test(count)).map(Number);
  return numbers.length > 0 ? String(Math.max(...numbers)) : (counts[0] ?? '');
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function shorten(name: string): string {
  return name.length <= MAX_NAME_LENGTH ? name : `${name.slice(0, MAX_NAME_LENGTH - 1)}…`;
}

/** Job names show in the checks list: make repeats distinguishable. */
function uniqueNames(entries: MatrixEntry[]): MatrixEntry[] {
  const counts = new Map<string, number>();
  for (const entry of entries) counts.set(entry.name, (counts.get(entry.name) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const entry of entries) {
    if (counts.get(entry.name)! < 2) continue;
    const n = (seen.get(entry.name) ?? 0) + 1;
    seen.set(entry.name, n);
    entry.name = `${entry.name} (${n})`;
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Packing

/**
 * Merge entries that share runs-on into fewer jobs: the largest job count (at most maxJobs) whose
 * JSON fits maxBytes. Each runs-on set gets jobs in proportion to its entries, and its entries are
 * dealt round-robin, so every job gets a similar share. Fewer jobs than runs-on sets is impossible.
 */
function pack(entries: readonly MatrixEntry[], maxJobs: number, maxBytes: number): Omit<MatrixResult, 'unpacked'> {
  const byRunner = new Map<string, MatrixEntry[]>();
  for (const entry of entries) {
    const key = JSON.stringify(entry['runs-on']);
    let list = byRunner.get(key);
    if (!list) byRunner.set(key, (list = []));
    list.push(entry);
  }
  const runners = [...byRunner.values()];
  const models = entries.reduce((sum, entry) => sum + entry.models.length, 0);
  if (runners.length > maxJobs) {
    throw new ConfigError(
      `the matrix needs at least ${runners.length} jobs (one per distinct runs-on label set) for ${models} models, ` +
        `but max-jobs is ${maxJobs}: raise max-jobs (at most ${MAX_MATRIX_JOBS}) or map fewer distinct runner labels`,
    );
  }
  const attempt = (jobs: number) => {
    const include = packInto(runners, jobs);
    const json = matrixJson(include);
    return { matrix: { include }, json, bytes: Buffer.byteLength(json) };
  };
  const fewest = attempt(runners.length);
  if (fewest.bytes > maxBytes) {
    throw new ConfigError(
      `the matrix for ${models} models is ${fewest.bytes} bytes even packed into ${runners.length} job(s) ` +
        `(one per distinct runs-on label set), over the ${maxBytes}-byte limit (GitHub caps job outputs at 1 MB): ` +
        `select fewer models (discover's tags) or split the workflow`,
    );
  }
  // More jobs means more per-job overhead, so the size only grows with the count: search for the largest that fits.
  let best = fewest;
  let low = runners.length;
  let high = Math.min(entries.length, maxJobs);
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    const candidate = attempt(middle);
    if (candidate.bytes <= maxBytes) {
      best = candidate;
      low = middle;
    } else high = middle - 1;
  }
  return best;
}

/** Split `jobs` among the runs-on sets (at least one each, never more than its entries), then deal round-robin. */
function packInto(runners: readonly MatrixEntry[][], jobs: number): MatrixEntry[] {
  const bins = jobShares(runners.map((list) => list.length), jobs);
  const packed: MatrixEntry[] = [];
  runners.forEach((list, i) => {
    const count = bins[i]!;
    if (count >= list.length) {
      packed.push(...list);
      return;
    }
    const dealt: MatrixEntry[][] = Array.from({ length: count }, () => []);
    list.forEach((entry, j) => dealt[j % count]!.push(entry));
    dealt.forEach((members, j) => packed.push(merge(members, j + 1, count)));
  });
  return packed;
}

/**
 * Jobs per runs-on set, in proportion to its entries: one each, then the rest shared by largest
 * remainder (each set can take one job per entry beyond its first).
 */
function jobShares(sizes: readonly number[], jobs: number): number[] {
  const spare = sizes.map((size) => size - 1);
  const totalSpare = spare.reduce((sum, n) => sum + n, 0);
  const extra = Math.min(jobs - sizes.length, totalSpare);
  if (extra <= 0) return sizes.map(() => 1);
  const quotas = spare.map((n) => (extra * n) / totalSpare);
  const shares = quotas.map(Math.floor);
  let left = extra - shares.reduce((sum, n) => sum + n, 0);
  const byRemainder = quotas.map((quota, i) => [quota - shares[i]!, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byRemainder) {
    if (left === 0) break;
    if (shares[i]! < spare[i]!) {
      shares[i]!++;
      left--;
    }
  }
  return shares.map((share) => share + 1);
}

function merge(members: readonly MatrixEntry[], index: number, of: number): MatrixEntry {
  if (members.length === 1) return members[0]!;
  const first = members[0]!;
  const models = members.flatMap((entry) => entry.models);
  const vendors = distinct(members.flatMap((entry) => entry.gpu_vendor.split(',')).filter(Boolean));
  return {
    name: shorten(`${first['runs-on'].join(' ')} ${index}/${of} · ${models.length} models`),
    tags: models.join(','),
    models,
    image: first.image,
    gpu_vendor: vendors.join(','),
    n_gpus: mostGpus(members.map((entry) => entry.n_gpus)),
    'runs-on': first['runs-on'],
  };
}
