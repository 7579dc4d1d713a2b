/**
 * Dockerfile selection ("prefix expansion", compat §2.2): a model's `dockerfile` is a prefix;
 * every file `<prefix>.*` is a candidate, kept when its `# CONTEXT {...}` header agrees with
 * the selection context. Unlike madengine, a model left with no Dockerfile is a build error (exit 2)
 * that shows what was there, never a silent skip (differences 1, 2).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuildError, ConfigError } from '../errors.ts';
import type { Model } from '../hub/model.ts';
import { hubRelative } from '../hub/paths.ts';
import { ContextHeaderError, headerMismatches, parseContextHeader } from './dockerfile.ts';
import { pythonString } from '../util/pyliteral.ts';

/** madengine's defaults for Dockerfile filtering (compat §2.1); explicit context always wins. */
export const SELECTION_DEFAULTS: Readonly<Record<string, string>> = { gpu_vendor: 'AMD', guest_os: 'UBUNTU' };

/**
 * A context as `# CONTEXT` headers see it: any key can be a Dockerfile filter (ctx_test, MAD_GPU, ...),
 * so the keys are not typed here. An AdditionalContext is one.
 */
export type SelectionContext = Readonly<Record<string, unknown>>;

/**
 * The context Dockerfile headers are matched against: the additional context, gpu_vendor AMD and
 * guest_os UBUNTU when unset, and `ctx_test` = the trimmed `<hub>/ctx_test` file, or 'None' without
 * one (madengine reads it from its working directory, which is the hub).
 */
export async function selectionContext(context: SelectionContext, hubDir: string): Promise<Record<string, unknown>> {
  const selection: Record<string, unknown> = { ...context };
  for (const [key, value] of Object.entries(SELECTION_DEFAULTS)) {
    if (selection[key] === undefined) selection[key] = value;
  }
  if (selection.ctx_test === undefined) selection.ctx_test = await readCtxTest(hubDir);
  return selection;
}

async function readCtxTest(hubDir: string): Promise<string> {
  const file = path.join(hubDir, 'ctx_test');
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // madengine tests `[ -f ctx_test ]`: anything that is not a readable regular file means "None".
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return 'None';
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, { file, cause: error });
  }
}

export interface DockerfileCandidate {
  /** Hub-relative path with forward slashes, e.g. "docker/dummy.ubuntu.amd.Dockerfile". */
  path: string;
  /** The parsed `# CONTEXT` dict; undefined when the file has no header (it then matches every context). */
  header?: Record<string, unknown>;
  /** The header's dict literal as written. */
  headerText?: string;
  /** Whether the header agrees with the selection context. */
  matches: boolean;
  /** Header keys whose value differs from the selection context (empty when it matches). */
  mismatches: string[];
}

/** A candidate and its text, for callers that need both (the build plan reads vendor and arch from it). */
export interface ScannedDockerfile {
  candidate: DockerfileCandidate;
  text: string;
}

/** The model's Dockerfile prefix, hub-relative and normalised; rejects paths that leave the hub. */
export function dockerfilePrefix(model: Model): string {
  const raw = model.dockerfile.replaceAll('\\', '/').trim();
  if (raw === '') {
    throw new BuildError(`model ${model.name} has no 'dockerfile': set it to the Dockerfile prefix, e.g. "docker/${model.name.split('/').pop()}"`);
  }
  return hubRelative(raw, `model ${model.name}: dockerfile`);
}

/** `ls` order: plain byte order, independent of the locale. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Directory listings shared between scans: absolute dir -> its files, sorted (undefined: no such dir). */
export type ListingCache = Map<string, Promise<string[] | undefined>>;

/** Names of the files (or links to files) in `absoluteDir`, in byte order; undefined when it does not exist. */
async function listFiles(absoluteDir: string): Promise<string[] | undefined> {
  let entries;
  try {
    entries = await fs.readdir(absoluteDir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.isFile()) names.push(entry.name);
    else if (entry.isSymbolicLink()) {
      const target = await fs.stat(path.join(absoluteDir, entry.name)).catch(() => undefined);
      if (target?.isFile()) names.push(entry.name);
    }
  }
  return names.sort(byteOrder);
}

