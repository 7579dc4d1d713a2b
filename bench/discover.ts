/**
 * Discovery of a generated 5,000-model hub (root + 50 sub-catalogues + 5 dynamic ones) through
 * the CLI bundle, against the floor of starting Node and Python in the same run.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BenchResult, printResults, timeCommand } from './harness.ts';

const ROOT_MODELS = 2000;
const SUB_CATALOGUES = 50;
const PER_SUB = 55;
const DYNAMIC = 5;
const PER_DYNAMIC = 50;

function model(name: string, dockerfile: string, scripts: string): object {
  return {
    name,
    dockerfile,
    scripts,
    n_gpus: '1',
    owner: 'bench@example.invalid',
    training_precision: 'fp16',
    tags: ['bench', `group_${name.length % 7}`],
    args: '--batch-size 32',
  };
}

export async function makeBenchHub(): Promise<string> {
  const hub = await mkdtemp(path.join(tmpdir(), 'madengine-bench-hub-'));
  await mkdir(path.join(hub, 'docker'), { recursive: true });
  await writeFile(
    path.join(hub, 'models.json'),
    JSON.stringify(Array.from({ length: ROOT_MODELS }, (_, i) => model(`root_${i}`, 'docker/bench', 'scripts/root/run.sh'))),
  );
  for (let s = 0; s < SUB_CATALOGUES; s++) {
    const dir = path.join(hub, 'scripts', `sub${s}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'models.json'), JSON.stringify(Array.from({ length: PER_SUB }, (_, i) => model(`m${i}`, '../../docker/bench', 'run.sh'))));
  }
  for (let d = 0; d < DYNAMIC; d++) {
    const dir = path.join(hub, 'scripts', `dyn${d}`);
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'get_models_json.py'),
      [
        'from madengine.utils.discover_models import CustomModel',
        'def list_models():',
        `    return [CustomModel(name=f"gen{i}", dockerfile="docker/bench", scripts="run.sh", n_gpus="1", tags=["bench", "dynamic"]) for i in range(${PER_DYNAMIC})]`,
        '',
      ].join('\n'),
    );
  }
  return hub;
}

export async function benchDiscover(): Promise<BenchResult[]> {
  const hub = await makeBenchHub();
  const cli = path.resolve(import.meta.dirname, '../dist/cli/madengine.mjs');
  try {
    const node = process.execPath;
    const floorNode = timeCommand(node, ['-e', '']);
    const floorPython = timeCommand('python3', ['-c', 'import json, dataclasses']);
    const discover = timeCommand(node, [cli, 'discover', '--tags', 'all', '--json', '--hub', hub]);
    const models = ROOT_MODELS + SUB_CATALOGUES * PER_SUB + DYNAMIC * PER_DYNAMIC;
    const floor = floorNode.ms + floorPython.ms;
    return [
      {
        name: `discover --tags all --json, ${models} models (CLI process, wall, median of 5)`,
        value: discover.ms,
        unit: 'ms',
        baseline: floor,
        ratio: discover.ms / floor,
        note: 'baseline: starting node + python3 empty',
      },
      {
        name: 'discover peak RSS (CLI process)',
        value: discover.rssMiB,
        unit: 'MiB',
        baseline: floorNode.rssMiB,
        ratio: discover.rssMiB / floorNode.rssMiB,
        note: 'baseline: node -e ""',
      },
    ];
  } finally {
    await rm(hub, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) printResults('Discovery', await benchDiscover());
