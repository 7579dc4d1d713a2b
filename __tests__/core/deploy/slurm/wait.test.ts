import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SlurmClient, SlurmJobInfo } from '../../../../src/core/deploy/slurm/client.ts';
import { type WaitEvent, type WaitOptions, describeWaitEvent, waitForJobs } from '../../../../src/core/deploy/slurm/wait.ts';

/** A client whose jobs() answers poll i with `script[i]` (the last answer repeats); records every call. */
function fakeClient(script: (SlurmJobInfo[] | Error)[]): SlurmClient & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    testSubmit: () => Promise.resolve(),
    submit: () => Promise.resolve('1'),
    cancel: () => Promise.resolve(),
    findRunJobs: () => Promise.resolve([]),
    jobs(ids) {
      calls.push([...ids]);
      const answer = script[Math.min(calls.length - 1, script.length - 1)]!;
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  };
}

const t0 = new Date(2026, 0, 1, 12, 0, 0);
const sec = (s: number): Date => new Date(t0.getTime() + s * 1000);
const task = (jobId: string, state: string, over: Partial<SlurmJobInfo> = {}): SlurmJobInfo => ({
  jobId,
  name: 'madengine-x',
  comment: 'madengine-run=r',
  state,
  reason: '',
  submitTime: t0,
  ...(state === 'PENDING' ? {} : { startTime: sec(3) }),
  ...over,
});

/** Instant, recorded sleeps and a clock they advance. */
function fakeTime(): Pick<WaitOptions, 'sleep' | 'now'> & { sleeps: number[] } {
  let clock = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => clock,
    sleep: (ms) => {
      sleeps.push(ms);
      clock += ms;
      return Promise.resolve();
    },
  };
}

test('polls back off 0.25 s doubling to 2 s while nothing changes, and reset to fast on a change', async () => {
  const pending = [task('5_0', 'PENDING', { reason: 'Resources' })];
  const running = [task('5_0', 'RUNNING')];
  const client = fakeClient([
    pending,
    pending,
    pending,
    pending,
    pending,
    pending,
    running,
    running,
    running,
    [task('5_0', 'COMPLETED', { endTime: sec(10) })],
  ]);
  const time = fakeTime();
  const outcomes = await waitForJobs(client, [{ jobId: '5', tasks: [{ index: 0, model: 'm0' }] }], time);
  // poll 1 sees it queued (a change), polls 2-6 nothing, poll 7 running (change), 8-9 nothing, 10 ended.
  assert.deepEqual(time.sleeps, [250, 500, 1000, 2000, 2000, 2000, 250, 500, 1000]);
  assert.deepEqual(
    client.calls,
    Array.from({ length: 10 }, () => ['5']),
  );
  assert.deepEqual(outcomes, [{ jobId: '5_0', model: 'm0', state: 'COMPLETED', reason: '', queueSeconds: 3, runSeconds: 7 }]);
});

