/**
 * What the end-to-end SLURM deployment tests share: the CLI from its sources as a child process (so a
 * test can signal it), a scratch copy of the example hub with extra models, and the jobs a run left in
 * the test SLURM found by where their scripts live (every run of these tests writes under its own temp
 * dir), so a test can check that nothing was submitted and cancel exactly its own jobs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliFromSource, repoRoot } from './node.ts';
import { cancelAll, slurmCommand, type SlurmInfra } from './slurm.ts';

export const exampleHub = path.join(repoRoot, 'examples/mad');

export interface CliRun {
  child: ChildProcess;
  /** Resolves when the CLI has exited. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Everything printed so far (stdout and stderr interleaved). */
  output: () => string;
}

/** `madengine <args>` from the sources, in `cwd`, with `env` (default: the SLURM test env). */
export function startCli(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): CliRun {
  const child = spawn(process.execPath, [...cliFromSource, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let both = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk;
    both += chunk;
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk;
    both += chunk;
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, output: () => both };
}

/** Runs the CLI to its end. */
export function runCli(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): CliRun['done'] {
  return startCli(args, options).done;
}

export interface ExtraModel {
  name: string;
  /** The run script's body (bash), written to scripts/extra/<name>.sh. */
  script: string;
  tags?: string[];
}

/** A scratch copy of the example hub plus `extra` models (CPU-only, the examples' Dockerfile), each tagged with its name and `extra`. */
export async function scratchHub(root: string, extra: readonly ExtraModel[]): Promise<string> {
  const hub = path.join(root, 'hub');
  await cp(exampleHub, hub, { recursive: true });
  await mkdir(path.join(hub, 'scripts', 'extra'), { recursive: true });
  const models = JSON.parse(await readFile(path.join(hub, 'models.json'), 'utf8')) as object[];
  for (const model of extra) {
    await writeFile(path.join(hub, 'scripts', 'extra', `${model.name}.sh`), `#!/bin/bash\n${model.script}\n`, { mode: 0o755 });
    models.push({
      name: model.name,
      url: '',
      dockerfile: 'docker/dummy',
      scripts: `scripts/extra/${model.name}.sh`,
      n_gpus: '0',
      owner: 'tests@madengine.invalid',
      training_precision: '',
      tags: model.tags ?? ['extra'],
      args: '',
    });
  }
  await writeFile(path.join(hub, 'models.json'), JSON.stringify(models, null, 2));
  return hub;
}

/** A fresh working directory under the system temp dir. */
export function scratchDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `madengine-deploy-${prefix}-`));
}

export interface QueuedJob {
  id: string;
  state: string;
  comment: string;
  command: string;
}

/** Every job the controller still lists (finished ones too, for MinJobAge) whose script lies under `dir`. */
export async function jobsUnder(slurm: SlurmInfra, dir: string): Promise<QueuedJob[]> {
  const result = await slurmCommand(slurm, 'squeue', ['-h', '-t', 'all', '-o', '%i\t%T\t%k\t%o']);
  if (result.exitCode !== 0) throw new Error(`squeue failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', state = '', comment = '', command = ''] = line.split('\t');
      return { id, state, comment, command };
    })
    .filter((job) => job.command.startsWith(dir + path.sep));
}

/** The jobs of `runId` (by the comment every job of a run carries) that are not finished. */
export async function activeRunJobs(slurm: SlurmInfra, runId: string): Promise<QueuedJob[]> {
  const result = await slurmCommand(slurm, 'squeue', ['-h', '-o', '%i\t%T\t%k\t%o']);
  if (result.exitCode !== 0) throw new Error(`squeue failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', state = '', comment = '', command = ''] = line.split('\t');
      return { id, state, comment, command };
    })
    .filter((job) => job.comment === `madengine-run=${runId}`);
}

/** Test teardown: cancels every job whose script lies under `dir` (array tasks by their array id) and waits until they are gone. */
export async function cancelJobsUnder(slurm: SlurmInfra, dir: string): Promise<void> {
  const ids = [...new Set((await jobsUnder(slurm, dir)).map((job) => job.id.split('_')[0]!))];
  await cancelAll(slurm, ids);
}

/** The run ids of the runs that wrote their job dirs into `outputDir` (<output_dir>/<runId>/). */
export async function runIdsIn(outputDir: string): Promise<string[]> {
  try {
    return (await readdir(outputDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/** The text of every file under `dir` whose name ends with `suffix` (e.g. the node's *.live.log), concatenated. */
export async function filesText(dir: string, suffix: string): Promise<string> {
  let text = '';
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(suffix)) text += await readFile(path.join(entry.parentPath, entry.name), 'utf8');
  }
  return text;
}