function listFilesCached(absoluteDir: string, cache: ListingCache | undefined): Promise<string[] | undefined> {
  if (!cache) return listFiles(absoluteDir);
  let listing = cache.get(absoluteDir);
  if (!listing) cache.set(absoluteDir, (listing = listFiles(absoluteDir)));
  return listing;
}

/** Read and judge every candidate of one prefix. `prefix` must come from dockerfilePrefix(). */
export async function scanDockerfiles(
  prefix: string,
  hubDir: string,
  selection: SelectionContext,
  listings?: ListingCache,
): Promise<{ dir: string; found: boolean; scanned: ScannedDockerfile[] }> {
  const dir = path.posix.dirname(prefix);
  const base = path.posix.basename(prefix);
  const files = await listFilesCached(path.join(hubDir, dir), listings);
  if (files === undefined) return { dir, found: false, scanned: [] };
  const names = files.filter((name) => name.startsWith(`${base}.`));
  const scanned = await Promise.all(
    names.map(async (name): Promise<ScannedDockerfile> => {
      const relative = dir === '.' ? name : `${dir}/${name}`;
      const text = await fs.readFile(path.join(hubDir, relative), 'utf8');
      let header;
      try {
        header = parseContextHeader(text);
      } catch (error) {
        if (!(error instanceof ContextHeaderError)) throw error;
        throw new ConfigError(`${relative}:${error.line}: ${error.message}`, {
          file: relative,
          line: error.line,
          column: error.column,
          cause: error,
        });
      }
      const mismatches = header ? headerMismatches(header.values, selection) : [];
      const candidate: DockerfileCandidate = { path: relative, matches: mismatches.length === 0, mismatches };
      if (header) {
        candidate.header = header.values;
        candidate.headerText = header.text;
      }
      return { candidate, text };
    }),
  );
  return { dir, found: true, scanned };
}

/**
 * Every candidate Dockerfile of a model, in `ls` order, with its header and whether it matches
 * `selection` (from selectionContext()). A header that is not a dict literal is a ConfigError
 * naming the file and line.
 */
export async function findDockerfiles(model: Model, hubDir: string, selection: SelectionContext): Promise<DockerfileCandidate[]> {
  const { scanned } = await scanDockerfiles(dockerfilePrefix(model), hubDir, selection);
  return scanned.map((item) => item.candidate);
}

/** The matching Dockerfiles of a scan, or the BuildError explaining why there are none. */
export function matchingOrThrow(
  model: Model,
  prefix: string,
  hubDir: string,
  selection: SelectionContext,
  scan: { dir: string; found: boolean; scanned: ScannedDockerfile[] },
): ScannedDockerfile[] {
  const matching = scan.scanned.filter((item) => item.candidate.matches);
  if (matching.length > 0) return matching;
  const searched = path.join(hubDir, scan.dir);
  if (!scan.found) {
    throw new BuildError(`model ${model.name} has no Dockerfile: no file matches ${prefix}.* (directory ${searched} does not exist)`);
  }
  if (scan.scanned.length === 0) {
    throw new BuildError(`model ${model.name} has no Dockerfile: no file matches ${prefix}.* in ${searched}`);
  }
  const candidates = scan.scanned.map(({ candidate }) => `${candidate.path} CONTEXT ${candidate.headerText ?? '{}'}`);
  throw new BuildError(
    `model ${model.name} has no Dockerfile for context ${describeContext(scan.scanned, selection)}: ` +
      `candidates: ${candidates.join('; ')} ` +
      `(set the differing keys in additional-context, or add a Dockerfile whose # CONTEXT header matches)`,
  );
}

/** "{gpu_vendor: AMD, guest_os: UBUNTU, ctx_test: None}": the context keys the candidates' headers look at. */
function describeContext(scanned: readonly ScannedDockerfile[], selection: SelectionContext): string {
  const keys = new Set(Object.keys(SELECTION_DEFAULTS));
  for (const { candidate } of scanned) for (const key of Object.keys(candidate.header ?? {})) keys.add(key);
  const parts: string[] = [];
  for (const key of keys) {
    if (selection[key] === undefined) continue;
    parts.push(`${key}: ${pythonString(selection[key]) ?? JSON.stringify(selection[key])}`);
  }
  return `{${parts.join(', ')}}`;
}
