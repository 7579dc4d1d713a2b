/** build-matrix: discover's models -> a `strategy.matrix` (`include` list) of jobs with their runner labels. */
import * as core from '@actions/core';
import type { Logger } from '../../core/log.ts';
import { actionsLogger } from '../../github/logger.ts';
import { writeSummaryTable } from '../../github/summary.ts';
import { planMatrix } from '../../pipeline/matrix.ts';
import type { Inputs } from './inputs.ts';

export async function main(inputs: Inputs, logger: Logger = actionsLogger()): Promise<void> {
  const { models, groupBy } = inputs;
  const result = await planMatrix({ ...inputs, logger });
  const jobs = result.matrix.include;
  if (result.packedBecause) logger.info(`Packed ${result.unpacked} jobs into ${jobs.length}: ${result.packedBecause}`);
  if (jobs.length === 0) logger.warn("No models given: the matrix is empty; guard the job that uses it with `if: needs.<job>.outputs.count != '0'`");

  core.setOutput('matrix', result.json);
  core.setOutput('count', String(jobs.length));
  core.info(`${jobs.length} job(s) for ${models.length} model(s), grouped by ${groupBy} (${result.bytes} bytes of JSON)`);
  await writeSummaryTable(
    `madengine: ${jobs.length} job(s) for ${models.length} model(s)`,
    ['Job', 'Runs on', 'GPUs', 'Vendor', 'Image', 'Models'],
    jobs.map((job) => [job.name, job['runs-on'].join(', '), job.n_gpus, job.gpu_vendor, job.image, listed(job.models)]),
    result.packedBecause ? `Packed ${result.unpacked} jobs into ${jobs.length}: ${result.packedBecause}.` : undefined,
  );
}

/** Long model lists would swamp the summary: show the first few and a count. */
function listed(models: readonly string[]): string {
  const shown = models.slice(0, 8).join(', ');
  return models.length > 8 ? `${shown} and ${models.length - 8} more` : shown;
}
