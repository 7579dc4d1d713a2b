/** The build-matrix pipeline: discover's model records -> images planned from the hub -> a packed job matrix. */
import type { Logger } from '../core/log.ts';
import type { Model } from '../core/hub/model.ts';
import { buildMatrix, type MatrixResult } from '../core/matrix/build-matrix.ts';
import type { GroupBy } from '../core/matrix/group.ts';
import type { RunnerLabels } from '../core/matrix/labels.ts';
import { planMatrixModels } from '../core/matrix/plan.ts';
import { loadContext, type ContextInput } from './load.ts';

export interface MatrixPipelineOptions {
  hubDir: string;
  models: readonly Model[];
  context: ContextInput;
  groupBy: GroupBy;
  runnerLabels: RunnerLabels;
  maxJobs: number;
  logger: Logger;
}

export async function planMatrix(options: MatrixPipelineOptions): Promise<MatrixResult> {
  const { logger } = options;
  const { context } = await loadContext(options.context, logger);
  const planned = await logger.group('Plan images', () => planMatrixModels(options.models, { hubDir: options.hubDir, context }));
  for (const warning of planned.warnings) logger.warn(warning);
  return buildMatrix(planned.models, { groupBy: options.groupBy, runnerLabels: options.runnerLabels, maxJobs: options.maxJobs });
}
