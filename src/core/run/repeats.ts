/**
 * Repeats and warm-ups (`--repeat N --warmup W`): each model runs W discarded warm-up runs, then N
 * measured runs ("samples"), each its own perf.csv row(s) with its `sample` index, so a comparison
 * has several values per model.
 */
import { ConfigError } from '../errors.ts';

export const RUN_COUNT_LIMITS = {
  repeat: { min: 1, max: 1000, fallback: 1 },
  warmup: { min: 0, max: 100, fallback: 0 },
} as const;
export type RunCountKind = keyof typeof RUN_COUNT_LIMITS;

/** One run of a model: a warm-up (discarded) or a measured sample. */
export interface RunPass {
  kind: 'warm-up' | 'sample';
  /** 1-based, within its kind. */
  index: number;
  /** How many runs of its kind the model gets. */
  count: number;
  /**
   * Names this run in container and log names ("warmup1", "sample2"); only set when the model runs more
   * than once, so a plain run keeps madengine's names.
   */
  tag?: string;
}

/** `value` when it is a valid count of `kind`; otherwise a ConfigError naming `source` (a flag, an input) and the valid range. */
export function checkRunCount(value: number, kind: RunCountKind, source: string = kind): number {
  const { min, max } = RUN_COUNT_LIMITS[kind];
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${source} ${String(value)}: expected a whole number from ${min} to ${max}`);
  }
  return value;
}

/** A count given as text (a CLI flag, an action input); '' is the default. */
export function parseRunCount(text: string, kind: RunCountKind, source: string): number {
  const trimmed = text.trim();
  if (trimmed === '') return RUN_COUNT_LIMITS[kind].fallback;
  if (!/^\d+$/.test(trimmed)) {
    const { min, max } = RUN_COUNT_LIMITS[kind];
    throw new ConfigError(`${source} ${JSON.stringify(text)}: expected a whole number from ${min} to ${max}`);
  }
  return checkRunCount(Number(trimmed), kind, source);
}

/** Every run of one model, in order: the warm-ups, then the samples. */
export function modelPasses(repeat: number, warmup: number): RunPass[] {
  const several = repeat + warmup > 1;
  const passes = (kind: RunPass['kind'], count: number, tagPrefix: string): RunPass[] =>
    Array.from({ length: count }, (_, i) => ({ kind, index: i + 1, count, ...(several ? { tag: `${tagPrefix}${i + 1}` } : {}) }));
  return [...passes('warm-up', warmup, 'warmup'), ...passes('sample', repeat, 'sample')];
}

/** "warm-up 1/2" or "sample 2/3", for log lines. */
export function passLabel(pass: RunPass): string {
  return `${pass.kind} ${pass.index}/${pass.count}`;
}
