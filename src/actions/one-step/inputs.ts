/**
 * The one-step root action's inputs (action.yml): run-local's, plus the report inputs of collect-perf
 * (baseline, threshold, comment, ...) and `report` to turn the report off.
 */
import path from 'node:path';
import { inputReader } from '../../github/inputs.ts';
import { REPORT_INPUT_NAMES, readReportInputs, type ReportInputs } from '../collect-perf/inputs.ts';
import { INPUT_NAMES as RUN_INPUT_NAMES, readInputs as readRunInputs, type Inputs as RunInputs } from '../run-local/inputs.ts';

export const INPUT_NAMES = [...RUN_INPUT_NAMES, 'report', ...REPORT_INPUT_NAMES, 'report-artifact-name'] as const;

export interface Inputs {
  run: RunInputs;
  /** undefined: `report: false`. */
  report?: ReportInputs & { outputDir: string; artifactName: string };
}

export function readInputs(): Inputs {
  const input = inputReader(INPUT_NAMES);
  const run = readRunInputs();
  if (!input.boolean('report', true)) return { run };
  return {
    run,
    report: {
      ...readReportInputs(input),
      outputDir: path.join(path.dirname(run.output), 'madengine-report'),
      artifactName: input.artifactName('report-artifact-name') ?? 'madengine-perf',
    },
  };
}