test('each transition is reported once, with queue and run times; ended jobs leave the poll', async () => {
  const client = fakeClient([
    [task('7_0', 'RUNNING'), task('7_1', 'PENDING', { reason: 'JobArrayTaskLimit' }), task('8', 'PENDING', { reason: 'Priority' })],
    [task('7_0', 'RUNNING'), task('7_1', 'PENDING', { reason: 'JobArrayTaskLimit' }), task('8', 'RUNNING')],
    [
      task('7_0', 'COMPLETED', { endTime: sec(9) }),
      task('7_1', 'RUNNING', { startTime: sec(9) }),
      task('8', 'FAILED', { exitCode: '3:0', reason: 'NonZeroExitCode', endTime: sec(5) }),
    ],
    [task('7_0', 'COMPLETED', { endTime: sec(9) }), task('7_1', 'TIMEOUT', { startTime: sec(9), endTime: sec(70), timeLimit: '1:00' })],
  ]);
  const events: WaitEvent[] = [];
  const lines: string[] = [];
  const logger = { info: (m: string) => lines.push(m), warn: () => {}, error: () => {}, debug: () => {}, group: <T>(_: string, fn: () => Promise<T>) => fn() };
  const outcomes = await waitForJobs(
    client,
    [
      {
        jobId: '7',
        tasks: [
          { index: 0, model: 'a' },
          { index: 1, model: 'b' },
        ],
      },
      { jobId: '8', tasks: [{ model: 'c' }] },
    ],
    { ...fakeTime(), onProgress: (e) => events.push(e), logger },
  );
  assert.deepEqual(
    events.map((e) => [e.jobId, e.phase, e.state ?? '', e.queueSeconds ?? '-', e.runSeconds ?? '-']),
    [
      ['7_0', 'running', '', 3, '-'],
      ['7_1', 'queued', '', '-', '-'],
      ['8', 'queued', '', '-', '-'],
      ['8', 'running', '', 3, '-'],
      ['7_0', 'ended', 'COMPLETED', 3, 6],
      ['7_1', 'running', '', 9, '-'],
      ['8', 'ended', 'FAILED', 3, 2],
      ['7_1', 'ended', 'TIMEOUT', 9, 61],
    ],
  );
  assert.equal(events[1]!.reason, "waiting for a free slot under the array's max_parallel limit (JobArrayTaskLimit)");
  assert.deepEqual(client.calls.at(-1), ['7']); // job 8 had ended: not asked for again
  assert.deepEqual(
    outcomes.map((o) => [o.jobId, o.model, o.state, o.reason]),
    [
      ['7_0', 'a', 'COMPLETED', ''],
      ['7_1', 'b', 'TIMEOUT', 'TIMEOUT: the job ran past its time limit (--time 1:00)'],
      ['8', 'c', 'FAILED', 'FAILED: exit code 3'],
    ],
  );
  assert.equal(lines.length, events.length);
  assert.equal(lines[6], 'c (job 8): FAILED (FAILED: exit code 3), queued 3 s, ran 2 s');
});

test('a task the controller forgot is settled by the fallback (its exit_code file), else UNKNOWN', async () => {
  const client = fakeClient([[task('9_0', 'RUNNING'), task('9_1', 'RUNNING')], []]);
  const asked: string[] = [];
  const outcomes = await waitForJobs(
    client,
    [
      {
        jobId: '9',
        tasks: [
          { index: 0, model: 'ok' },
          { index: 1, model: 'lost' },
        ],
      },
    ],
    {
      ...fakeTime(),
      fallback: (t) => {
        asked.push(`${t.jobId}:${t.model}:${t.index}`);
        return Promise.resolve(t.model === 'ok' ? 'COMPLETED' : undefined);
      },
    },
  );
  assert.deepEqual(asked, ['9_0:ok:0', '9_1:lost:1']);
  assert.equal(client.calls.length, 3); // seen once, then missing 2 polls in a row (forgottenPolls)
  assert.deepEqual(outcomes[0], { jobId: '9_0', model: 'ok', state: 'COMPLETED', reason: '', queueSeconds: 3 });
  assert.equal(outcomes[1]!.state, 'UNKNOWN');
  assert.equal(outcomes[1]!.reason, 'UNKNOWN: SLURM no longer reports the task (last seen RUNNING), and the task left no exit_code file');
});

test('the fallback may give its own reason; a task never seen is given up only after N polls and the grace time', async () => {
  const client = fakeClient([[]]);
  const time = fakeTime();
  const outcomes = await waitForJobs(client, [{ jobId: '11', tasks: [{ model: 'm' }] }], {
    ...time,
    unseenPolls: 3,
    unseenMs: 10_000,
    fallback: () => Promise.resolve({ state: 'FAILED', reason: 'FAILED: exit code 2 (node_0/exit_code)' }),
  });
  assert.deepEqual(outcomes, [{ jobId: '11', model: 'm', state: 'FAILED', reason: 'FAILED: exit code 2 (node_0/exit_code)' }]);
  // 3 polls are reached after 750 ms, but the grace time holds the verdict until 10 s of polling.
  assert.ok(time.now!() >= 10_000);
  assert.deepEqual(time.sleeps.slice(0, 5), [250, 500, 1000, 2000, 2000]);
});

