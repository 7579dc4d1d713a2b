/**
 * SLURM's job states and reasons in the deployment's terms: a task is queued, running, or ended in one
 * of JOB_END_STATES with a reason a user can act on (it lands in perf.csv's `reason` column). madengine
 * only tells COMPLETED from "failed" (compat §4.1, Monitor); we keep SLURM's own end state.
 */
import { JOB_END_STATES, type JobEndState } from '../types.ts';
import type { SlurmJobInfo } from './client.ts';

export type TaskPhase = 'queued' | 'running' | 'ended';

export type TaskStatus = { phase: 'queued'; reason: string } | { phase: 'running' } | { phase: 'ended'; state: JobEndState; reason: string };

/** Waiting for (or back in) the queue: the job holds no node. */
const QUEUED_STATES = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SPECIAL_EXIT', 'LAUNCH_FAILED', 'RECONFIG_FAIL']);
/** Holding nodes, or finishing on them (COMPLETING: the epilog runs; the final state follows within seconds). */
const RUNNING_STATES = new Set([
  'CONFIGURING',
  'POWER_UP_NODE',
  'RUNNING',
  'COMPLETING',
  'SUSPENDED',
  'STOPPED',
  'SIGNALING',
  'STAGE_OUT',
  'RESIZING',
  'UPDATE_DB',
]);
const END_STATES: ReadonlySet<string> = new Set<string>(JOB_END_STATES.filter((state) => state !== 'UNKNOWN'));
/** Ended, but not in JOB_END_STATES' terms (REVOKED: a federated sibling cluster ran the job). */
const OTHER_END_STATES = new Set(['REVOKED']);

/** SLURM's state name without a detail ("CANCELLED by 0" as sacct prints it -> "CANCELLED") and its detail. */
function splitState(state: string): { name: string; detail: string } {
  const [name = '', ...rest] = state.trim().split(/\s+/);
  return { name: name.toUpperCase().replace(/\+$/, ''), detail: rest.join(' ') };
}

/** Whether SLURM's state means the job has ended (its end time is real, not an estimate). */
export function isEndedState(state: string): boolean {
  const { name } = splitState(state);
  return END_STATES.has(name) || OTHER_END_STATES.has(name);
}

/** Whether SLURM's state means the job has started (its start time is real, not the scheduler's estimate). */
export function isStartedState(state: string): boolean {
  const { name } = splitState(state);
  return !QUEUED_STATES.has(name);
}

/** Words for a pending job's Reason (squeue's NODELIST(REASON)), always ending with SLURM's own code. */
export function pendingReasonWords(reason: string): string {
  const code = reason.trim();
  if (code === '' || code === 'None') return 'waiting to be scheduled';
  const words = PENDING_REASONS[code] ?? PENDING_PREFIXES.find(([prefix]) => code.startsWith(prefix))?.[1];
  return words ? `${words} (${code})` : `waiting: ${code}`;
}

const PENDING_REASONS: Record<string, string> = {
  Resources: 'waiting for resources',
  Priority: 'waiting behind higher-priority jobs',
  JobArrayTaskLimit: "waiting for a free slot under the array's max_parallel limit",
  Dependency: 'waiting for a job it depends on',
  DependencyNeverSatisfied: 'a job it depends on failed, so it can never start',
  BeginTime: 'waiting for its begin time',
  JobHeldUser: 'held by its user (scontrol release)',
  JobHeldAdmin: 'held by an administrator',
  ReqNodeNotAvail: 'a requested node is not available (check slurm.nodelist / slurm.exclude)',
  PartitionDown: 'the partition is down',
  PartitionInactive: 'the partition is inactive',
  PartitionNodeLimit: 'it asks for more nodes than the partition allows (slurm.nodes)',
  PartitionTimeLimit: "its time limit exceeds the partition's (slurm.time)",
  BadConstraints: 'no node satisfies its constraints (slurm.constraint, GPUs, memory)',
  NodeDown: 'a node it needs is down',
  Reservation: 'waiting for its reservation',
  InvalidAccount: 'its account is invalid (slurm.account)',
  InvalidQOS: 'its QOS is invalid (slurm.qos)',
  launch_failed_requeued_held: 'its launch failed and it is held',
};
const PENDING_PREFIXES: [string, string][] = [
  ['QOS', 'waiting under a QOS limit'],
  ['Assoc', "waiting under the account's limits"],
  ['MaxJobs', 'waiting under a job-count limit'],
];

