/**
 * Runs a hub's `scripts/<dir>/get_models_json.py` files (madengine's dynamic catalogues).
 *
 * Those files `from madengine.utils.discover_models import CustomModel` and expect to run inside
 * madengine's Python process. We provide a stand-in package on PYTHONPATH and run every file in
 * ONE python3 process (start-up cost paid once), which reports one JSON line per file on a
 * private stdout and a progress marker per file on stderr, so a hang or crash names its file.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DiscoveryError } from '../errors.ts';
import { runProcess } from '../exec/process.ts';
import type { ProcessOptions, ProcessResult } from '../exec/process.ts';
// The Python, as text (esbuild's text loader in the bundles, scripts/text-loader.mjs from source):
// the stand-in `madengine.utils.discover_models` module (CustomModel with madengine's fields and
// defaults), and the runner that loads each file given on its command line and reports per-file JSON lines.
import DISCOVER_MODELS_SHIM from './python/discover_models.py';
import DISCOVER_RUNNER from './python/discover_runner.py';

/** Prefix of the per-file progress line the runner writes to stderr (its MARKER spells the same text). */
export const PROGRESS_MARKER = '\u001emadengine-discover: loading ';

/** What one get_models_json.py produced: raw model dicts (validated by the caller) or an error. */
export type DynamicResult = { file: string; models: Record<string, unknown>[] } | { file: string; error: string; line: number | null };

export interface RunDynamicOptions {
  /** Python interpreter. Default `python3`. */
  python?: string;
  /** For the whole batch. Default 60 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** How user paths are shown in messages (defaults to the hub-relative path). */
  display?: (hubRelative: string) => string;
  /** Injected for tests; defaults to the real process runner. */
  run?: (command: string, args: readonly string[], options: ProcessOptions) => Promise<ProcessResult>;
}

export const DEFAULT_DISCOVERY_TIMEOUT_MS = 60_000;

/**
 * Run every `files` entry (hub-relative paths of get_models_json.py) in one python3 process with
 * cwd = hub root (as madengine does). Per-file failures come back as results; a missing interpreter,
 * a timeout or a crash of the whole process is thrown as a DiscoveryError naming the file at fault.
 */
export async function runDynamicCatalogues(hubRoot: string, files: readonly string[], options: RunDynamicOptions = {}): Promise<DynamicResult[]> {
  if (files.length === 0) return [];
  const python = options.python ?? 'python3';
  const timeoutMs = options.timeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS;
  const display = options.display ?? ((file: string) => file);
  const run = options.run ?? runProcess;

  const shimDir = await writeShim();
  let current: string | undefined; // the file the runner announced last
  let pending = '';
  const onStderr = (chunk: Buffer): void => {
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith(PROGRESS_MARKER)) current = line.slice(PROGRESS_MARKER.length);
  };

  let result: ProcessResult;
  try {
    result = await run(python, [path.join(shimDir, 'madengine_discover_runner.py'), ...files], {
      cwd: hubRoot,
      env: {
        ...process.env,
        PYTHONPATH: [shimDir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONIOENCODING: 'utf-8',
        PYTHONUNBUFFERED: '1',
      },
      timeoutMs,
      signal: options.signal,
      onStderr,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `'${python}' was not found` : `'${python}' could not be started (${String(error)})`;
    throw new DiscoveryError(
      `${display(files[0]!)}: ${why}; Python 3 is needed to run the hub's dynamic catalogues ` +
        `(${files.map(display).join(', ')}). Install python3 or point the python option at an interpreter.`,
      { file: display(files[0]!), cause: error },
    );
  } finally {
    await rm(shimDir, { recursive: true, force: true });
  }
  if (pending.startsWith(PROGRESS_MARKER)) current = pending.slice(PROGRESS_MARKER.length);

  const results = parseResults(result.stdout);
  const done = new Set(results.map((entry) => entry.file));
  const stuck = current !== undefined && !done.has(current) ? current : files.find((file) => !done.has(file));

  if (result.cancelled) {
    options.signal?.throwIfAborted();
    throw new DiscoveryError(`discovery was cancelled while running ${display(stuck ?? files[0]!)}`);
  }
  if (result.timedOut) {
    const file = stuck ?? files[0]!;
    throw new DiscoveryError(
      `${display(file)}: did not finish within ${formatSeconds(timeoutMs)} (the discovery timeout); ` +
        `check list_models() for a hang or raise the timeout.${outputTail(result.stderr)}`,
      { file: display(file) },
    );
  }
  if (stuck !== undefined) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with status ${String(result.exitCode)}`;
    const where =
      current === undefined ? `before loading any dynamic catalogue (is '${python}' Python 3?)` : 'while loading this file, before it reported its models';
    throw new DiscoveryError(`${display(stuck)}: ${python} ${how} ${where}.${outputTail(result.stderr)}`, {
      file: display(stuck),
    });
  }
  return results;
}

async function writeShim(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'madengine-shim-'));
  const utils = path.join(dir, 'madengine', 'utils');
  await mkdir(utils, { recursive: true });
  await Promise.all([
    writeFile(path.join(dir, 'madengine', '__init__.py'), ''),
    writeFile(path.join(utils, '__init__.py'), ''),
    writeFile(path.join(utils, 'discover_models.py'), DISCOVER_MODELS_SHIM),
    writeFile(path.join(dir, 'madengine_discover_runner.py'), DISCOVER_RUNNER),
  ]);
  return dir;
}

function parseResults(stdout: string): DynamicResult[] {
  const results: DynamicResult[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    try {
      results.push(JSON.parse(line) as DynamicResult);
    } catch {
      // A line cut short by a crash: that file is reported as unfinished by the caller.
    }
  }
  return results;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** The last lines the scripts printed, minus our own progress markers, to help explain a hang or crash. */
function outputTail(stderr: string): string {
  const lines = stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith(PROGRESS_MARKER))
    .slice(-10);
  return lines.length === 0 ? '' : `\nLast output:\n${lines.map((line) => `  ${line}`).join('\n')}`;
}
