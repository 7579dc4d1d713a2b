/**
 * What both executors do with a model run's output on the host side: the run log (file plus live
 * stream), the collected result files copied out of the model dir, and removing that dir.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { errorMessage } from '../../core/errors.ts';
import { parseTestDuration, toolLine } from '../../core/run/script.ts';
import type { Redactor } from '../../core/secrets/redactor.ts';

/** Keep this much of the output's end in memory to find the test_duration line (it comes near the end). */
const TAIL_BYTES = 1024 * 1024;

export interface RunLog {
  write(chunk: Buffer): void;
  /** Appends an executor message (not model output) to the log and the live stream. */
  note(message: string): void;
  /** The model's reported duration from the output so far. */
  testDuration(): number | undefined;
  close(): Promise<void>;
}

/**
 * Creates/truncates `file` (and its directory) and mirrors everything to `onOutput`. With a redactor,
 * the file and `onOutput` only ever see redacted bytes, also when a secret is split across chunks.
 */
export async function openRunLog(file: string, onOutput?: (chunk: Buffer) => void, redactor?: Redactor): Promise<RunLog> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const stream: WriteStream = createWriteStream(file, { flags: 'w' });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  let writeError: Error | undefined;
  stream.on('error', (error) => {
    writeError = error;
  });
  const redacting = redactor?.stream();
  let tail = Buffer.alloc(0);
  const emit = (chunk: Buffer): void => {
    if (chunk.length === 0) return;
    if (writeError === undefined) stream.write(chunk);
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > TAIL_BYTES) tail = tail.subarray(tail.length - TAIL_BYTES);
    onOutput?.(chunk);
  };
  let atLineStart = true;
  const write = (chunk: Buffer): void => {
    if (chunk.length > 0) atLineStart = chunk[chunk.length - 1] === 0x0a;
    emit(redacting ? redacting.push(chunk) : chunk);
  };
  return {
    write,
    // A note never continues a model's unfinished line, and stays one line: the log scan skips tool lines.
    note: (message) => write(Buffer.from(`${atLineStart ? '' : '\n'}${toolLine(message)}\n`)),
    testDuration: () => parseTestDuration(tail.toString('utf8')),
    close: () => {
      if (redacting) emit(redacting.end());
      return new Promise<void>((resolve, reject) => {
        stream.end(() => (writeError ? reject(writeError) : resolve()));
      });
    },
  };
}

/** `*` and `?` wildcards of a file name pattern as a RegExp (no path separators involved). */
function patternRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${body}$`);
}

/**
 * Copies the model dir's top-level files matching `patterns` (names or `*`/`?` globs) into `outputDir`
 * (madengine copies them to its working directory), through `redactor` when there is one: the copies
 * sit next to perf.csv and may be uploaded, so a secret a model wrote into them is masked there too.
 * Returns the copies' paths; missing files are fine.
 */
export async function collectResults(modelDir: string, patterns: readonly string[], outputDir: string, redactor?: Redactor): Promise<string[]> {
  if (patterns.length === 0) return [];
  let entries: string[];
  try {
    entries = (await fs.readdir(modelDir, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
  } catch {
    return []; // no model dir: nothing ran far enough to produce results
  }
  const matchers = patterns.map(patternRegExp);
  const selected = entries.filter((name) => matchers.some((matcher) => matcher.test(name))).sort();
  if (selected.length === 0) return [];
  await fs.mkdir(outputDir, { recursive: true });
  const copied: string[] = [];
  for (const name of selected) {
    const target = path.join(outputDir, name);
    await copyRedacted(path.join(modelDir, name), target, redactor);
    copied.push(target);
  }
  return copied;
}

/** Copies `source` to `target` chunk by chunk through the redactor's stream (constant memory: trace files can be big). */
async function copyRedacted(source: string, target: string, redactor: Redactor | undefined): Promise<void> {
  if (redactor === undefined || redactor.size === 0) return fs.copyFile(source, target);
  const redacting = redactor.stream();
  await pipeline(
    createReadStream(source),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        const clean = redacting.push(chunk);
        if (clean.length > 0) yield clean;
      }
      const rest = redacting.end();
      if (rest.length > 0) yield rest;
    },
    createWriteStream(target),
  );
}

/** Removes the model dir; returns why it could not (e.g. root-owned files from a container), else undefined. */
export async function removeModelDir(modelDir: string): Promise<string | undefined> {
  try {
    await fs.rm(modelDir, { recursive: true, force: true });
    return undefined;
  } catch (error) {
    return `could not remove the model dir ${modelDir}: ${errorMessage(error)}`;
  }
}
