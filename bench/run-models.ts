/**
 * `madengine run` over 20 one-second dummy models (docker executor) against a shell loop of plain
 * `docker run` doing the same work, measured in the same run.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { type BenchResult, printResults, timeCommand } from './harness.ts';

const MODELS = 20;

export async function benchRunModels(): Promise<BenchResult[]> {
  const hub = await mkdtemp(path.join(tmpdir(), 'madengine-bench-run-'));
  await mkdir(path.join(hub, 'docker'), { recursive: true });
  await mkdir(path.join(hub, 'scripts/sleep'), { recursive: true });
  await writeFile(
    path.join(hub, 'docker/sleep.ubuntu.amd.Dockerfile'),
    "# CONTEXT {'gpu_vendor': 'AMD', 'guest_os': 'UBUNTU'}\nFROM madengine/example-base:latest\n",
  );
  await writeFile(path.join(hub, 'scripts/sleep/run.sh'), 'sleep 1\necho "performance: 1 samples_per_second"\n');
  await writeFile(
    path.join(hub, 'models.json'),
    JSON.stringify(
      Array.from({ length: MODELS }, (_, i) => ({
        name: `sleep_${i}`,
        dockerfile: 'docker/sleep',
        scripts: 'scripts/sleep/run.sh',
        n_gpus: '0',
        tags: ['sleep'],
        args: '',
      })),
    ),
  );
  const cli = path.resolve(import.meta.dirname, '../dist/cli/madengine.mjs');
  try {
    execFileSync(process.execPath, [cli, 'build', '--tags', 'sleep', '--hub', hub, '--manifest-output', path.join(hub, 'build_manifest.json')], {
      stdio: 'ignore',
    });
    const loop = `for i in $(seq 0 ${MODELS - 1}); do docker run --rm --network host -v ${hub}:/myworkspace -w /myworkspace/scripts/sleep ci-sleep_0_sleep.ubuntu.amd bash run.sh > /dev/null; done`;
    const baseline = timeCommand('bash', ['-c', loop], { runs: 1 });
    const ours = timeCommand(
      process.execPath,
      [cli, 'run', '--manifest-file', path.join(hub, 'build_manifest.json'), '--hub', hub, '-o', path.join(hub, 'perf.csv')],
      { runs: 1, cwd: hub },
    );
    return [
      {
        name: `madengine run, ${MODELS} one-second models (docker executor, wall)`,
        value: ours.ms,
        unit: 'ms',
        baseline: baseline.ms,
        ratio: ours.ms / baseline.ms,
        note: 'baseline: bash loop of plain `docker run --rm`',
      },
    ];
  } finally {
    const ids = execFileSync('docker', ['images', '-q', '--filter', 'reference=ci-sleep_*'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (ids.length) execFileSync('docker', ['rmi', '-f', ...new Set(ids)], { stdio: 'ignore' });
    await rm(hub, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) printResults('Run', await benchRunModels());
