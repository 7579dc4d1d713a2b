/** Runner labels: the normalised keys of the runner-labels mapping, and which key gives each model its runner. */
import { ConfigError } from '../errors.ts';
import type { MatrixModel } from './plan.ts';

/** Runner-label keys, normalised (vendors upper-case, counts canonical) -> labels. */
export type RunnerLabels = ReadonlyMap<string, readonly string[]>;

/** A runner-labels key in its normal form; undefined when it is none of the documented forms. */
export function normaliseLabelKey(key: string): string | undefined {
  const text = key.trim();
  const lower = text.toLowerCase();
  if (lower === 'cpu' || lower === 'default') return lower;
  const gpus = /^gpus:\s*(-?\d+)$/i.exec(text);
  if (gpus) return `gpus:${canonicalCount(gpus[1]!)}`;
  const vendor = /^(amd|nvidia)(?::\s*(-?\d+))?$/i.exec(text);
  if (vendor) return vendor[2] === undefined ? vendor[1]!.toUpperCase() : `${vendor[1]!.toUpperCase()}:${canonicalCount(vendor[2])}`;
  return undefined;
}

/** "08" -> "8", so counts compare as numbers; text that is not a whole number is kept as written. */
export function canonicalCount(text: string): string {
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

/** Runner labels per model name; every model without a key is reported in one error. */
export function runsOnForAll(models: readonly MatrixModel[], labels: RunnerLabels): Map<string, readonly string[]> {
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
