/**
 * What madengine reads out of a Dockerfile's text: the `# CONTEXT {...}` selection header,
 * the MAD_SYSTEM_GPU_ARCHITECTURE default, and the GPU vendor (compat §2.2, §2.4).
 * Pure functions over the text, so they are tested without files.
 */
import { parsePythonLiteral, PythonLiteralError, pythonString } from '../util/pyliteral.ts';
import { isPlainObject } from '../util/object.ts';

const HEADER_MARKER = '# CONTEXT ';
/** madengine only looks at `head -n5`. */
const HEADER_LINES = 5;

export interface ContextHeader {
  /** The parsed Python dict. */
  values: Record<string, unknown>;
  /** The dict literal as written, for messages. */
  text: string;
  /** 1-based line of the header. */
  line: number;
}

/** Why a header could not be read; the caller adds the file name. */
export class ContextHeaderError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'ContextHeaderError';
  }
}

/**
 * The `# CONTEXT {...}` header within the first 5 lines, or undefined when there is none.
 * Throws ContextHeaderError when the header is not a Python dict literal, or appears twice
 * (madengine would fail to parse the two lines joined, and silently skip the file).
 */
export function parseContextHeader(dockerfileText: string): ContextHeader | undefined {
  const lines = dockerfileText.split('\n', HEADER_LINES);
  let found: ContextHeader | undefined;
  for (const [index, rawLine] of lines.entries()) {
    const line = rawLine.replace(/\r$/, '');
    const marker = line.indexOf(HEADER_MARKER);
    if (marker < 0) continue;
    const lineNumber = index + 1;
    if (found) {
      throw new ContextHeaderError(`a second '# CONTEXT' header (the first is on line ${found.line}); keep one dict per Dockerfile`, lineNumber, marker + 1);
    }
    const start = marker + HEADER_MARKER.length;
    const text = line.slice(start).trim();
    let values: unknown;
    try {
      values = parsePythonLiteral(text);
    } catch (error) {
      if (!(error instanceof PythonLiteralError)) throw error;
      const leading = line.slice(start).length - line.slice(start).trimStart().length;
      throw new ContextHeaderError(
        `'# CONTEXT ${text}' is not a Python dict literal: ${error.message}; ` + `expected e.g. # CONTEXT {'gpu_vendor': 'AMD', 'guest_os': 'UBUNTU'}`,
        lineNumber,
        start + leading + error.offset + 1,
      );
    }
    if (!isPlainObject(values)) {
      throw new ContextHeaderError(`'# CONTEXT ${text}' must be a dict, e.g. {'gpu_vendor': 'AMD', 'guest_os': 'UBUNTU'}`, lineNumber, start + 1);
    }
    found = { values: values as Record<string, unknown>, text, line: lineNumber };
  }
  return found;
}

/**
 * Header keys whose value differs from the selection context. A key the context lacks does not
 * count (madengine's Context.filter); values are compared as strings, and a non-scalar on either
 * side never matches.
 */
export function headerMismatches(header: Record<string, unknown>, selection: Record<string, unknown>): string[] {
  const mismatches: string[] = [];
  for (const [key, expected] of Object.entries(header)) {
    if (!Object.hasOwn(selection, key) || selection[key] === undefined) continue;
    const actual = pythonString(selection[key]);
    const wanted = pythonString(expected);
    if (actual === undefined || wanted === undefined || actual !== wanted) mismatches.push(key);
  }
  return mismatches;
}

const ARCH_VARIABLE = 'MAD_SYSTEM_GPU_ARCHITECTURE';

