/**
 * The SLURM deployment's own costs on the real cluster of scripts/test-infra.sh (BENCH_ONLY=slurm):
 * (a) how long after a job ends waitForJobs reports it, against polling squeue back to back (the
 *     fastest anything can learn it; madengine polls every 30 s);
 * (b) submitting a 100-task array (test-only then the submission, as a deployment does) against a bare
 *     `sbatch --parsable` of a one-line script.
 * Skipped, with a line saying so, when no SLURM answers.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitForJobs } from '../src/core/deploy/slurm/wait.ts';
import { isEndedState } from '../src/core/deploy/slurm/states.ts';
import { runProcess } from '../src/core/exec/process.ts';
import { slurmCli } from '../src/engines/slurm/client.ts';
import { parseJobs, JOBS_FORMAT } from '../src/engines/slurm/squeue.ts';
import { type BenchResult, printResults } from './harness.ts';

const RUNS = 7;
const ARRAY_TASKS = 100;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

/**
 * A job that works 4-8 s (so the wait has backed off to its slowest poll; the lengths vary so the end
 * falls at different points between two polls), then marks its end.
 */
function endingJob(dir: string, index: number): string {
  const seconds = (4 + ((index * 0.77) % 4)).toFixed(2);
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=madengine-bench-end-${index}`,
    `#SBATCH --output=${dir}/end-${index}.out`,
    `sleep ${seconds}`,
    `touch ${dir}/end-${index}`,
    '',
  ].join('\n');
}

/** An array script of the size the deployment renders: per task a case branch naming its model's manifest, and env exports. */
function arrayScript(dir: string): string {
  const lines = [
    '#!/bin/bash',
    '#SBATCH --job-name=madengine-bench-array',
    `#SBATCH --array=0-${ARRAY_TASKS - 1}%8`,
    `#SBATCH --output=${dir}/array_%A_%a.out`,
    '#SBATCH --time=00:10:00',
    '#SBATCH --begin=now+1hour', // submitted, never run: the bench measures submission only
    '#SBATCH --comment=madengine-run=bench',
    'set -euo pipefail',
    ...Array.from({ length: 20 }, (_, i) => `export MAD_BENCH_VAR_${i}='value-${i}'`),
    'case "$SLURM_ARRAY_TASK_ID" in',
    ...Array.from({ length: ARRAY_TASKS }, (_, i) => `  ${i}) MANIFEST='${dir}/manifests/${i}-org_model-${i}_abcdef12.json'; MODEL='org/model-${i}:tag' ;;`),
    '  *) echo "no model for task $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;',
    'esac',
    'exec node "$JOB_DIR/madengine.mjs" run --manifest-file "$MANIFEST" --timeout 3600',
    '',
  ];
  return lines.join('\n');
}

export async function benchSlurm(): Promise<BenchResult[]> {
  let client;
  try {
    client = slurmCli();
    const sinfo = await runProcess('sinfo', ['-h', '-o', '%T'], { timeoutMs: 10_000 });
    if (sinfo.exitCode !== 0) throw new Error(sinfo.stderr.trim().split('\n').pop());
  } catch (error) {
    console.log(`\n(slurm bench skipped: no SLURM here: ${(error as Error).message}; eval "$(bash scripts/test-infra.sh env)" after up)`);
    return [];
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'madengine-bench-slurm-'));
  const submitted: string[] = [];
  try {
    // (a) end -> report. End = the mtime of the file the job touches as its last act.
    const ours: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < RUNS * 2; i++) {
      const script = path.join(dir, `end-${i}.sh`);
      await writeFile(script, endingJob(dir, i));
      const id = await client.submit(script);
      submitted.push(id);
      let seenAt: number;
      if (i % 2 === 0) {
        await waitForJobs(client, [{ jobId: id, tasks: [{ model: 'bench' }] }]);
        seenAt = Date.now();
      } else {
        // Back-to-back squeue processes: each poll costs only the process and the controller's answer.
        for (;;) {
          const result = await runProcess('squeue', ['--noheader', '--states=all', '--array', `--jobs=${id}`, `--Format=${JOBS_FORMAT}`]);
          if (parseJobs(result.stdout).some((job) => isEndedState(job.state))) break;
        }
        seenAt = Date.now();
      }
      const ended = (await stat(path.join(dir, `end-${i}`))).mtimeMs;
      (i % 2 === 0 ? ours : floor).push(seenAt - ended);
    }

    // (b) submission of a 100-task array (test-only + submit) against a bare sbatch of a trivial script.
    const array = path.join(dir, 'array.sh');
    await writeFile(array, arrayScript(dir));
    const trivial = path.join(dir, 'trivial.sh');
    await writeFile(trivial, `#!/bin/bash\n#SBATCH --output=${dir}/trivial.out\n#SBATCH --begin=now+1hour\ntrue\n`);
    const bare: number[] = [];
    const submitOnly: number[] = [];
    const both: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let start = process.hrtime.bigint();
      const result = await runProcess('sbatch', ['--parsable', trivial]);
      bare.push(msSince(start));
      submitted.push(result.stdout.trim().split(';')[0]!);
      start = process.hrtime.bigint();
      submitted.push(await client.submit(array));
      submitOnly.push(msSince(start));
      start = process.hrtime.bigint();
      await client.testSubmit(array);
      submitted.push(await client.submit(array));
      both.push(msSince(start));
      await client.cancel(submitted.splice(-3));
    }
    const scriptKiB = Buffer.byteLength(arrayScript(dir)) / 1024;
    return [
      {
        name: `job end -> waitForJobs reports it (4-8 s jobs, median of ${RUNS}; max ${Math.max(...ours).toFixed(0)} ms)`,
        value: median(ours),
        unit: 'ms',
        baseline: median(floor),
        ratio: median(ours) / median(floor),
        note: `baseline: squeue back to back (max ${Math.max(...floor).toFixed(0)} ms); end = mtime of a file the job touches last; madengine polls every 30 s`,
      },
      {
        name: `submit a ${ARRAY_TASKS}-task array, sbatch --test-only + --parsable (${scriptKiB.toFixed(1)} KiB script, median of ${RUNS})`,
        value: median(both),
        unit: 'ms',
        baseline: median(bare),
        ratio: median(both) / median(bare),
        note: `baseline: bare sbatch --parsable of a one-line script; the array's --parsable alone: ${median(submitOnly).toFixed(1)} ms`,
      },
    ];
  } finally {
    await client.cancel(submitted.filter(Boolean));
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) printResults('SLURM', await benchSlurm());
