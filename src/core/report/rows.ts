/**
 * How collect-perf reads one perf.csv row: its status, its measured value and its comparison key.
 * Shared by merge (validation), compare and history so all three agree on what a sample is.
 */
import type { PerfRow } from '../perf/perf-csv.ts';
import type { ComparisonKey } from './types.ts';

/** The statuses madengine writes (compat §3.8), matched case-insensitively. */
export type RowStatus = 'SUCCESS' | 'FAILURE' | 'SKIPPED';

/** A decimal number as madengine's performance regex accepts it (compat §3.7): no hex, no inf/nan, no empty. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function rowStatus(row: PerfRow): RowStatus | undefined {
  const written = row.status;
  if (written === 'SUCCESS' || written === 'FAILURE' || written === 'SKIPPED') return written; // as madengine writes it: no copies
  const status = (written ?? '').trim().toUpperCase();
  return status === 'SUCCESS' || status === 'FAILURE' || status === 'SKIPPED' ? status : undefined;
}

/** A decimal number (surrounding blanks allowed) as a finite number; undefined for anything else. */
export function parseDecimal(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DECIMAL.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/** The performance cell as a finite number, or undefined when it is empty or not a decimal number. */
export function performanceValue(row: PerfRow): number | undefined {
  return parseDecimal(row.performance ?? '');
}

/** The measured value of a SUCCESS row with a numeric performance; undefined for every other row. */
export function sampleValue(row: PerfRow): number | undefined {
  return rowStatus(row) === 'SUCCESS' ? performanceValue(row) : undefined;
}

/** The row's key: KEY_COLUMNS values, trimmed ("" when missing). */
export function rowKey(row: PerfRow): ComparisonKey {
  return {
    model: (row.model ?? '').trim(),
    metric: (row.metric ?? '').trim(),
    gpu_architecture: (row.gpu_architecture ?? '').trim(),
    n_gpus: (row.n_gpus ?? '').trim(),
    nnodes: (row.nnodes ?? '').trim(),
    deployment_type: (row.deployment_type ?? '').trim(),
  };
}

/** ComparisonEntry.id: the key's values (KEY_COLUMNS order) joined by ' | ' (for people; lookups use keyLookup). */
export function keyId(key: ComparisonKey): string {
  return `${key.model} | ${key.metric} | ${key.gpu_architecture} | ${key.n_gpus} | ${key.nnodes} | ${key.deployment_type}`;
}

/** An unambiguous map key for a ComparisonKey (values may contain ' | '; they cannot contain NUL). */
export function keyLookup(key: ComparisonKey): string {
  return `${key.model}\u0000${key.metric}\u0000${key.gpu_architecture}\u0000${key.n_gpus}\u0000${key.nnodes}\u0000${key.deployment_type}`;
}

/** Byte-order comparison of two strings (UTF-16 code unit order differs for astral characters). */
export function compareBytes(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b));
}