function stripQuotes(value: string): string {
  return value.replace(/^["']+|["']+$/g, '');
}

/**
 * The default the Dockerfile gives MAD_SYSTEM_GPU_ARCHITECTURE (`ARG X=gfx942`, else `ENV X=gfx942`
 * or `ENV X gfx942`), quotes stripped; undefined when it gives none or an empty one.
 * Only instructions at the start of a line count, so a commented-out ARG is ignored.
 */
export function dockerfileArchArg(dockerfileText: string): string | undefined {
  const patterns = [new RegExp(`^\\s*ARG\\s+${ARCH_VARIABLE}=(\\S+)`, 'gim'), new RegExp(`^\\s*ENV\\s+${ARCH_VARIABLE}(?:=|[ \\t]+)(\\S+)`, 'gim')];
  for (const pattern of patterns) {
    for (const match of dockerfileText.matchAll(pattern)) {
      const value = stripQuotes(match[1]!);
      if (value !== '') return value;
    }
  }
  return undefined;
}

/**
 * True when the Dockerfile declares `ARG MAD_SYSTEM_GPU_ARCHITECTURE` bare (or `=` with nothing
 * after it) and no ARG line gives it a non-empty default: the build then needs the arch as a
 * build arg, and madengine warns when none is resolved.
 */
export function hasBareArchArg(dockerfileText: string): boolean {
  const withValue = new RegExp(`^ARG\\s+${ARCH_VARIABLE}\\s*=\\s*(\\S*)`, 'i');
  const withoutValue = new RegExp(`^ARG\\s+${ARCH_VARIABLE}\\s*$`, 'i');
  let bare = false;
  for (const rawLine of dockerfileText.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const assigned = withValue.exec(line);
    if (assigned) {
      if (stripQuotes(assigned[1]!) !== '') return false;
      bare = true;
    } else if (withoutValue.test(line)) {
      bare = true;
    }
  }
  return bare;
}

export type GpuVendor = 'AMD' | 'NVIDIA' | '';

/**
 * The GPU vendor an image is for: ".amd." / ".nvidia." in the file name, else a guess from the
 * text when it has a FROM (rocm/amd before nvidia/cuda, as madengine), else "" (runs anywhere).
 */
export function inferGpuVendor(dockerfilePath: string, dockerfileText: string): GpuVendor {
  const name = dockerfilePath.toLowerCase();
  if (name.includes('.amd.') || name.endsWith('.amd')) return 'AMD';
  if (name.includes('.nvidia.') || name.endsWith('.nvidia')) return 'NVIDIA';
  if (!dockerfileText.includes('FROM')) return '';
  const text = dockerfileText.toLowerCase();
  if (text.includes('rocm') || text.includes('amd')) return 'AMD';
  if (text.includes('nvidia') || text.includes('cuda')) return 'NVIDIA';
  return '';
}

/**
 * The Dockerfile's instructions as logical lines: `\` continuations joined, comment lines dropped
 * (also inside a continuation, as Docker does), each split into its keyword (upper case) and the rest.
 */
export function dockerfileInstructions(dockerfileText: string): { keyword: string; rest: string; line: number }[] {
  const instructions: { keyword: string; rest: string; line: number }[] = [];
  let pending = '';
  let start = 0;
  for (const [index, rawLine] of dockerfileText.split('\n').entries()) {
    const line = rawLine.replace(/\r$/, '');
    if (/^\s*#/.test(line) || (pending && line.trim() === '')) continue;
    if (!pending) start = index;
    const continued = /\\\s*$/.test(line);
    pending += continued ? line.replace(/\\\s*$/, ' ') : line;
    if (continued) continue;
    const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(pending);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), rest: match[2]!.trim(), line: start });
    pending = '';
  }
  return instructions;
}

/** Every name some stage declares with `ARG NAME` or `ARG NAME=default` (an ARG line may declare several). */
export function declaredArgs(dockerfileText: string): Set<string> {
  const names = new Set<string>();
  for (const { keyword, rest } of dockerfileInstructions(dockerfileText)) {
    if (keyword !== 'ARG') continue;
    // NAME or NAME=default, where a quoted default may hold spaces.
    const declaration = /\s*([A-Za-z_][\w.-]*)(?:=(?:"(?:[^"\\]|\\.)*"|'[^']*'|\S*))?/y;
    for (let match = declaration.exec(rest); match; match = declaration.exec(rest)) names.add(match[1]!);
  }
  return names;
}

/**
 * The ids of the BuildKit secrets the Dockerfile mounts (`RUN --mount=type=secret,id=NAME`); a mount
 * without an id uses its target's file name, as BuildKit does.
 */
export function secretMountIds(dockerfileText: string): string[] {
  return [...new Set(secretMountRuns(dockerfileText).flatMap((run) => run.ids))];
}

/** Each RUN instruction that mounts secrets: its 0-based first line and the ids it mounts. */
export function secretMountRuns(dockerfileText: string): { line: number; ids: string[] }[] {
  const runs: { line: number; ids: string[] }[] = [];
  for (const { keyword, rest, line } of dockerfileInstructions(dockerfileText)) {
    if (keyword !== 'RUN') continue;
    const ids = new Set<string>();
    // Only the flags before the command count: `--mount=...` inside the shell command is text.
    for (const flag of /^(?:--\S+\s*)*/.exec(rest)![0].split(/\s+/)) {
      const mount = /^--mount=(.+)$/.exec(flag)?.[1];
      if (!mount) continue;
      const fields = new Map<string, string>();
      for (const pair of mount.replace(/^["']|["']$/g, '').split(',')) {
        const [key, ...value] = pair.split('=');
        fields.set(key!.trim().toLowerCase(), value.join('=').trim());
      }
      if (fields.get('type') !== 'secret') continue;
      const target = fields.get('target') ?? fields.get('dst') ?? fields.get('destination');
      const id = fields.get('id') || (target ? target.split('/').filter(Boolean).pop() : undefined);
      if (id) ids.add(id);
    }
    if (ids.size) runs.push({ line, ids: [...ids] });
  }
  return runs;
}
