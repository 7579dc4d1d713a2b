import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, ExitCode, SlurmError } from '../../../src/core/errors.ts';
import { slurmCli } from '../../../src/engines/slurm/client.ts';

/**
 * Stand-ins for the SLURM tools (no SLURM needed): each records its argv, one per line, and answers with
 * FAKE_<TOOL>_OUT / _ERR / _RC from its environment.
 */
async function fakeTools(): Promise<{ dir: string; env: NodeJS.ProcessEnv; argv: (tool: string) => Promise<string[]> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'madengine-fake-slurm-'));
  for (const tool of ['sbatch', 'squeue', 'scontrol', 'scancel']) {
    const upper = tool.toUpperCase();
    const file = path.join(dir, tool);
    await writeFile(
      file,
      `#!/bin/bash\nprintf '%s\\n' "$@" > "${dir}/${tool}.argv"\nprintf '%s' "\${FAKE_${upper}_OUT:-}"\nprintf '%s' "\${FAKE_${upper}_ERR:-}" >&2\nexit "\${FAKE_${upper}_RC:-0}"\n`,
    );
    await chmod(file, 0o755);
  }
  return {
    dir,
    env: { PATH: `${dir}:/usr/bin:/bin` },
    argv: async (tool) => (await readFile(path.join(dir, `${tool}.argv`), 'utf8')).split('\n').slice(0, -1),
  };
}

