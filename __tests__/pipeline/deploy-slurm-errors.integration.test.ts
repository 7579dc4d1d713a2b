/**
 * Bad input to a SLURM deployment (issue 11's acceptance): each is a clear error, exit 4, before anything
 * is submitted (squeue lists no job whose script lies under the test's dir). The CLI runs from its
 * sources against the real SLURM of scripts/test-infra.sh.
 */
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { requireSlurm, type SlurmInfra } from '../helpers/slurm.ts';
import { cancelJobsUnder, exampleHub, jobsUnder, runCli, scratchDir } from '../helpers/deploy-slurm.ts';

async function workDir(t: TestContext, slurm: SlurmInfra, name: string): Promise<string> {
  const root = await scratchDir(name);
  t.after(async () => {
    await cancelJobsUnder(slurm, root);
    await rm(root, { recursive: true, force: true });
  });
  return root;
}

/** Runs dummy with `slurm` settings; asserts exit 4, stderr matching `message`, and no job submitted. */
async function refused(slurm: SlurmInfra, root: string, section: Record<string, unknown>, message: RegExp, env: NodeJS.ProcessEnv = slurm.env): Promise<void> {
  const context = JSON.stringify({ deploy: 'slurm', executor: 'host', slurm: section });
  const result = await runCli(['run', '--hub', exampleHub, '--tags', 'dummy', '-o', path.join(root, 'perf.csv'), '-c', context], { cwd: root, env });
  assert.equal(result.code, 4, `exit code (4: invalid input):\n${result.stdout}\n${result.stderr}`);
  assert.match(result.stderr, message);
  assert.deepEqual(await jobsUnder(slurm, root), [], 'nothing was submitted');
}

describe('deploy to SLURM: bad input is refused before anything is submitted', () => {
  it("an unknown partition: sbatch's own message", async (t) => {
    const slurm = await requireSlurm(t);
    if (!slurm) return;
    const root = await workDir(t, slurm, 'partition');
    await refused(slurm, root, { partition: 'no_such_partition' }, /sbatch: error: invalid partition specified: no_such_partition/);
  });

  it('slurm.nodes 0', async (t) => {
    const slurm = await requireSlurm(t);
    if (!slurm) return;
    await refused(slurm, await workDir(t, slurm, 'nodes'), { nodes: 0 }, /slurm\.nodes: got 0, expected a positive integer/);
  });

  it('a malformed slurm.time', async (t) => {
    const slurm = await requireSlurm(t);
    if (!slurm) return;
    await refused(slurm, await workDir(t, slurm, 'time'), { time: '25:99:99x' }, /slurm\.time: got "25:99:99x", expected a SLURM time limit/);
  });

  it('sbatch not on PATH', async (t) => {
    const slurm = await requireSlurm(t);
    if (!slurm) return;
    const root = await workDir(t, slurm, 'no-sbatch');
    // A PATH with python3 only (the example hub's dynamic catalogue needs it), not sbatch.
    const bin = path.join(root, 'bin');
    await mkdir(bin);
    const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
    if (python) await symlink(python, path.join(bin, 'python3'));
    await refused(slurm, root, {}, /sbatch not found on PATH/, { ...slurm.env, PATH: bin });
  });

  for (const key of ['output_dir', 'results_dir'] as const) {
    it(`slurm.${key} that cannot be created (its parent is a regular file)`, async (t) => {
      const slurm = await requireSlurm(t);
      if (!slurm) return;
      const root = await workDir(t, slurm, key.replace('_', '-'));
      // We may be root here: a mode bit would not stop us, a file in the path does.
      const file = path.join(root, 'a-file');
      await writeFile(file, '');
      const where = path.join(file, 'sub');
      await refused(
        slurm,
        root,
        { [key]: where },
        new RegExp(`SLURM directory ${where.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\S* is not writable .*slurm\\.output_dir / slurm\\.results_dir`),
      );
    });
  }
});
