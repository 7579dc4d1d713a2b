/**
 * The perf.csv rows of a finished SLURM deployment: per model, the rows each
 * rank wrote to <results>/<slug>/node_<rank>/perf.csv, rewritten as cluster rows (deployment_type slurm,
 * nnodes, gpus_per_node, launcher, the deployment's run_id, job_id; machine_name stays the node's host
 * name). A model on several ranks becomes one row per metric, aggregated by madengine's rules (compat §4.0).
 * A model or rank that wrote nothing is a FAILURE row saying the job's state and where its log is; a job
 * that ended TIMEOUT, CANCELLED, ... turns a model without any SUCCESS row into that state's reason.
 */
import path from 'node:path';
import type { Logger } from '../../log.ts';
import { errorMessage } from '../../errors.ts';
import type { PerfRow } from '../../perf/perf-csv.ts';
import { NO_PERFORMANCE_LINE_REASON } from '../../perf/status.ts';
import { parseCsvTable } from '../../util/csv.ts';
import type { TaskOutcome } from '../types.ts';
import { aggregate, aggregationFor, formatAggregate } from '../aggregate.ts';
import type { SlurmPlan, SlurmPlannedJob, SlurmPlannedModel } from './plan.ts';

export interface CollectOptions {
  /** The file's text, or undefined when it does not exist. */
  readFile(file: string): Promise<string | undefined>;
  logger?: Pick<Logger, 'warn'>;
}

/** What one rank left behind. */
interface RankResult {
  rank: number;
  dir: string;
  rows?: PerfRow[];
  /** Why there are no rows (missing or unreadable perf.csv). */
  problem?: string;
  exitCode?: string;
}

export async function collectSlurmResults(plan: SlurmPlan, outcomes: readonly TaskOutcome[], options: CollectOptions): Promise<PerfRow[]> {
  const rows: PerfRow[] = [];
  for (const model of plan.models) {
    const job = plan.jobs.find((j) => j.key === model.job);
    const outcome = outcomeOf(model, outcomes);
    const ranks: RankResult[] = [];
    for (let rank = 0; rank < model.ranks; rank++) ranks.push(await readRank(model, rank, options));
    const context: ModelContext = { plan, model, ...(job ? { job } : {}), ...(outcome ? { outcome } : {}), logger: options.logger };
    rows.push(...finalRows(context, modelRows(context, ranks)));
  }
  return rows;
}

interface ModelContext {
  plan: SlurmPlan;
  model: SlurmPlannedModel;
  job?: SlurmPlannedJob;
  outcome?: TaskOutcome;
  logger: Pick<Logger, 'warn'> | undefined;
}

/** The task of this model: same model name, and for array tasks the same index (names may repeat). */
function outcomeOf(model: SlurmPlannedModel, outcomes: readonly TaskOutcome[]): TaskOutcome | undefined {
  const named = outcomes.filter((o) => o.model === model.name);
  if (model.task === undefined) return named[0];
  return named.find((o) => o.jobId.endsWith(`_${model.task}`)) ?? (named.length === 1 ? named[0] : undefined);
}

async function readRank(model: SlurmPlannedModel, rank: number, options: CollectOptions): Promise<RankResult> {
  const dir = path.join(model.resultsDir, `node_${rank}`);
  const file = path.join(dir, 'perf.csv');
  const result: RankResult = { rank, dir };
  const exitCode = (await options.readFile(path.join(dir, 'exit_code')))?.trim();
  if (exitCode) result.exitCode = exitCode;
  const text = await options.readFile(file);
  if (text === undefined) return { ...result, problem: `no ${file}` };
  try {
    const table = parseCsvTable(text);
    if (table.rows.length === 0) return { ...result, problem: `${file} has no rows` };
    return { ...result, rows: table.rows };
  } catch (error) {
    return { ...result, problem: `${file} cannot be read: ${errorMessage(error)}` };
  }
}

const hasPerformance = (row: PerfRow): boolean => (row.performance ?? '').trim() !== '' && Number.isFinite(Number(row.performance));

/** A rank whose only "failure" is that it reported no metric (madengine measures on rank 0 only: MAD_COLLECT_METRICS). */
const reportsNoMetric = (row: PerfRow): boolean =>
  !hasPerformance(row) && (row.status === 'SUCCESS' || (row.status === 'FAILURE' && row.reason === NO_PERFORMANCE_LINE_REASON));

/** The rows of one model before the job's end state is applied. */
function modelRows(context: ModelContext, ranks: RankResult[]): PerfRow[] {
  const { model } = context;
  const first = ranks[0]!;
  if (model.ranks === 1 || ranks.length === 1) {
    return first.rows ? first.rows.map((row) => clusterRow(context, row)) : [missingRow(context, first)];
  }
  const base = ranks.find((r) => r.rows !== undefined);
  if (base === undefined) return [missingRow(context, first)];
  const failures: string[] = [];
  for (const rank of ranks) {
    if (rank.rows === undefined) {
      failures.push(`rank ${rank.rank} wrote nothing (${rank.problem}${exitText(rank)}; log ${logPath(context, rank.rank)})`);
      continue;
    }
    if (rank.rank === base.rank) continue;
    for (const row of rank.rows) {
      if (row.status !== 'FAILURE' || (reportsNoMetric(row) && base.rows!.some(hasPerformance))) continue;
      failures.push(`rank ${rank.rank} on ${row.machine_name || 'its node'} failed: ${row.reason || 'no reason given'}`);
      break;
    }
  }
  const result = base.rows!.map((row) => aggregatedRow(context, row, ranks));
  if (failures.length === 0 && base.rank === 0) return result;
  const reason = (base.rank === 0 ? failures : [`rank 0 wrote nothing (${first.problem}; log ${logPath(context, 0)})`, ...failures]).join('; ');
  return result.map((row) => ({ ...row, status: 'FAILURE', performance: '', reason: row.reason ? `${reason}; ${row.reason}` : reason }));
}