test('abort: returns promptly, even with a poll in flight, with what it knows; the rest CANCELLED', async () => {
  const controller = new AbortController();
  let polls = 0;
  const client: SlurmClient = {
    ...fakeClient([]),
    jobs() {
      polls++;
      if (polls === 1) return Promise.resolve([task('3_0', 'COMPLETED', { endTime: sec(4) }), task('3_1', 'RUNNING')]);
      controller.abort();
      return new Promise(() => {}); // squeue hangs
    },
  };
  const outcomes = await waitForJobs(
    client,
    [
      {
        jobId: '3',
        tasks: [
          { index: 0, model: 'done' },
          { index: 1, model: 'busy' },
        ],
      },
    ],
    {
      signal: controller.signal,
    },
  );
  assert.deepEqual(
    outcomes.map((o) => [o.jobId, o.state, o.reason]),
    [
      ['3_0', 'COMPLETED', ''],
      ['3_1', 'CANCELLED', 'CANCELLED: the run was cancelled while the job was running'],
    ],
  );
  assert.equal(outcomes[1]!.queueSeconds, 3);
});

test('an abort during the sleep ends the wait at once (real timer sleep)', async () => {
  const controller = new AbortController();
  const client = fakeClient([[task('4', 'PENDING')]]);
  setTimeout(() => controller.abort(), 20);
  const outcomes = await waitForJobs(client, [{ jobId: '4', tasks: [{ model: 'm' }] }], { signal: controller.signal, minPollMs: 60_000 });
  assert.deepEqual(
    outcomes.map((o) => [o.state, o.reason]),
    [['CANCELLED', 'CANCELLED: the run was cancelled while the job was queued']],
  );
  assert.equal(client.calls.length, 1);
});

test('failed polls are retried (with a warning) and thrown after maxPollFailures in a row', async () => {
  const warnings: string[] = [];
  const logger = {
    info: () => {},
    warn: (m: string) => warnings.push(m),
    error: () => {},
    debug: () => {},
    group: <T>(_: string, fn: () => Promise<T>) => fn(),
  };
  const flaky = fakeClient([new Error('Socket timed out'), [task('6', 'COMPLETED', { endTime: sec(5) })]]);
  const outcomes = await waitForJobs(flaky, [{ jobId: '6', tasks: [{ model: 'm' }] }], { ...fakeTime(), logger });
  assert.equal(outcomes[0]!.state, 'COMPLETED');
  assert.deepEqual(warnings, ['polling SLURM failed (1 of 5 tries in a row): Socket timed out']);
  const down = fakeClient([new Error('slurm_load_jobs error: Unable to contact slurm controller')]);
  await assert.rejects(waitForJobs(down, [{ jobId: '6', tasks: [{ model: 'm' }] }], { ...fakeTime(), maxPollFailures: 3 }), /Unable to contact/);
  assert.equal(down.calls.length, 3);
});

test('a requeued job is reported queued again; nothing to wait for returns at once', async () => {
  const events: string[] = [];
  const client = fakeClient([[task('2', 'RUNNING')], [task('2', 'REQUEUED')], [task('2', 'RUNNING')], [task('2', 'COMPLETED', { endTime: sec(8) })]]);
  await waitForJobs(client, [{ jobId: '2', tasks: [{ model: 'm' }] }], { ...fakeTime(), onProgress: (e) => events.push(e.phase) });
  assert.deepEqual(events, ['running', 'queued', 'running', 'ended']);
  const idle = fakeClient([]);
  assert.deepEqual(await waitForJobs(idle, [], fakeTime()), []);
  assert.equal(idle.calls.length, 0);
  assert.equal(describeWaitEvent({ phase: 'running', jobId: '2', model: 'm', reason: '', queueSeconds: 4 }), 'm (job 2): running after 4 s in the queue');
});
