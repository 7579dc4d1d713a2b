/** collect-perf's inputs (actions/collect-perf/action.yml); the one-step action reads the report subset. */
import path from 'node:path';
import { ConfigError } from '../../core/errors.ts';
import { parseDirections } from '../../core/report/direction.ts';
import type { Direction } from '../../core/report/types.ts';
import { inputReader, type InputReader } from '../../github/inputs.ts';
import { workspace } from '../../github/run-action.ts';

/** What decides and publishes a report: shared by collect-perf and the one-step action. */
export const REPORT_INPUT_NAMES = [
  'baseline',
  'baseline-workflow',
  'baseline-branch',
  'baseline-artifact',
  'baseline-cache-key',
  'save-baseline',
  'threshold',
  'confidence',
  'metric-direction',
  'fail-on-regression',
  'comment',
  'comment-key',
  'pull-request',
  'github-token',
  'history-length',
  'title',
] as const;

export const INPUT_NAMES = [
  'perf-csv',
  'artifact-pattern',
  'artifact-run-id',
  ...REPORT_INPUT_NAMES,
  'output-dir',
  'upload-artifact',
  'artifact-name',
] as const;

export type CommentMode = 'always' | 'on-change' | 'off';

export interface ReportInputs {
  /** Absolute baseline perf.csv. */
  baseline?: string;
  baselineWorkflow?: string;
  baselineBranch?: string;
  baselineArtifact: string;
  baselineCacheKey?: string;
  saveBaseline: 'auto' | 'true' | 'false';
  threshold: number;
  confidence: number;
  directions: Record<string, Direction>;
  failOnRegression: boolean;
  comment: CommentMode;
  commentKey: string;
  pullRequest?: number;
  token: string;
  historyLength: number;
  title: string;
}

export interface Inputs extends ReportInputs {
  /** perf.csv paths or globs, relative to the workspace. */
  perfCsv: string[];
  artifactPattern?: string;
  /** Another workflow run whose artifacts artifact-pattern names (a workflow_run reporter). */
  artifactRunId?: number;
  /** Absolute output directory. */
  outputDir: string;
  uploadArtifact: boolean;
  artifactName: string;
}

export function readInputs(): Inputs {
  const input = inputReader(INPUT_NAMES);
  const perfCsv = input
    .string('perf-csv')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const artifactPattern = input.optional('artifact-pattern');
  if (perfCsv.length === 0 && !artifactPattern)
    throw new ConfigError("give 'perf-csv' (files or globs) or 'artifact-pattern' (artifacts of this run), or both");
  const artifactRunId = input.optional('artifact-run-id');
  if (artifactRunId !== undefined && !/^[1-9]\d{0,19}$/.test(artifactRunId)) {
    throw new ConfigError(`input 'artifact-run-id': got ${JSON.stringify(artifactRunId)}, expected a workflow run id (a number)`);
  }
  if (artifactRunId !== undefined && !artifactPattern)
    throw new ConfigError("input 'artifact-run-id' needs 'artifact-pattern' (which of that run's artifacts to merge)");
  return {
    perfCsv,
    artifactPattern,
    artifactRunId: artifactRunId === undefined ? undefined : Number(artifactRunId),
    ...readReportInputs(input),
    outputDir: path.resolve(workspace(), input.optional('output-dir') ?? 'madengine-report'),
    uploadArtifact: input.boolean('upload-artifact', true),
    artifactName: input.artifactName('artifact-name') ?? 'madengine-perf',
  };
}

export function readReportInputs(input: InputReader<(typeof REPORT_INPUT_NAMES)[number]>): ReportInputs {
  const baseline = input.optional('baseline');
  const saveBaseline = input.string('save-baseline').toLowerCase() || 'auto';
  if (saveBaseline !== 'auto' && saveBaseline !== 'true' && saveBaseline !== 'false') {
    throw new ConfigError(`input 'save-baseline': got ${JSON.stringify(saveBaseline)}, expected auto, true or false`);
  }
  const pullRequest = input.optional('pull-request');
  if (pullRequest !== undefined && !/^[1-9]\d{0,9}$/.test(pullRequest)) {
    throw new ConfigError(`input 'pull-request': got ${JSON.stringify(pullRequest)}, expected a pull request number`);
  }
  const historyLength = input.integer('history-length', 30);
  if (historyLength < 0 || historyLength > 1000) throw new ConfigError(`input 'history-length': got ${historyLength}, expected 0 to 1000 runs`);
  return {
    baseline: baseline && path.resolve(workspace(), baseline),
    baselineWorkflow: input.optional('baseline-workflow'),
    baselineBranch: input.optional('baseline-branch'),
    baselineArtifact: input.optional('baseline-artifact') ?? 'madengine-perf',
    baselineCacheKey: input.optional('baseline-cache-key'),
    saveBaseline,
    threshold: number(input, 'threshold', 5, { min: 0, max: 1000, what: 'a percentage from 0 to 1000' }),
    confidence: number(input, 'confidence', 0.95, { min: 0.5, max: 0.999, what: 'a level from 0.5 to 0.999, e.g. 0.95' }),
    directions: parseDirections(input.string('metric-direction'), "input 'metric-direction'"),
    failOnRegression: input.boolean('fail-on-regression', false),
    comment: commentMode(input.string('comment')),
    commentKey: input.string('comment-key'),
    pullRequest: pullRequest === undefined ? undefined : Number(pullRequest),
    token: input.string('github-token'),
    historyLength,
    title: input.optional('title') ?? 'madengine performance',
  };
}

function commentMode(value: string): CommentMode {
  switch (value.toLowerCase()) {
    case '':
    case 'true':
      return 'always';
    case 'false':
      return 'off';
    case 'on-change':
      return 'on-change';
    default:
      throw new ConfigError(`input 'comment': got ${JSON.stringify(value)}, expected true, false or on-change`);
  }
}

function number<Name extends string>(input: InputReader<Name>, name: Name, fallback: number, range: { min: number; max: number; what: string }): number {
  const text = input.string(name);
  if (text === '') return fallback;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || value < range.min || value > range.max) {
    throw new ConfigError(`input '${name}': got ${JSON.stringify(text)}, expected ${range.what}`);
  }
  return value;
}
