/** Grouping models into matrix entries (one per model, or per build and runner), named for the checks list. */
import type { MatrixModel } from './plan.ts';
import { canonicalCount } from './labels.ts';
import { dockerfileStem } from '../images/naming.ts';

/** Job names longer than this are cut: GitHub shows them in narrow lists. */
const MAX_NAME_LENGTH = 100;

export type GroupBy = 'image' | 'model';

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

/** The entries for `models`: grouped, one entry per group, repeated names made distinct. */
export function groupEntries(models: readonly MatrixModel[], runsOn: ReadonlyMap<string, readonly string[]>, groupBy: GroupBy): MatrixEntry[] {
  return uniqueNames(group(models, runsOn, groupBy).map((members) => entryOf(members, runsOn, groupBy)));
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
export function mostGpus(values: readonly string[]): string {
  const counts = values.map(canonicalCount);
  if (counts.includes('-1')) return '-1';
  const numbers = counts.filter((count) => /^\d+$/.test(count)).map(Number);
  return numbers.length > 0 ? String(Math.max(...numbers)) : (counts[0] ?? '');
}

export function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}

export function shorten(name: string): string {
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
