/**
 * The rendered scripts on the real SLURM of scripts/test-infra.sh: sbatch accepts them (--test-only, then
 * for real), the array runs each model once, srun gives a two-task job distinct ranks, the slurm_multi
 * wrapper runs the model's script, and collectSlurmResults turns the node dirs into rows. A stand-in
 * for the CLI bundle (madengine.mjs) writes the perf.csv rows; the Node binary is this test's own.
 */
import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { planSlurmJobs, type SlurmPlan } from '../../../../src/core/deploy/slurm/plan.ts';
import { collectSlurmResults } from '../../../../src/core/deploy/slurm/collect.ts';
import type { TaskOutcome } from '../../../../src/core/deploy/types.ts';
import { planInput } from './plan-fixture.ts';
import { requireSlurm } from '../../../helpers/slurm.ts';

/** The test SLURM's default partition (requireSlurm skips, or fails with MADENGINE_REQUIRE_INFRA=1, without one). */
async function slurmPartition(t: TestContext): Promise<string | undefined> {
  const slurm = await requireSlurm(t);
  if (!slurm) return undefined;
  process.env.SLURM_CONF ??= slurm.conf; // the sbatch/scontrol calls below inherit it
  return slurm.partition;
}

function sbatch(args: string[]): string {
  const result = spawnSync('sbatch', args, { encoding: 'utf8' });
  assert.equal(result.status, 0, `sbatch ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim().split(';')[0]!;
}

/** The end state of every task of `ids` once none is pending or running (scontrol takes one id: one line per array task). */
async function waitForEnd(ids: string[]): Promise<Map<string, string>> {
  for (let i = 0; i < 240; i++) {
    const lines = ids.flatMap((id) => spawnSync('scontrol', ['show', 'job', '-o', id], { encoding: 'utf8' }).stdout.split('\n'));
    const states = new Map<string, string>();
    for (const line of lines.filter(Boolean)) {
      const field = (name: string): string | undefined => new RegExp(`(?:^| )${name}=(\\S+)`).exec(line)?.[1];
      const array = field('ArrayJobId');
      const id = array ? `${array}_${field('ArrayTaskId')}` : field('JobId')!;
      states.set(id, field('JobState')!);
    }
    if (states.size > 0 && [...states.values()].every((s) => !/PENDING|RUNNING|CONFIGURING|COMPLETING/.test(s))) return states;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`jobs ${ids.join(',')} did not end within 60 s`);
}

/** Stands in for dist/cli/madengine.mjs: one perf.csv row per run, the rank's environment beside it. */
const FAKE_CLI = `
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
const args = process.argv.slice(2);
const value = (flag) => args[args.indexOf(flag) + 1];
const manifest = JSON.parse(readFileSync(value('--manifest-file'), 'utf8'));
const name = Object.values(manifest.built_models)[0].name;
const rank = Number(process.env.RANK);
writeFileSync(value('--output'), 'model,performance,metric,status,machine_name,n_gpus\\n' + name + ',' + (10 + rank) + ',samples_per_second,SUCCESS,' + hostname() + ',1\\n');
writeFileSync(value('--output') + '.env.json', JSON.stringify({ ...process.env, ARGS: args }));
`;

describe('SLURM plan on a real SLURM', () => {
  let root: string;
  const submitted: string[] = [];
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'madengine-slurm-plan-'));
  });
  after(async () => {
    if (submitted.length) spawnSync('scancel', submitted);
    await rm(root, { recursive: true, force: true });
  });

  it('runs an array of two models, a two-rank model and a slurm_multi model, and collects their rows', async (t) => {
    const partition = await slurmPartition(t);
    if (partition === undefined) return;
    const hub = path.join(root, 'hub');
    await mkdir(path.join(hub, 'scripts', 'multi'), { recursive: true });
    await writeFile(path.join(hub, 'models.json'), '[]');
    await writeFile(
      path.join(hub, 'scripts', 'multi', 'run.slurm'),
      'echo "model,performance,metric,status" > perf.csv\necho "self,5,qps,SUCCESS" >> perf.csv\necho "args: $*"\n',
    );
    const slurm = { partition, node: process.execPath, gpus_per_node: -1, time: '5' };
    const where = { hubDir: hub, outputDir: path.join(root, `out dir "q" 5%`), timeout: 60 };
    const plan: SlurmPlan = planSlurmJobs(
      planInput(
        [{ name: 'first' }, { name: 'second' }, { key: 'self-model', name: 'self', scripts: 'scripts/multi/run.slurm', args: '--x "a b"' }],
        { slurm },
        {
          ...where,
          runId: `it-${process.pid}`,
        },
      ),
    );
    // Two tasks on the one node: ranks 0 and 1 of one job.
    const ranked = planSlurmJobs(
      planInput(
        [{ name: 'ranked', launch: { launcher: 'torchrun' } }],
        { slurm: { ...slurm, ntasks_per_node: 2 } },
        { ...where, runId: `it-${process.pid}-ranked` },
      ),
    );
    for (const p of [plan, ranked]) {
      for (const dir of p.directories) await mkdir(dir, { recursive: true });
      await writeFile(p.bundlePath, FAKE_CLI);
      for (const m of p.nodeManifests) await writeFile(m.path, m.json, { mode: 0o600 });
      for (const f of p.files) await writeFile(f.path, f.content);
      for (const job of p.jobs) await writeFile(job.scriptPath, job.script);
    }
    const jobs = [...plan.jobs, ...ranked.jobs];
    for (const job of jobs) sbatch(['--test-only', job.scriptPath]);
    const ids = jobs.map((job) => sbatch(['--parsable', job.scriptPath]));
    submitted.push(...ids);
    const states = await waitForEnd(ids);
    assert.deepEqual([...new Set(states.values())], ['COMPLETED'], JSON.stringify([...states]));

    const readFileOrUndefined = (file: string) => readFile(file, 'utf8').catch(() => undefined);
    const arrayId = ids[0]!;
    const outcomes: TaskOutcome[] = [
      { jobId: `${arrayId}_0`, model: 'first', state: 'COMPLETED', reason: '' },
      { jobId: `${arrayId}_1`, model: 'second', state: 'COMPLETED', reason: '' },
      { jobId: ids[1]!, model: 'self', state: 'COMPLETED', reason: '' },
    ];
    const rows = await collectSlurmResults(plan, outcomes, { readFile: readFileOrUndefined });
    assert.deepEqual(
      rows.map((r) => [r.model, r.performance, r.status, r.deployment_type, r.job_id]),
      [
        ['first', '10', 'SUCCESS', 'slurm', `${arrayId}_0`],
        ['second', '10', 'SUCCESS', 'slurm', `${arrayId}_1`],
        ['self', '5', 'SUCCESS', 'slurm', ids[1]],
      ],
    );
    const rankedRows = await collectSlurmResults(ranked, [{ jobId: ids[2]!, model: 'ranked', state: 'COMPLETED', reason: '' }], {
      readFile: readFileOrUndefined,
    });
    assert.deepEqual(
      rankedRows.map((r) => [r.model, r.performance, r.reason, r.nnodes]),
      [['ranked', '21', 'sum of 2 ranks', '1']],
    );
    const rankEnv = async (rank: number) =>
      JSON.parse(await readFile(path.join(ranked.models[0]!.resultsDir, `node_${rank}`, 'perf.csv.env.json'), 'utf8')) as Record<string, string>;
    const [env0, env1] = [await rankEnv(0), await rankEnv(1)];
    assert.deepEqual([env0.RANK, env1.RANK, env0.WORLD_SIZE, env0.MAD_COLLECT_METRICS, env1.MAD_COLLECT_METRICS], ['0', '1', '2', 'true', 'false']);
    assert.equal(env0.MASTER_ADDR, env1.MASTER_ADDR);
    assert.match(env1.MAD_MULTI_NODE_RUNNER!, /^torchrun --nnodes=2 --nproc_per_node=1 --node_rank=1 --master_addr=\S+ --master_port=29500$/);
    // SLURM's logs land in the job dir despite the blank, quotes and % in its path.
    const log = await readFile(path.join(plan.jobDir, 'logs', `array_${arrayId}_0.out`), 'utf8');
    assert.match(log, /madengine: first rank 0 of 1 on /);
    assert.match(await readFile(path.join(plan.jobDir, 'logs', `${plan.jobs[1]!.key}_${ids[1]}.out`), 'utf8'), /args: --x a b/);
  });
});
