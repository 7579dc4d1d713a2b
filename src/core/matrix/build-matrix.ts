/** The job matrix for a workflow's `strategy.matrix`: models grouped into jobs, each with its runner labels, packed to fit GitHub's limits. */
import { type GroupBy, groupEntries } from './group.ts';
import { parseMaxJobs } from './inputs.ts';
import { runsOnForAll, type RunnerLabels } from './labels.ts';
import { MAX_MATRIX_BYTES, MAX_MATRIX_JOBS, matrixJson, pack, type PackedMatrix } from './pack.ts';
import type { MatrixModel } from './plan.ts';

export interface MatrixResult extends PackedMatrix {
  /** Entries before packing (equal to include.length when nothing was packed). */
  unpacked: number;
  /** Why entries were packed, for the log; undefined when they were not. */
  packedBecause?: string;
}

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
  const entries = groupEntries(models, runsOn, options.groupBy);

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
