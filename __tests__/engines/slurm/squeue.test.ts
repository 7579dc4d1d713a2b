import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { JOBS_FORMAT, RUN_JOBS_FORMAT, parseJobs, parseRunJobs, parseSlurmTime, waitStatusToExitCode } from '../../../src/engines/slurm/squeue.ts';

// Real squeue output (SLURM 22.05.8): see __tests__/fixtures/slurm/README.md for the jobs behind it.
const fixture = (name: string): string => readFileSync(path.join(import.meta.dirname, '../../fixtures/slurm', name), 'utf8');
const at = (hh: number, mm: number, ss: number): Date => new Date(2026, 11, 2, hh, mm, ss);
const byId = (text: string) => new Map(parseJobs(text).map((info) => [info.jobId, info]));

test('the -O formats ask for unlimited widths, separate fields by 0x1f and end records with 0x1e', () => {
  assert.equal(JOBS_FORMAT.split(',').length, 13);
  assert.ok(JOBS_FORMAT.split(',').every((field, i, all) => field.endsWith(i === all.length - 1 ? ':0\x1e' : ':0\x1f')));
  assert.ok(JOBS_FORMAT.startsWith('JobID:0\x1f,ArrayJobID:0\x1f,ArrayTaskID:0\x1f,State:0'));
  assert.ok(RUN_JOBS_FORMAT.endsWith('Comment:0\x1e'));
});

test('early: pending array tasks are named <array>_<index> (their JobID is the array id), estimates are dropped', () => {
  const jobs = byId(fixture('squeue-jobs-early.txt'));
  assert.deepEqual([...jobs.keys()].sort(), ['18_0', '18_1', '18_2', '19', '20', '21', '22', '23']);
  assert.deepEqual(jobs.get('18_1'), {
    jobId: '18_1',
    arrayJobId: '18',
    arrayTaskId: 1,
    name: 'madengine-cap-array',
    comment: 'madengine-run=capture-1',
    state: 'PENDING',
    reason: 'JobArrayTaskLimit',
    exitCode: '0:0',
    timeLimit: '5:00',
    submitTime: at(20, 49, 26),
  });
  // --begin=now+1hour: squeue prints the estimated start; a pending job has not started.
  assert.equal(jobs.get('21')!.startTime, undefined);
  assert.equal(jobs.get('21')!.reason, 'BeginTime');
  // Running: a real start, no end yet (squeue prints start + limit, or NONE when unlimited).
  const running = jobs.get('18_0')!;
  assert.equal(running.state, 'RUNNING');
  assert.deepEqual([running.startTime, running.endTime, running.nodeList, running.reason], [at(20, 49, 26), undefined, 'vm', '']);
  assert.equal(jobs.get('22')!.endTime, undefined);
});

test('free text with "|" and spaces is kept whole; "(null)" (no comment) is empty', () => {
  const jobs = byId(fixture('squeue-jobs-early.txt'));
  assert.equal(jobs.get('19')!.name, 'name with | bar and spaces');
  assert.equal(jobs.get('19')!.comment, 'madengine-run=capture-1 and | more');
  assert.equal(jobs.get('20')!.comment, '');
  assert.equal(jobs.get('19')!.arrayJobId, undefined);
});

test('final: exit codes from the wait status, end times, TIMEOUT, cancellations before and during the run', () => {
  const jobs = byId(fixture('squeue-jobs-final.txt'));
  assert.deepEqual([...jobs.values()].map((j) => [j.jobId, j.state, j.reason, j.exitCode]).sort(), [
    ['18_0', 'COMPLETED', '', '0:0'],
    ['18_1', 'COMPLETED', '', '0:0'],
    ['18_2', 'FAILED', 'NonZeroExitCode', '3:0'],
    ['19', 'FAILED', 'NonZeroExitCode', '3:0'],
    ['20', 'FAILED', 'JobLaunchFailure', '0:9'],
    ['21', 'CANCELLED', 'BeginTime', '0:0'],
    ['22', 'CANCELLED', '', '0:15'],
    ['23', 'TIMEOUT', 'TimeLimit', '0:15'],
  ]);
  const timeout = jobs.get('23')!;
  assert.deepEqual([timeout.timeLimit, timeout.startTime, timeout.endTime], ['1:00', at(20, 49, 26), at(20, 50, 32)]);
  assert.deepEqual([jobs.get('18_2')!.startTime, jobs.get('18_2')!.endTime], [at(20, 49, 35), at(20, 49, 38)]);
  assert.equal(jobs.get('21')!.nodeList, undefined); // never ran
});

test('findRunJobs: exactly the comment, an array once by its array id (pending remainder and running task alike)', () => {
  const text = fixture('squeue-me.txt');
  assert.deepEqual(parseRunJobs(text, 'madengine-run=capture-1'), ['18', '21', '23']);
  assert.deepEqual(parseRunJobs(text, 'madengine-run=capture-2'), ['22']);
  assert.deepEqual(parseRunJobs(text, 'madengine-run=capture'), []);
});

test('records tolerate a stray line without separators, CRLF, and an empty output', () => {
  assert.deepEqual(parseJobs(''), []);
  assert.deepEqual(parseRunJobs('squeue: warning: something\n', 'x'), []);
  assert.deepEqual(parseRunJobs('7\x1f7\x1fN/A\x1fx\x1e\r\n8\x1f8\x1fN/A\x1fx\x1e\n', 'x'), ['7', '8']);
});

test('times and wait statuses', () => {
  assert.deepEqual(parseSlurmTime('2026-12-02T20:49:26'), at(20, 49, 26));
  for (const none of ['N/A', 'Unknown', 'NONE', '']) assert.equal(parseSlurmTime(none), undefined);
  assert.equal(waitStatusToExitCode('768'), '3:0');
  assert.equal(waitStatusToExitCode('9'), '0:9');
  assert.equal(waitStatusToExitCode('0'), '0:0');
  assert.equal(waitStatusToExitCode('N/A'), undefined);
});
