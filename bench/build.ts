/**
 * Build of a 40-model hub over 5 Dockerfiles through the CLI: images built vs models, and the
 * no-change rebuild against the first build measured in the same run (needs the Docker engine
 * and the base image from scripts/test-infra.sh).
 */
import { mkdtemp, mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { type BenchResult, printResults, timeCommand } from './harness.ts';

const DOCKERFILES = 5;
const MODELS = 40;

async function makeHub(): Promise<string> {
  const hub = await mkdtemp(path.join(tmpdir(), 'madengine-bench-build-'));
  await mkdir(path.join(hub, 'docker'), { recursive: true });
  await mkdir(path.join(hub, 'scripts/bench'), { recursive: true });
  const stamp = `${process.pid}-${Date.now()}`; // fresh inputs each bench run, so the first build really builds
  for (let d = 0; d < DOCKERFILES; d++) {
    await writeFile(
      path.join(hub, 'docker', `bench${d}.ubuntu.amd.Dockerfile`),
      // A small stand-in for real build work (package installs take minutes in ROCm images): ~1-2 s here.
      `# CONTEXT {'gpu_vendor': 'AMD', 'guest_os': 'UBUNTU'}\nFROM madengine/example-base:latest\nRUN echo ${stamp}-${d} > /stamp && mkdir -p /opt/bench && dd if=/dev/urandom of=/opt/bench/blob bs=1M count=24 2>/dev/null && gzip -1 /opt/bench/blob\n`,
    );
  }
  const models = Array.from({ length: MODELS }, (_, i) => ({
    name: `bench_${i}`,
    dockerfile: `docker/bench${i % DOCKERFILES}`,
    scripts: 'scripts/bench/run.sh',
    n_gpus: '0',
    tags: ['bench'],
    args: '',
  }));
  await writeFile(path.join(hub, 'models.json'), JSON.stringify(models, null, 2));
  await writeFile(path.join(hub, 'scripts/bench/run.sh'), 'echo "performance: 1 samples_per_second"\n');
  return hub;
}

export async function benchBuild(): Promise<BenchResult[]> {
  const hub = await makeHub();
  const cli = path.resolve(import.meta.dirname, '../dist/cli/madengine.mjs');
  const args = [cli, 'build', '--tags', 'bench', '--hub', hub, '--manifest-output', path.join(hub, 'build_manifest.json')];
  try {
    const first = timeCommand(process.execPath, args, { runs: 1 });
    const manifest = JSON.parse(await readFile(path.join(hub, 'build_manifest.json'), 'utf8')) as { built_images: Record<string, { docker_sha: string }> };
    const distinct = new Set(Object.values(manifest.built_images).map((i) => i.docker_sha)).size;
    const again = timeCommand(process.execPath, args, { runs: 3 });
    return [
      {
        name: `images built for ${MODELS} models over ${DOCKERFILES} Dockerfiles`,
        value: distinct,
        unit: 'images',
        note: `${Object.keys(manifest.built_images).length} model images tagged`,
      },
      {
        name: 'no-change rebuild (wall, median of 3)',
        value: again.ms,
        unit: 'ms',
        baseline: first.ms,
        ratio: again.ms / first.ms,
        note: 'baseline: the first build in this run',
      },
    ];
  } finally {
    const ids = execFileSync('docker', ['images', '-q', '--filter', `reference=ci-bench_*`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (ids.length) execFileSync('docker', ['rmi', '-f', ...new Set(ids)], { stdio: 'ignore' });
    await rm(hub, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) printResults('Build', await benchBuild());
