/**
 * The one-step root action: run-local (discover, build, run on this runner), then collect-perf's report
 * of the perf.csv it wrote: compared with a baseline, job summary, pull request comment, artifact. The
 * report is written also when models failed (their FAILURE rows are part of it); the run's own failure
 * is raised after it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { actionsLogger } from '../../github/logger.ts';
import { workspace } from '../../github/run-action.ts';
import { failOnRegression, reportPerf } from '../collect-perf/report.ts';
import { main as runLocal } from '../run-local/main.ts';
import type { Inputs } from './inputs.ts';

export async function main(inputs: Inputs, logger: Logger = actionsLogger()): Promise<void> {
  let runError: unknown;
  try {
    await runLocal(inputs.run, logger);
  } catch (error) {
    runError = error;
  }
  if (inputs.report && existsSync(inputs.run.output)) {
    const { report } = inputs;
    try {
      const shard = { file: inputs.run.output, name: path.relative(workspace(), inputs.run.output) };
      const result = await reportPerf([shard], report, { ...report, uploadArtifact: inputs.run.uploadArtifact }, logger);
      if (runError === undefined) failOnRegression(result, report);
    } catch (error) {
      if (runError === undefined) throw error;
      logger.error(`the report failed too: ${errorMessage(error)}`);
    }
  }
  if (runError !== undefined) throw runError;
}
