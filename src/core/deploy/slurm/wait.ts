/**
 * Waiting for a run's jobs: one client.jobs() (one squeue) per poll for every job still unfinished,
 * fast at first and after every change (0.25 s), backing off to 2 s while nothing happens. madengine
 * polls every 30 s (compat §4.1, Monitor), so a short job's end is seen 15x sooner. Each task's
 * transitions (queued -> running -> ended) are reported once. A task the controller forgot (no
 * accounting, MinJobAge passed, or a pending task scancelled on its own) is settled by the caller's
 * fallback: the exit_code file the task wrote on its node.
 */
import { errorMessage } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { JobEndState, TaskOutcome } from '../types.ts';
import type { SlurmClient, SlurmJobInfo } from './client.ts';
import { type TaskPhase, queueSeconds, runSeconds, taskStatus } from './states.ts';

/** One submitted job and the models its tasks run (an array: task `index` runs `model`). */
export interface WaitJob {
  jobId: string;
  tasks: { index?: number; model: string }[];
}

/** A task as the fallback sees it. */
export interface WaitTask {
  /** "<array id>_<index>" or the job id. */
  jobId: string;
  model: string;
  index?: number;
}

export interface WaitEvent {
  phase: TaskPhase;
  jobId: string;
  model: string;
  /** queued: why it waits; ended: the end reason ('' when COMPLETED). */
  reason: string;
  state?: JobEndState;
  queueSeconds?: number;
  runSeconds?: number;
}

/** The fallback's verdict: an end state, optionally with its own reason (e.g. "exit code 3 (node_0/exit_code)"). */
export type FallbackResult = JobEndState | { state: JobEndState; reason?: string } | undefined;

export interface WaitOptions {
  signal?: AbortSignal;
  /** Resolves after `ms`, or early when `signal` aborts. Default: a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Milliseconds clock; default Date.now. */
  now?: () => number;
  onProgress?: (event: WaitEvent) => void;
  /** Gets each transition as a line (describeWaitEvent) and a warning for each failed poll. */
  logger?: Logger;
  /** How a task the controller no longer reports ended; undefined: nothing tells, the task is UNKNOWN. */
  fallback?: (task: WaitTask) => Promise<FallbackResult>;
  /** First and longest delay between polls (ms); default 250 and 2000. */
  minPollMs?: number;
  maxPollMs?: number;
  /** A task never listed is given up (fallback) after this many polls and this long; default 10 polls, 30 s. */
  unseenPolls?: number;
  unseenMs?: number;
  /** A task listed before is taken as forgotten after missing this many polls in a row; default 2. */
  forgottenPolls?: number;
  /** Consecutive failed polls (controller unreachable) tolerated before the error is thrown; default 5. */
  maxPollFailures?: number;
}

interface Tracked extends WaitTask {
  phase?: TaskPhase;
  last?: SlurmJobInfo;
  missing: number;
  outcome?: TaskOutcome;
}

const timerSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** The task's id as the controller names it. */
export const taskJobId = (jobId: string, index: number | undefined): string => (index === undefined ? jobId : `${jobId}_${index}`);

/** One line for a transition, for the log: "model m (123_0): running after 4 s in the queue". */
export function describeWaitEvent(event: WaitEvent): string {
  const who = `${event.model} (job ${event.jobId})`;
  if (event.phase === 'queued') return `${who}: queued, ${event.reason}`;
  if (event.phase === 'running') return `${who}: running${event.queueSeconds !== undefined ? ` after ${event.queueSeconds} s in the queue` : ''}`;
  const times = [
    event.queueSeconds !== undefined ? `queued ${event.queueSeconds} s` : '',
    event.runSeconds !== undefined ? `ran ${event.runSeconds} s` : '',
  ].filter(Boolean);
  return `${who}: ${event.state}${event.reason && event.reason !== event.state ? ` (${event.reason})` : ''}${times.length ? `, ${times.join(', ')}` : ''}`;
}

/**
 * Polls until every task has ended; outcomes in the order of `jobs` and their tasks. On abort it
 * returns promptly: ended tasks as they ended, the others CANCELLED (the caller scancels them).
 */
