/** build-matrix: discover's models -> a `strategy.matrix` (`include` list) of jobs with their runner labels. */
import path from 'node:path';
import * as core from '@actions/core';
import { loadAdditionalContext } from '../core/context/load.ts';
import { buildMatrix } from '../core/matrix/build-matrix.ts';
import { parseGroupBy, parseMaxJobs, parseModelRecords, parseRunnerLabels } from '../core/matrix/inputs.ts';
import { MAX_MATRIX_JOBS } from '../core/matrix/pack.ts';
import { planMatrixModels } from '../core/matrix/plan.ts';
import { integerInput, jsonInput, optionalInput } from '../github/inputs.ts';
import { actionsLogger } from '../github/logger.ts';
import { runAction, workspace } from '../github/run-action.ts';
import { writeSummaryTable } from '../github/summary.ts';

/** Also the action.yml default: any self-hosted runner, since GPU models rarely run on GitHub-hosted ones. */
const DEFAULT_RUNNER_LABELS = { default: 'self-hosted' };

async function main(): Promise<void> {
  const logger = actionsLogger();
  // Every input is checked before the hub is read, so a typo fails at once.
  const models = parseModelRecords(jsonInput('models', { required: true }), "input 'models'");
  const groupBy = parseGroupBy(optionalInput('group-by'), "input 'group-by'");
  const runnerLabels = parseRunnerLabels(jsonInput('runner-labels') ?? DEFAULT_RUNNER_LABELS, "input 'runner-labels'");
  const maxJobs = parseMaxJobs(integerInput('max-jobs', MAX_MATRIX_JOBS), "input 'max-jobs'");
  const hub = path.resolve(workspace(), optionalInput('hub') ?? '.');
  const contextFile = optionalInput('additional-context-file');
  const contextText = optionalInput('additional-context');
  const { context, warnings } = await loadAdditionalContext({
    ...(contextText !== undefined ? { text: contextText, textSource: "input 'additional-context'" } : {}),
    ...(contextFile !== undefined ? { file: path.resolve(workspace(), contextFile) } : {}),
  });
  for (const warning of warnings) logger.warn(warning);

  const planned = await logger.group('Plan images', () => planMatrixModels(models, { hubDir: hub, context }));
  for (const warning of planned.warnings) logger.warn(warning);
  const result = buildMatrix(planned.models, { groupBy, runnerLabels, maxJobs });
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

await runAction(main);