test('a missing tool is a ConfigError naming it and where the target runs, before anything is run', async () => {
  const { dir } = await fakeTools();
  assert.throws(
    () => slurmCli({ env: { PATH: '/nonexistent' } }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.exitCode === ExitCode.INVALID_ARGS &&
      /^sbatch not found on PATH \(the deploy-slurm target runs on a SLURM login node/.test(error.message),
  );
  assert.throws(() => slurmCli({ env: { PATH: dir }, bin: { scancel: '/opt/none/scancel' } }), /\/opt\/none\/scancel does not exist or is not executable/);
});

test('submit: --parsable, the id without ";cluster"; output without an id is an error', async () => {
  const tools = await fakeTools();
  const client = slurmCli({ env: { ...tools.env, FAKE_SBATCH_OUT: '4242;madtest\n' } });
  assert.equal(await client.submit('/jobs/a b.sh'), '4242');
  assert.deepEqual(await tools.argv('sbatch'), ['--parsable', '/jobs/a b.sh']);
  const odd = slurmCli({ env: { ...tools.env, FAKE_SBATCH_OUT: 'Submitted batch job\n' } });
  await assert.rejects(odd.submit('/jobs/x.sh'), (error: unknown) => error instanceof SlurmError && /printed no job id/.test(error.message));
});

test("testSubmit: sbatch's own message, verbatim, in a SlurmError with the invalid-input exit code", async () => {
  const tools = await fakeTools();
  // sbatch 22.05's real words for `#SBATCH --partition=nope`.
  const stderr = readFileSync(path.join(import.meta.dirname, '../../fixtures/slurm/sbatch-test-only-bad-partition.stderr.txt'), 'utf8');
  const client = slurmCli({ env: { ...tools.env, FAKE_SBATCH_ERR: stderr, FAKE_SBATCH_RC: '1' } });
  await assert.rejects(client.testSubmit('/jobs/array.sh'), (error: unknown) => {
    assert.ok(error instanceof SlurmError);
    assert.equal(error.exitCode, ExitCode.INVALID_ARGS);
    assert.equal(error.message, `sbatch refused /jobs/array.sh (sbatch --test-only):\n${stderr.trim()}`);
    assert.equal(error.stderr, stderr);
    return true;
  });
  assert.deepEqual(await tools.argv('sbatch'), ['--test-only', '/jobs/array.sh']);
  await assert.rejects(client.submit('/jobs/array.sh'), /sbatch could not submit \/jobs\/array\.sh:\nsbatch: error: invalid partition/);
});

test('jobs: one squeue for all ids; ids all unknown -> []; any other failure is an error; no ids -> no process', async () => {
  const tools = await fakeTools();
  const out = '5\x1f5\x1fN/A\x1fRUNNING\x1fNone\x1f0\x1f1:00\x1f2026-12-02T20:49:26\x1f2026-12-02T20:49:27\x1f2026-12-02T20:50:27\x1fvm\x1fn\x1fc\x1e\n';
  const client = slurmCli({ env: { ...tools.env, FAKE_SQUEUE_OUT: out } });
  const jobs = await client.jobs(['5', '6_1']);
  assert.deepEqual(
    jobs.map((j) => [j.jobId, j.state, j.timeLimit]),
    [['5', 'RUNNING', '1:00']],
  );
  const argv = await tools.argv('squeue');
  assert.deepEqual(argv.slice(0, 4), ['--noheader', '--states=all', '--array', '--jobs=5,6_1']);
  assert.ok(argv[4]!.startsWith('--Format=JobID:0\x1f,'), argv[4]);
  const gone = slurmCli({ env: { ...tools.env, FAKE_SQUEUE_ERR: 'slurm_load_jobs error: Invalid job id specified\n', FAKE_SQUEUE_RC: '1' } });
  assert.deepEqual(await gone.jobs(['77']), []);
  const down = slurmCli({
    env: { ...tools.env, FAKE_SQUEUE_ERR: 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n', FAKE_SQUEUE_RC: '1' },
  });
  await assert.rejects(
    down.jobs(['77']),
    (error: unknown) => error instanceof SlurmError && error.exitCode === ExitCode.FAILURE && /Unable to contact/.test(error.message),
  );
  assert.deepEqual(await slurmCli({ env: { PATH: tools.dir } }).jobs([]), []);
});

test('cancel: scancel with every id; complaints about ids gone or done are harmless, others are not', async () => {
  const tools = await fakeTools();
  await slurmCli({ env: tools.env }).cancel(['5', '6_2']);
  assert.deepEqual(await tools.argv('scancel'), ['5', '6_2']);
  const harmless =
    'scancel: error: Kill job error on job id 5: Invalid job id specified\nscancel: error: Kill job error on job id 6: Job/step already completing or completed\n';
  await slurmCli({ env: { ...tools.env, FAKE_SCANCEL_ERR: harmless, FAKE_SCANCEL_RC: '1' } }).cancel(['5', '6']);
  const denied = `${harmless}scancel: error: Kill job error on job id 9: Access/permission denied\n`;
  await assert.rejects(
    slurmCli({ env: { ...tools.env, FAKE_SCANCEL_ERR: denied, FAKE_SCANCEL_RC: '1' } }).cancel(['5', '6', '9']),
    (error: unknown) =>
      error instanceof SlurmError && error.message === 'scancel 5 6 9 failed:\nscancel: error: Kill job error on job id 9: Access/permission denied',
  );
});

test("findRunJobs: this user's jobs (--me) whose comment is exactly the run's", async () => {
  const tools = await fakeTools();
  const out = ['1\x1f1\x1fN/A\x1fmadengine-run=r1\x1e', '2\x1f2\x1fN/A\x1fmadengine-run=r10\x1e', '3\x1f3\x1f0-4%2\x1fmadengine-run=r1\x1e', ''].join('\n');
  assert.deepEqual(await slurmCli({ env: { ...tools.env, FAKE_SQUEUE_OUT: out } }).findRunJobs('r1'), ['1', '3']);
  assert.deepEqual((await tools.argv('squeue')).slice(0, 2), ['--noheader', '--me']);
});

test('a command that does not answer in time is a SlurmError saying so', async () => {
  const tools = await fakeTools();
  await writeFile(path.join(tools.dir, 'squeue'), '#!/bin/bash\nsleep 5\n');
  await assert.rejects(slurmCli({ env: tools.env, timeoutMs: 100 }).jobs(['1']), /did not answer within 0.1 s \(is slurmctld up\?\)/);
});