export async function waitForJobs(client: SlurmClient, jobs: readonly WaitJob[], options: WaitOptions = {}): Promise<TaskOutcome[]> {
  const sleep = options.sleep ?? timerSleep;
  const now = options.now ?? Date.now;
  const minPoll = options.minPollMs ?? 250;
  const maxPoll = options.maxPollMs ?? 2000;
  const unseenPolls = options.unseenPolls ?? 10;
  const unseenMs = options.unseenMs ?? 30_000;
  const forgottenPolls = options.forgottenPolls ?? 2;
  const maxFailures = options.maxPollFailures ?? 5;
  const { signal, logger } = options;
  const report = (event: WaitEvent): void => {
    logger?.info(describeWaitEvent(event));
    options.onProgress?.(event);
  };

  const all: { job: WaitJob; tasks: Tracked[] }[] = jobs.map((job) => ({
    job,
    tasks: job.tasks.map((task) => ({
      jobId: taskJobId(job.jobId, task.index),
      model: task.model,
      missing: 0,
      ...(task.index === undefined ? {} : { index: task.index }),
    })),
  }));
  const started = now();
  let delay = minPoll;
  let polls = 0;
  let failures = 0;

  const settle = (task: Tracked, state: JobEndState, reason: string, info: SlurmJobInfo | undefined): void => {
    const outcome: TaskOutcome = { jobId: task.jobId, model: task.model, state, reason };
    const queued = info && queueSeconds(info);
    const ran = info && runSeconds(info);
    if (queued !== undefined) outcome.queueSeconds = queued;
    if (ran !== undefined) outcome.runSeconds = ran;
    task.outcome = outcome;
    task.phase = 'ended';
    report({ phase: 'ended', jobId: task.jobId, model: task.model, state, reason, ...times(outcome) });
  };

  const fallBack = async (task: Tracked, why: string): Promise<void> => {
    const verdict = await options.fallback?.(task);
    if (verdict === undefined) return settle(task, 'UNKNOWN', `UNKNOWN: ${why}, and the task left no exit_code file`, task.last);
    const { state, reason } = typeof verdict === 'string' ? { state: verdict, reason: undefined } : verdict;
    settle(task, state, reason ?? (state === 'COMPLETED' ? '' : `${state}: ${why}; its exit_code file says it did not succeed`), task.last);
  };

  while (!signal?.aborted) {
    const open = all.filter(({ tasks }) => tasks.some((task) => !task.outcome));
    if (open.length === 0) break;
    let infos: SlurmJobInfo[] | undefined;
    try {
      infos = await untilAborted(client.jobs(open.map(({ job }) => job.jobId)), signal);
      failures = 0;
    } catch (error) {
      if (++failures >= maxFailures) throw error;
      logger?.warn(`polling SLURM failed (${failures} of ${maxFailures} tries in a row): ${errorMessage(error)}`);
    }
    if (signal?.aborted) break;
    let changed = false;
    if (infos) {
      const byId = new Map(infos.map((info) => [info.jobId, info]));
      for (const task of open.flatMap(({ tasks }) => tasks).filter((t) => !t.outcome)) {
        const info = byId.get(task.jobId);
        if (!info) {
          task.missing++;
          if (task.last && task.missing >= forgottenPolls) {
            await fallBack(task, `SLURM no longer reports the task (last seen ${task.last.state})`);
            changed = true;
          } else if (!task.last && task.missing >= unseenPolls && now() - started >= unseenMs) {
            await fallBack(task, `SLURM never reported the task in ${Math.round((now() - started) / 1000)} s of polling`);
            changed = true;
          }
          continue;
        }
        task.missing = 0;
        task.last = info;
        const status = taskStatus(info);
        if (status.phase === task.phase) continue;
        changed = true;
        if (status.phase === 'ended') {
          settle(task, status.state, status.reason, info);
          continue;
        }
        task.phase = status.phase;
        const queued = queueSeconds(info);
        report({
          phase: status.phase,
          jobId: task.jobId,
          model: task.model,
          reason: status.phase === 'queued' ? status.reason : '',
          ...(status.phase === 'running' && queued !== undefined ? { queueSeconds: queued } : {}),
        });
      }
    }
    if (all.every(({ tasks }) => tasks.every((task) => task.outcome))) break;
    // The first sleep is the shortest too: a job that just ran may end within a second.
    polls++;
    delay = changed || polls === 1 ? minPoll : Math.min(delay * 2, maxPoll);
    await sleep(delay, signal);
  }

  return all.flatMap(({ tasks }) =>
    tasks.map(
      (task): TaskOutcome =>
        task.outcome ?? {
          jobId: task.jobId,
          model: task.model,
          state: 'CANCELLED',
          reason: `CANCELLED: the run was cancelled while the job was ${task.phase ?? 'submitted'}`,
          ...(task.last ? times({ queueSeconds: queueSeconds(task.last) }) : {}),
        },
    ),
  );
}

function times(outcome: { queueSeconds?: number | undefined; runSeconds?: number | undefined }): { queueSeconds?: number; runSeconds?: number } {
  return {
    ...(outcome.queueSeconds !== undefined ? { queueSeconds: outcome.queueSeconds } : {}),
    ...(outcome.runSeconds !== undefined ? { runSeconds: outcome.runSeconds } : {}),
  };
}

/** `promise`, or undefined as soon as `signal` aborts (the poll in flight is abandoned, not awaited). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => undefined);
      resolve(undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
