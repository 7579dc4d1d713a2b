import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SlurmJobInfo } from '../../../../src/core/deploy/slurm/client.ts';
import { endReason, pendingReasonWords, queueSeconds, runSeconds, taskStatus } from '../../../../src/core/deploy/slurm/states.ts';
import { parseJobs } from '../../../../src/engines/slurm/squeue.ts';

const info = (over: Partial<SlurmJobInfo>): SlurmJobInfo => ({ jobId: '1', name: 'n', comment: '', state: 'RUNNING', reason: '', ...over });

test('the real final squeue output maps to end states with reasons a user can act on', () => {
  const text = readFileSync(path.join(import.meta.dirname, '../../../fixtures/slurm/squeue-jobs-final.txt'), 'utf8');
  const status = Object.fromEntries(parseJobs(text).map((job) => [job.jobId, taskStatus(job)]));
  assert.deepEqual(status['18_0'], { phase: 'ended', state: 'COMPLETED', reason: '' });
  assert.deepEqual(status['18_2'], { phase: 'ended', state: 'FAILED', reason: 'FAILED: exit code 3' });
  assert.deepEqual(status['20'], { phase: 'ended', state: 'FAILED', reason: 'FAILED: killed by signal 9 (JobLaunchFailure)' });
  assert.deepEqual(status['23'], { phase: 'ended', state: 'TIMEOUT', reason: 'TIMEOUT: the job ran past its time limit (--time 1:00)' });
  assert.deepEqual(status['22'], { phase: 'ended', state: 'CANCELLED', reason: 'CANCELLED: the job was cancelled (scancel) while it ran' });
  assert.deepEqual(status['21'], { phase: 'ended', state: 'CANCELLED', reason: 'CANCELLED before it started (it was waiting for its begin time (BeginTime))' });
});

test('queued and running states, pending reasons in words with SLURM code kept', () => {
  assert.deepEqual(taskStatus(info({ state: 'PENDING', reason: 'Resources' })), { phase: 'queued', reason: 'waiting for resources (Resources)' });
  assert.deepEqual(taskStatus(info({ state: 'REQUEUED', reason: '' })), { phase: 'queued', reason: 'waiting to be scheduled' });
  for (const state of ['RUNNING', 'COMPLETING', 'CONFIGURING', 'SUSPENDED']) assert.deepEqual(taskStatus(info({ state })), { phase: 'running' });
  // A state a newer SLURM may add is not taken as an end: the wait goes on (and falls back to the exit_code file).
  assert.deepEqual(taskStatus(info({ state: 'SOMETHING_NEW' })), { phase: 'running' });
  assert.equal(pendingReasonWords('JobArrayTaskLimit'), "waiting for a free slot under the array's max_parallel limit (JobArrayTaskLimit)");
  assert.equal(pendingReasonWords('QOSMaxJobsPerUserLimit'), 'waiting under a QOS limit (QOSMaxJobsPerUserLimit)');
  assert.equal(pendingReasonWords('Nodes required for job are DOWN'), 'waiting: Nodes required for job are DOWN');
  assert.equal(pendingReasonWords('None'), 'waiting to be scheduled');
});

test('every end state has its words', () => {
  const words = (over: Partial<SlurmJobInfo>): string => endReason(info(over));
  assert.equal(words({ state: 'FAILED', exitCode: '1:0', reason: 'NonZeroExitCode' }), 'FAILED: exit code 1');
  assert.equal(words({ state: 'FAILED' }), 'FAILED: the job failed');
  assert.equal(words({ state: 'TIMEOUT' }), 'TIMEOUT: the job ran past its time limit');
  assert.equal(words({ state: 'CANCELLED by 1000', nodeList: 'n1' }), 'CANCELLED by 1000: the job was cancelled (scancel) while it ran');
  assert.equal(words({ state: 'NODE_FAIL', nodeList: 'n[1-2]' }), 'NODE_FAIL: a node of the job failed (n[1-2])');
  assert.match(words({ state: 'OUT_OF_MEMORY' }), /^OUT_OF_MEMORY: the job ran out of memory/);
  assert.equal(words({ state: 'PREEMPTED' }), 'PREEMPTED: a higher-priority job took its nodes');
  assert.match(words({ state: 'BOOT_FAIL' }), /^BOOT_FAIL: /);
  assert.match(words({ state: 'DEADLINE' }), /^DEADLINE: /);
  assert.deepEqual(taskStatus(info({ state: 'REVOKED' })), {
    phase: 'ended',
    state: 'UNKNOWN',
    reason: 'REVOKED: SLURM ended the job in a state madengine does not know',
  });
  assert.deepEqual(taskStatus(info({ state: 'OUT_OF_MEMORY' })).phase, 'ended');
});

test('queue time is start - submit, run time end - start, undefined until known', () => {
  const submitTime = new Date(2026, 0, 1, 10, 0, 0);
  const startTime = new Date(2026, 0, 1, 10, 0, 4);
  const endTime = new Date(2026, 0, 1, 10, 1, 6);
  assert.equal(queueSeconds(info({ submitTime, startTime })), 4);
  assert.equal(runSeconds(info({ startTime, endTime })), 62);
  assert.equal(queueSeconds(info({ submitTime })), undefined);
  assert.equal(runSeconds(info({ startTime })), undefined);
});
