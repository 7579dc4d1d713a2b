/**
 * The single-node SLURM that `scripts/test-infra.sh up` starts (munged, slurmctld, slurmd; config in the state
 * dir, so every client needs SLURM_CONF): a guard that skips a test when it does not answer, or fails it when
 * MADENGINE_REQUIRE_INFRA=1, and the clean-up helpers tests need so no job outlives them.
 */
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runProcess, type ProcessResult } from '../../src/core/exec/process.ts';
import path from 'node:path';
import { infraStateDir, readEnvFile } from './infra.ts';

export interface SlurmInfra {
  /** The partition the script configures (Default=YES, one node, 8 CPUs, 8 fake GPUs). */
  partition: string;
  /** Path of the slurm.conf in the state dir. */
  conf: string;
  /** process.env plus SLURM_CONF: pass as `env` to every sbatch/squeue/scontrol/scancel/srun. */
  env: NodeJS.ProcessEnv;
}

/** How long the clean-up waits may take before they give up with an error (a bound, not an assertion). */
const CLEANUP_BOUND_MS = 60_000;

/** Coordinates from the exported variables, else the state dir's infra.env; undefined when SLURM was not set up. */
export function slurmInfra(env: NodeJS.ProcessEnv = process.env): SlurmInfra | undefined {
  const files = readEnvFile(path.join(infraStateDir(env), 'infra.env'));
  const conf = env.SLURM_CONF || files.SLURM_CONF;
  if (!conf) return undefined;
  const partition = env.MADENGINE_TEST_SLURM_PARTITION || files.MADENGINE_TEST_SLURM_PARTITION || 'madtest';
  return { partition, conf, env: { ...env, SLURM_CONF: conf } };
}

/** Runs a SLURM client (sbatch, squeue, ...) against the test cluster. */
export function slurmCommand(slurm: SlurmInfra, command: string, args: readonly string[], cwd?: string): Promise<ProcessResult> {
  return runProcess(command, args, { env: slurm.env, timeoutMs: 30_000, ...(cwd === undefined ? {} : { cwd }) });
}

/**
 * Call first in a SLURM integration test: the coordinates when `sinfo` answers for the partition; otherwise
 * skips the test (returns undefined), or throws when MADENGINE_REQUIRE_INFRA=1.
 */
export async function requireSlurm(t: TestContext): Promise<SlurmInfra | undefined> {
  const slurm = slurmInfra();
  let problem: string;
  if (slurm === undefined) {
    problem = `no SLURM_CONF exported and none in ${infraStateDir()}/infra.env`;
  } else {
    const result = await slurmCommand(slurm, 'sinfo', ['-h', '-p', slurm.partition, '-o', '%T']).catch((error: Error) => error);
    if (result instanceof Error) problem = `sinfo could not be started: ${result.message}`;
    else if (result.exitCode !== 0) problem = `sinfo failed (exit ${result.exitCode}): ${result.stderr.trim()}`;
    else if (!/^(idle|mixed|allocated|completing)$/m.test(result.stdout))
      problem = `partition ${slurm.partition} has no usable node (sinfo: '${result.stdout.trim()}')`;
    else return slurm;
  }
  const message = `SLURM not up (${problem}); start it with: bash scripts/test-infra.sh up`;
  if (process.env.MADENGINE_REQUIRE_INFRA === '1') throw new Error(`${message} [MADENGINE_REQUIRE_INFRA=1 forbids skipping]`);
  t.skip(message);
  return undefined;
}

/** The job ids among `ids` that squeue still lists as not finished (pending, running, completing...). */
export async function activeJobs(slurm: SlurmInfra, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const result = await slurmCommand(slurm, 'squeue', ['-h', '-j', ids.join(','), '-o', '%i']);
  // A single unknown id makes squeue fail with "Invalid job id specified": then it is gone too.
  if (result.exitCode !== 0 && /Invalid job id/i.test(result.stderr)) return [];
  if (result.exitCode !== 0) throw new Error(`squeue failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
  return result.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** Polls until none of `ids` is pending or running any more (bounded: throws after a minute, naming the ids). */
export async function waitUntilGone(slurm: SlurmInfra, ids: readonly string[], boundMs = CLEANUP_BOUND_MS): Promise<void> {
  const deadline = Date.now() + boundMs;
  let pollMs = 100;
  for (;;) {
    const left = await activeJobs(slurm, ids);
    if (left.length === 0) return;
    if (Date.now() >= deadline) throw new Error(`SLURM jobs still in the queue after ${boundMs} ms: ${left.join(', ')}`);
    await sleep(pollMs);
    pollMs = Math.min(pollMs * 2, 1000);
  }
}

/** Test teardown: scancel every id (finished ones are fine), then wait until they have left the queue. */
export async function cancelAll(slurm: SlurmInfra, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await slurmCommand(slurm, 'scancel', [...ids]);
  await waitUntilGone(slurm, ids);
}

/** `scontrol show job -o` records (one per array task), each line's KEY=VALUE fields. */
export function parseScontrolJobs(text: string): Record<string, string>[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const fields: Record<string, string> = {};
      for (const word of line.trim().split(/\s+/)) {
        const eq = word.indexOf('=');
        if (eq > 0) fields[word.slice(0, eq)] = word.slice(eq + 1);
      }
      return fields;
    });
}

/** Waits until the job (every task of an array) has left the queue, then returns its scontrol records. */
export async function finishedJob(slurm: SlurmInfra, id: string): Promise<Record<string, string>[]> {
  await waitUntilGone(slurm, [id]);
  const result = await slurmCommand(slurm, 'scontrol', ['show', 'job', '-o', id]);
  if (result.exitCode !== 0) throw new Error(`scontrol show job ${id} failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
  return parseScontrolJobs(result.stdout);
}
