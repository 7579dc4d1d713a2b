/** The perf.csv artifact name run-local and deploy-slurm derive when none is given. */
import { createHash } from 'node:crypto';
import path from 'node:path';

/** Unique per matrix cell (and per output file within a job), stable across re-runs of the same cell. */
export function defaultPerfArtifactName(cell: { tags: readonly string[]; manifest?: string; manifestArtifact?: string; output: string }): string {
  const hash = createHash('sha256')
    .update(
      JSON.stringify([
        process.env.GITHUB_JOB,
        cell.tags,
        cell.manifest ? path.basename(cell.manifest) : '',
        cell.manifestArtifact,
        process.env.RUNNER_NAME,
        cell.output,
      ]),
    )
    .digest('hex');
  return `perf-${process.env.GITHUB_JOB ?? 'run'}-${hash.slice(0, 10)}`;
}