/** `row` (from the lowest rank that wrote rows) with its metric aggregated over every rank that measured it. */
function aggregatedRow(context: ModelContext, row: PerfRow, ranks: RankResult[]): PerfRow {
  const out = clusterRow(context, row);
  if (!hasPerformance(row)) return out;
  const same = (other: PerfRow): boolean => other.model === row.model && other.metric === row.metric && (other.sample ?? '') === (row.sample ?? '');
  const contributing = ranks.flatMap((rank) => (rank.rows ?? []).filter((other) => same(other) && hasPerformance(other)));
  if (contributing.length < 2) return out;
  const { method, known } = aggregationFor(row.metric ?? '');
  if (!known) context.logger?.warn(`model ${row.model}: metric '${row.metric}' has no aggregation rule; its ${contributing.length} ranks' values are summed`);
  out.performance = formatAggregate(
    aggregate(
      contributing.map((r) => Number(r.performance)),
      method,
    ),
  );
  const gpus = contributing.map((r) => Number(r.n_gpus));
  if (gpus.every((n) => Number.isFinite(n) && n > 0)) out.n_gpus = String(gpus.reduce((a, b) => a + b, 0));
  const durations = contributing.map((r) => Number(r.test_duration)).filter(Number.isFinite);
  if (durations.length) out.test_duration = formatAggregate(Math.max(...durations));
  const note = `${method} of ${contributing.length} ranks${known ? '' : ` (no rule for metric '${row.metric}')`}`;
  out.reason = row.reason ? `${row.reason}; ${note}` : note;
  return out;
}

function clusterRow(context: ModelContext, row: PerfRow): PerfRow {
  const { model, plan, outcome } = context;
  return {
    ...row,
    nnodes: String(model.nodes),
    gpus_per_node: model.gpusPerNode !== undefined ? String(model.gpusPerNode) : (row.gpus_per_node ?? ''),
    deployment_type: 'slurm',
    launcher: model.launcher,
    run_id: plan.runId,
    job_id: outcome?.jobId ?? '',
  };
}

/** A FAILURE row for a model whose rank wrote no perf.csv. */
function missingRow(context: ModelContext, rank: RankResult): PerfRow {
  const { model } = context;
  const row = clusterRow(context, { ...model.rowDefaults, n_gpus: '', machine_name: '', status: 'FAILURE', performance: '', metric: '' });
  const where = model.ranks > 1 ? `rank ${rank.rank} ` : '';
  row.reason = `${stateText(context) || 'the job'} left no results: ${where}${rank.problem}${exitText(rank)}; see the log ${logPath(context, rank.rank)}`;
  return row;
}

const exitText = (rank: RankResult): string =>
  rank.exitCode === undefined
    ? ''
    : rank.exitCode === '127'
      ? ' (exit code 127: the node has no usable Node.js 20+)'
      : ` (the node's run exited ${rank.exitCode})`;

/** The job's end state in words ("TIMEOUT: ..."), '' when it completed or is unknown to us. */
function stateText(context: ModelContext): string {
  const outcome = context.outcome;
  if (outcome === undefined) return 'UNKNOWN (no end state was reported for its job)';
  if (outcome.state === 'COMPLETED') return '';
  const reason = outcome.reason.trim();
  return reason === '' ? outcome.state : reason.startsWith(outcome.state) ? reason : `${outcome.state}: ${reason}`;
}

/** A job that did not complete overrides the reason of a model without any SUCCESS row. */
function finalRows(context: ModelContext, rows: PerfRow[]): PerfRow[] {
  const state = stateText(context);
  if (state === '' || rows.some((row) => row.status === 'SUCCESS')) return rows;
  return rows.map((row) => {
    if ((row.reason ?? '').startsWith(state)) return { ...row, status: 'FAILURE' };
    return { ...row, status: 'FAILURE', reason: row.reason ? `${state} (the run reported: ${row.reason})` : state };
  });
}

/** The log of a rank: the batch log of array and slurm_multi jobs, the rank's own log of a multi-task job. */
export function logPath(context: Pick<ModelContext, 'job' | 'outcome' | 'model'>, rank: number): string {
  const { job, outcome, model } = context;
  if (job === undefined) return '(no job)';
  const jobId = outcome?.jobId ?? '<job id>';
  const [arrayId, taskId] = jobId.includes('_') ? jobId.split('_') : [jobId, String(model.task ?? 0)];
  const pattern = job.kind === 'multi-task' && job.rankOutput ? job.rankOutput : job.output;
  return pattern.replace(/%(%|A|a|j|t)/g, (_match, code: string) => {
    switch (code) {
      case 'A':
        return arrayId!;
      case 'a':
        return taskId!;
      case 'j':
        return jobId;
      case 't':
        return String(rank);
      default:
        return '%';
    }
  });
}