/** The words for an ended job, e.g. "FAILED: exit code 3"; '' for COMPLETED. */
export function endReason(info: SlurmJobInfo): string {
  const { name, detail } = splitState(info.state);
  const slurmReason = info.reason && info.reason !== 'None' ? info.reason : '';
  const exit = parseExitCode(info.exitCode);
  switch (name) {
    case 'COMPLETED':
      return '';
    case 'FAILED': {
      const how = exit?.signal ? `killed by signal ${exit.signal}` : exit ? `exit code ${exit.code}` : 'the job failed';
      return `FAILED: ${how}${slurmReason && slurmReason !== 'NonZeroExitCode' ? ` (${slurmReason})` : ''}`;
    }
    case 'TIMEOUT':
      return `TIMEOUT: the job ran past its time limit${info.timeLimit ? ` (--time ${info.timeLimit})` : ''}`;
    case 'CANCELLED': {
      const by = detail ? ` ${detail}` : '';
      if (!info.nodeList) return `CANCELLED${by} before it started${slurmReason ? ` (it was ${pendingReasonWords(slurmReason)})` : ''}`;
      return `CANCELLED${by}: the job was cancelled (scancel) while it ran`;
    }
    case 'NODE_FAIL':
      return `NODE_FAIL: a node of the job failed${info.nodeList ? ` (${info.nodeList})` : ''}`;
    case 'OUT_OF_MEMORY':
      return 'OUT_OF_MEMORY: the job ran out of memory (raise slurm.mem or pick nodes with more)';
    case 'PREEMPTED':
      return 'PREEMPTED: a higher-priority job took its nodes';
    case 'BOOT_FAIL':
      return `BOOT_FAIL: a node failed to boot${info.nodeList ? ` (${info.nodeList})` : ''}`;
    case 'DEADLINE':
      return 'DEADLINE: the job reached its deadline before it could finish';
    default:
      return `${name || 'UNKNOWN'}: SLURM ended the job in a state madengine does not know${slurmReason ? ` (${slurmReason})` : ''}`;
  }
}

/** "3:0" -> exit code 3, no signal; "0:15" -> signal 15. Undefined when absent or malformed. */
export function parseExitCode(exitCode: string | undefined): { code: number; signal: number } | undefined {
  const match = exitCode?.match(/^(\d+):(\d+)$/);
  return match ? { code: Number(match[1]), signal: Number(match[2]) } : undefined;
}

/** Where a task stands, from what the controller says of it. */
export function taskStatus(info: SlurmJobInfo): TaskStatus {
  const { name } = splitState(info.state);
  if (QUEUED_STATES.has(name)) return { phase: 'queued', reason: pendingReasonWords(info.reason) };
  if (RUNNING_STATES.has(name)) return { phase: 'running' };
  if (END_STATES.has(name)) return { phase: 'ended', state: name as JobEndState, reason: endReason(info) };
  if (OTHER_END_STATES.has(name)) return { phase: 'ended', state: 'UNKNOWN', reason: endReason(info) };
  // A state a newer SLURM adds: still the controller's; once it forgets the job,
  // the wait falls back to the exit_code file the task wrote, which is the truth either way.
  return { phase: 'running' };
}

const seconds = (from: Date | undefined, to: Date | undefined): number | undefined =>
  from && to ? Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000)) : undefined;

/** Seconds from submission to start (undefined until it starts). */
export const queueSeconds = (info: SlurmJobInfo): number | undefined => seconds(info.submitTime, info.startTime);

/** Seconds from start to end (undefined until it ends). */
export const runSeconds = (info: SlurmJobInfo): number | undefined => seconds(info.startTime, info.endTime);
