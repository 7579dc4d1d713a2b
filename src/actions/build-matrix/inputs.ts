/** build-matrix's inputs (actions/build-matrix/action.yml), every one checked before the hub is read. */
import type { Model } from '../../core/hub/model.ts';
import type { GroupBy } from '../../core/matrix/group.ts';
import { parseGroupBy, parseMaxJobs, parseModelRecords, parseRunnerLabels } from '../../core/matrix/inputs.ts';
import type { RunnerLabels } from '../../core/matrix/labels.ts';
import { MAX_MATRIX_JOBS } from '../../core/matrix/pack.ts';
import { inputReader } from '../../github/inputs.ts';
import { COMMON_INPUT_NAMES, jsonInput, readCommonInputs, type CommonInputs } from '../common-inputs.ts';

export const INPUT_NAMES = [...COMMON_INPUT_NAMES, 'models', 'group-by', 'runner-labels', 'max-jobs'] as const;

/** Also the action.yml default: any self-hosted runner, since GPU models rarely run on GitHub-hosted ones. */
const DEFAULT_RUNNER_LABELS = { default: 'self-hosted' };

export interface Inputs extends CommonInputs {
  models: Model[];
  groupBy: GroupBy;
  runnerLabels: RunnerLabels;
  maxJobs: number;
}

export function readInputs(): Inputs {
  const input = inputReader(INPUT_NAMES);
  return {
    models: parseModelRecords(jsonInput(input, 'models', { required: true }), "input 'models'"),
    groupBy: parseGroupBy(input.optional('group-by'), "input 'group-by'"),
    runnerLabels: parseRunnerLabels(jsonInput(input, 'runner-labels') ?? DEFAULT_RUNNER_LABELS, "input 'runner-labels'"),
    maxJobs: parseMaxJobs(input.integer('max-jobs', MAX_MATRIX_JOBS), "input 'max-jobs'"),
    ...readCommonInputs(input),
  };
}
