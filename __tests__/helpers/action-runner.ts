/**
 * Runs a committed action bundle the way a GitHub runner does: Node 24, INPUT_* env, the
 * GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV / GITHUB_STEP_SUMMARY files and an event payload;
 * `post` runs the same bundle again with the saved state as STATE_* env. The bundle and the input
 * defaults come from the action's action.yml ('madengine' is the root one-step action), as on a runner.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { fromSource, node24, repoRoot } from './node.ts';

export interface ActionRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  /** `::error ...::message` and `::warning ...::` commands printed. */
  annotations: string[];
  runnerDir: string;
}

/** Parse the `name<<DELIM\nvalue\nDELIM` (and `name=value`) format of the runner's command files. */
export function parseCommandFile(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
      result[name!] = value.join('\n');
    } else if (line.includes('=')) {
      result[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return result;
}

export interface RunActionOptions {
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  /** Saved state from `main` (makes this the post step). */
  state?: Record<string, string>;
  workspace?: string;
  event?: object;
  runnerDir?: string;
  /** Kill the action after this many ms (a safety net for tests that cancel). */
  killAfterMs?: number;
  /** Send SIGINT (what a runner sends when a job is cancelled) once stdout matches this. */
  cancelWhen?: RegExp;
  /** The signal `cancelWhen` sends instead of SIGINT (SIGKILL: a main step killed without a chance to clean up). */
  cancelSignal?: NodeJS.Signals;
  onStdout?: (text: string) => void;
  /** Run the action's TypeScript entry (src/actions/<bundle dir>/index.ts) instead of its committed bundle. */
  fromSource?: boolean;
}

interface ActionMetadata {
  inputs?: Record<string, { default?: string }>;
  runs: { main: string; post?: string };
}

/** The action.yml of `action` ('madengine' for the root one), its bundle and its input defaults. */
export async function actionMetadata(action: string): Promise<{ file: string; bundle: string; defaults: Record<string, string> }> {
  const file = action === 'madengine' ? path.join(repoRoot, 'action.yml') : path.join(repoRoot, 'actions', action, 'action.yml');
  const metadata = parseYaml(await readFile(file, 'utf8')) as ActionMetadata;
  const defaults = Object.fromEntries(
    Object.entries(metadata.inputs ?? {}).flatMap(([name, input]) => (input.default === undefined ? [] : [[name, String(input.default)]])),
  );
  return { file, bundle: path.resolve(path.dirname(file), metadata.runs.main), defaults };
}

export async function runActionBundle(action: string, options: RunActionOptions = {}): Promise<ActionRun> {
  const { bundle, defaults } = await actionMetadata(action);
  const runnerDir = options.runnerDir ?? (await mkdtemp(path.join(tmpdir(), `madengine-runner-${action}-`)));
  const files = {
    GITHUB_OUTPUT: path.join(runnerDir, 'output'),
    GITHUB_STATE: path.join(runnerDir, 'state'),
    GITHUB_ENV: path.join(runnerDir, 'env'),
    GITHUB_STEP_SUMMARY: path.join(runnerDir, 'summary.md'),
    GITHUB_EVENT_PATH: path.join(runnerDir, 'event.json'),
  };
  for (const file of Object.values(files)) await writeFile(file, '');
  await writeFile(files.GITHUB_EVENT_PATH, JSON.stringify(options.event ?? { repository: { full_name: 'octo/hub' } }));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: options.workspace ?? runnerDir,
    GITHUB_REPOSITORY: 'octo/hub',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'bench',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_EVENT_NAME: 'pull_request',
    RUNNER_TEMP: runnerDir,
    ...files,
    ...Object.fromEntries(Object.entries({ ...defaults, ...options.inputs }).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value])),
    ...Object.fromEntries(Object.entries(options.state ?? {}).map(([name, value]) => [`STATE_${name}`, value])),
    ...options.env,
  };
  const entry = path.join(repoRoot, 'src/actions', path.basename(path.dirname(bundle)), 'index.ts');
  const child = spawn(node24, options.fromSource ? [...fromSource, entry] : [bundle], { env, cwd: options.workspace ?? runnerDir });
  let stdout = '';
  let stderr = '';
  let cancelled = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    options.onStdout?.(chunk.toString());
    if (options.cancelWhen && !cancelled && options.cancelWhen.test(stdout)) {
      cancelled = true;
      setTimeout(() => child.kill(options.cancelSignal ?? 'SIGINT'), 500);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = options.killAfterMs ? setTimeout(() => child.kill('SIGTERM'), options.killAfterMs) : undefined;
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (timer) clearTimeout(timer);
  return {
    exitCode,
    stdout,
    stderr,
    outputs: parseCommandFile(await readFile(files.GITHUB_OUTPUT, 'utf8')),
    state: parseCommandFile(await readFile(files.GITHUB_STATE, 'utf8')),
    summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
    annotations: stdout.split('\n').filter((line) => /^::(error|warning|notice)/.test(line)),
    runnerDir,
  };
}
