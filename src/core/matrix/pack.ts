/** Packing matrix entries into fewer jobs when GitHub's limits (jobs per matrix, bytes of job outputs) would be exceeded. */
import { ConfigError } from '../errors.ts';
import { distinct, mostGpus, shorten, type Matrix, type MatrixEntry } from './group.ts';

/** GitHub's hard limit of jobs per matrix. */
export const MAX_MATRIX_JOBS = 256;
/** Job outputs are capped at 1 MB per job; stay well under it so the other outputs still fit. */
export const MAX_MATRIX_BYTES = 900_000;

/** A matrix with its JSON. */
export interface PackedMatrix {
  matrix: Matrix;
  /** The matrix as the compact JSON the `matrix` output carries. */
  json: string;
  /** UTF-8 size of `json`. */
  bytes: number;
}

export function matrixJson(include: readonly MatrixEntry[]): string {
  return JSON.stringify({ include });
}

/**
 * Merge entries that share runs-on into fewer jobs: the largest job count (at most maxJobs) whose
 * JSON fits maxBytes. Each runs-on set gets jobs in proportion to its entries, and its entries are
 * dealt round-robin, so every job gets a similar share. Fewer jobs than runs-on sets is impossible.
 */
export function pack(entries: readonly MatrixEntry[], maxJobs: number, maxBytes: number): PackedMatrix {
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
  const bins = jobShares(
    runners.map((list) => list.length),
    jobs,
  );
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
