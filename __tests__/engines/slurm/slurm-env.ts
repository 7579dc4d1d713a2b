/**
 * The SLURM of scripts/test-infra.sh for the client's integration tests: SLURM_CONF from the environment or
 * the state dir's infra.env; the test is skipped when `sinfo` does not answer, or fails under
 * MADENGINE_REQUIRE_INFRA=1. (The shared __tests__/helpers/slurm.ts does the same for other tests.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { runProcess } from '../../../src/core/exec/process.ts';
import { infraStateDir } from '../../helpers/infra.ts';

export async function requireSlurmEnv(t: TestContext): Promise<NodeJS.ProcessEnv | undefined> {
  let conf = process.env.SLURM_CONF;
  if (!conf) {
    try {
      conf = readFileSync(path.join(infraStateDir(), 'infra.env'), 'utf8')
        .match(/^SLURM_CONF=(.+)$/m)?.[1]
        ?.trim();
    } catch {
      /* no state dir */
    }
  }
  const env = { ...process.env, ...(conf ? { SLURM_CONF: conf } : {}) };
  const sinfo = await runProcess('sinfo', ['-h', '-o', '%T'], { env, timeoutMs: 10_000 }).catch((error: Error) => error);
  const problem =
    sinfo instanceof Error
      ? `sinfo could not be started: ${sinfo.message}`
      : sinfo.exitCode !== 0
        ? `sinfo failed: ${sinfo.stderr.trim().split('\n').pop()}`
        : /^(idle|mixed|allocated|completing)/m.test(sinfo.stdout)
          ? undefined
          : `no usable node (sinfo: ${sinfo.stdout.trim()})`;
  if (problem === undefined) return env;
  const message = `SLURM not up (${problem}); start it with: bash scripts/test-infra.sh up`;
  if (process.env.MADENGINE_REQUIRE_INFRA === '1') throw new Error(`${message} [MADENGINE_REQUIRE_INFRA=1 forbids skipping]`);
  t.skip(message);
  return undefined;
}
