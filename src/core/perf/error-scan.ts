/**
 * The post-run log error scan (compat §3.8), streaming and exact for lines of any length.
 *
 * madengine: for each error pattern, the log (decoded with errors='ignore') is split with
 * str.splitlines(); a line counts when it contains the pattern literally, is not a "meta" line
 * (regex `grep -q.*<pat>|Found error pattern.*<pat>`), contains no benign literal and matches no
 * benign regex. We report the first such line in log order (with the first pattern, in list order,
 * that it contains); whether any exists is exactly madengine's has_errors.
 *
 * Every rule is a literal-containment fact about a line (the regexes reduce to literals plus a fixed
 * line prefix), so a line is judged from facts gathered while streaming over it: lines up to
 * LINE_CAP bytes are kept whole, longer ones are judged segment by segment in constant memory.
 */
import { ConfigError } from '../errors.ts';
import { Literal } from './literal.ts';

/** madengine's default error substrings (replaced by a non-empty `log_error_patterns`). */
export const DEFAULT_ERROR_PATTERNS: readonly string[] = [
  'OutOfMemoryError',
  'HIP out of memory',
  'CUDA out of memory',
  'RuntimeError:',
  'AssertionError:',
  'ValueError:',
  'SystemExit',
  'failed (exitcode:',
  'Traceback (most recent call last)',
  'FAILED',
  'Exception:',
  'ImportError:',
  'ModuleNotFoundError:',
];

/** Lines containing any of these are never errors (metrics agents, warnings, profiler chatter). */
export const BUILTIN_BENIGN_LITERALS: readonly string[] = [
  'Failed to establish connection to the metrics exporter agent',
  'RpcError: Running out of retries to initialize the metrics agent',
  'Metrics will not be exported',
  'FutureWarning',
  'Opened result file:',
  'SQLite3 generation ::',
  'rocpd_op:',
  'rpd_tracer:',
];

/**
 * madengine's benign regexes, each as "line starts with `prefix` and contains `literal` after it".
 *   ^E[0-9]{8}.*generateRocpd\.cpp   ^W[0-9]{8}.*simple_timer\.cpp   ^W[0-9]{8}.*generateRocpd\.cpp
 *   ^E[0-9]{8}.*tool\.cpp            \[rocprofv3\]
 */
export const BUILTIN_BENIGN_RULES: readonly { prefix?: RegExp; prefixLength: number; literal: string }[] = [
  { prefix: /^E[0-9]{8}/, prefixLength: 9, literal: 'generateRocpd.cpp' },
  { prefix: /^W[0-9]{8}/, prefixLength: 9, literal: 'simple_timer.cpp' },
  { prefix: /^W[0-9]{8}/, prefixLength: 9, literal: 'generateRocpd.cpp' },
  { prefix: /^E[0-9]{8}/, prefixLength: 9, literal: 'tool.cpp' },
  { prefixLength: 0, literal: '[rocprofv3]' },
];

const META_GREP = 'grep -q';
const META_FOUND = 'Found error pattern';

/** Lines longer than this (bytes) are judged in segments instead of being kept whole. */
export const LINE_CAP = 64 * 1024;
/** Reported excerpt of the error line, in bytes of context around the pattern. */
const EXCERPT_BEFORE = 200;
const EXCERPT_AFTER = 300;

/** str.splitlines() boundaries, as UTF-8: \n \r \v \f \x1c \x1d \x1e, U+0085, U+2028, U+2029. */
const SEPARATOR_BYTES = [0x0d, 0x0b, 0x0c, 0x1c, 0x1d, 0x1e];
const SEPARATOR_SEQUENCES = [Buffer.from([0xc2, 0x85]), Buffer.from([0xe2, 0x80, 0xa8]), Buffer.from([0xe2, 0x80, 0xa9])];
const LINE_BREAK_CHARS = '\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029';

export interface ErrorScanOptions {
  /** Error substrings; default DEFAULT_ERROR_PATTERNS; an empty list scans for nothing (see resolveLogScanConfig). */
  errorPatterns?: readonly string[];
  /** Extra benign literals (model then context `log_error_benign_patterns`). */
  benignPatterns?: readonly string[];
  /** Lines longer than this many bytes are judged segment by segment (default LINE_CAP; tests lower it). */
  lineCap?: number;
}

export interface ErrorHit {
  pattern: string;
  /** The line (or, for a line over 500 bytes, an excerpt around the pattern), trimmed. */
  line: string;
}

/** Compiled rule set, shared by the scanner and each line's facts. */
class Rules {
  readonly patterns: Literal[];
  readonly benign: Literal[];
  readonly benignRules: { prefix?: RegExp; prefixLength: number; literal: Literal }[];
  readonly metaGrep = new Literal(META_GREP);
  readonly metaFound = new Literal(META_FOUND);
  /** Longest literal, minus one: the overlap kept between segments of a long line. */
  readonly overlap: number;

  constructor(options: ErrorScanOptions) {
    const patterns = options.errorPatterns ?? DEFAULT_ERROR_PATTERNS;
    this.patterns = patterns.map((text) => new Literal(checkPattern(text, 'log_error_patterns')));
    this.benign = [...BUILTIN_BENIGN_LITERALS, ...(options.benignPatterns ?? [])].map((text) => new Literal(checkPattern(text, 'log_error_benign_patterns')));
    this.benignRules = BUILTIN_BENIGN_RULES.map((rule) => ({ ...rule, literal: new Literal(rule.literal) }));
    const all = [...this.patterns, ...this.benign, ...this.benignRules.map((r) => r.literal), this.metaGrep, this.metaFound];
    this.overlap = Math.max(...all.map((literal) => literal.length)) - 1;
  }
}

function checkPattern(text: string, key: string): string {
  if (typeof text !== 'string' || text.length === 0) {
    throw new ConfigError(`${key}: every entry must be a non-empty string, got ${JSON.stringify(text)}`);
  }
  if ([...text].some((char) => LINE_BREAK_CHARS.includes(char))) {
    throw new ConfigError(`${key}: ${JSON.stringify(text)} contains a line break; patterns are matched within a single log line`);
  }
  return text;
}

/**
 * Facts about one line, gathered from its bytes in order (one or many segments, no separators).
 * Positions are byte offsets from the line start; byte order equals character order.
 */
class LineFacts {
  private offset = 0;
  private carry = Buffer.alloc(0);
  private head = Buffer.alloc(0);
  private benign = false;
  private readonly ruleSeen: boolean[];
  private metaEnd = Infinity;
  private readonly lastStart: number[];
  private readonly excerpts: ({ text: Buffer; start: number; end: number } | undefined)[];

  constructor(private readonly rules: Rules) {
    this.ruleSeen = rules.benignRules.map(() => false);
    this.lastStart = rules.patterns.map(() => -1);
    this.excerpts = rules.patterns.map(() => undefined);
  }

  feed(segment: Buffer): void {
    if (segment.length === 0) return;
    if (this.head.length < 16) this.head = Buffer.concat([this.head, segment.subarray(0, 16 - this.head.length)]);
    const overlap = this.rules.overlap;
    if (this.carry.length > 0) {
      // Occurrences straddling the previous segment; duplicates are harmless (first/last/any facts).
      const window = Buffer.concat([this.carry, segment.subarray(0, Math.min(segment.length, overlap))]);
      this.scan(window, this.offset - this.carry.length);
    }
    this.scan(segment, this.offset);
    this.offset += segment.length;
    const joined = segment.length >= overlap ? segment : Buffer.concat([this.carry, segment]);
    this.carry = Buffer.from(joined.subarray(Math.max(0, joined.length - overlap)));
  }

  private scan(buf: Buffer, base: number): void {
    const rules = this.rules;
    if (!this.benign) {
      for (const literal of rules.benign) {
        if (literal.find(buf, 0) >= 0) {
          this.benign = true;
          break;
        }
      }
    }
    if (this.benign) return; // nothing else can change the verdict
    rules.benignRules.forEach((rule, r) => {
      if (this.ruleSeen[r]) return;
      const from = Math.max(0, rule.prefixLength - base);
      if (rule.literal.find(buf, from) >= 0) this.ruleSeen[r] = true;
    });
    const grep = rules.metaGrep.find(buf, 0);
    if (grep >= 0) this.metaEnd = Math.min(this.metaEnd, base + grep + META_GREP.length);
    const found = rules.metaFound.find(buf, 0);
    if (found >= 0) this.metaEnd = Math.min(this.metaEnd, base + found + META_FOUND.length);
    rules.patterns.forEach((literal, k) => {
      let at = literal.find(buf, 0);
      if (at < 0) return;
      if (this.excerpts[k] === undefined) {
        const start = Math.max(0, at - EXCERPT_BEFORE);
        const end = Math.min(buf.length, at + literal.length + EXCERPT_AFTER);
        this.excerpts[k] = { text: Buffer.from(buf.subarray(start, end)), start: base + start, end: base + end };
      }
      let last = at;
      while ((at = literal.find(buf, at + 1)) >= 0) last = at;
      this.lastStart[k] = Math.max(this.lastStart[k]!, base + last);
    });
  }

  /** The verdict once the line is complete. */
  finish(): ErrorHit | undefined {
    if (this.benign) return undefined;
    const head = this.head.toString('latin1');
    const benignByRule = this.rules.benignRules.some((rule, r) => this.ruleSeen[r] && (rule.prefix === undefined || rule.prefix.test(head)));
    if (benignByRule) return undefined;
    for (let k = 0; k < this.lastStart.length; k++) {
      // `grep -q.*P` matches iff some occurrence of P starts at/after the end of the first "grep -q".
      const last = this.lastStart[k]!;
      if (last >= 0 && last < this.metaEnd) {
        return { pattern: this.rules.patterns[k]!.text, line: this.excerpt(k) };
      }
    }
    return undefined;
  }

  private excerpt(k: number): string {
    const excerpt = this.excerpts[k]!;
    let text = excerpt.text
      .toString('utf8')
      .replace(/^\uFFFD+|\uFFFD+$/g, '')
      .trim();
    if (excerpt.start > 0) text = `…${text}`;
    if (excerpt.end < this.offset) text = `${text}…`;
    return text;
  }
}

/** Streams valid, character-aligned UTF-8 chunks; remembers the first error line. */
export class ErrorLineScanner {
  hit?: ErrorHit;
  private readonly rules: Rules;
  /** The current, unterminated line (at most LINE_CAP bytes) ... */
  private head = Buffer.alloc(0);
  /** ... or, once longer, its facts so far. */
  private long: LineFacts | null = null;
  private readonly lineCap: number;

  constructor(options: ErrorScanOptions = {}) {
    this.rules = new Rules(options);
    this.lineCap = options.lineCap ?? LINE_CAP;
  }

  get done(): boolean {
    return this.hit !== undefined;
  }

  push(chunk: Buffer): void {
    if (this.hit !== undefined || chunk.length === 0) return;
    const first = firstSeparator(chunk, 0, chunk.length);
    if (first === undefined) {
      this.extendLine(chunk);
      return;
    }
    if (this.long !== null) {
      this.long.feed(chunk.subarray(0, first.index));
      this.hit = this.long.finish();
      this.long = null;
    } else {
      this.hit = this.judge(Buffer.concat([this.head, chunk.subarray(0, first.index)]));
      this.head = Buffer.alloc(0);
    }
    if (this.hit !== undefined) return;
    const regionStart = first.index + first.length;
    const last = lastSeparator(chunk, regionStart, chunk.length);
    const regionEnd = last === undefined ? regionStart : last.index;
    if (regionEnd > regionStart) this.scanRegion(chunk, regionStart, regionEnd);
    if (this.hit !== undefined) return;
    this.extendLine(chunk.subarray(last === undefined ? regionStart : last.index + last.length));
  }

  /** End of the log: the last line needs no terminator (str.splitlines keeps it). */
  end(): void {
    if (this.hit !== undefined) return;
    if (this.long !== null) this.hit = this.long.finish();
    else if (this.head.length > 0) this.hit = this.judge(this.head);
    this.long = null;
    this.head = Buffer.alloc(0);
  }

  private extendLine(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.long !== null) {
      this.long.feed(bytes);
    } else if (this.head.length + bytes.length > this.lineCap) {
      this.long = new LineFacts(this.rules);
      this.long.feed(this.head);
      this.long.feed(bytes);
      this.head = Buffer.alloc(0);
    } else {
      this.head = Buffer.concat([this.head, bytes]); // copies: the chunk may be a reused read buffer
    }
  }

  private judge(line: Buffer): ErrorHit | undefined {
    if (!this.rules.patterns.some((literal) => literal.find(line, 0) >= 0)) return undefined;
    const facts = new LineFacts(this.rules);
    facts.feed(line);
    const hit = facts.finish();
    // A short line is reported whole; the excerpt is only for long ones.
    if (hit !== undefined && line.length <= EXCERPT_BEFORE + EXCERPT_AFTER) hit.line = line.toString('utf8').trim();
    return hit;
  }

  /** buf[start, end) holds complete lines (end is a separator). Judges only lines with a pattern hit. */
  private scanRegion(buf: Buffer, start: number, end: number): void {
    const patterns = this.rules.patterns;
    const next = patterns.map((literal) => literal.find(buf, start, end));
    let cursor = start;
    for (;;) {
      let hit = -1;
      for (const at of next) if (at >= 0 && (hit < 0 || at < hit)) hit = at;
      if (hit < 0) return;
      const before = lastSeparator(buf, cursor, hit);
      const lineStart = before === undefined ? cursor : before.index + before.length;
      const after = firstSeparator(buf, hit, end);
      const lineEnd = after === undefined ? end : after.index;
      this.hit = this.judge(buf.subarray(lineStart, lineEnd));
      if (this.hit !== undefined) return;
      cursor = Math.max(lineEnd, hit + 1);
      next.forEach((at, k) => {
        if (at >= 0 && at < cursor) next[k] = patterns[k]!.find(buf, cursor, end);
      });
    }
  }
}

interface Separator {
  index: number;
  length: number;
}

/** First line separator starting in buf[from, to). */
export function firstSeparator(buf: Buffer, from: number, to: number): Separator | undefined {
  let best: Separator | undefined;
  let end = to;
  const newline = buf.indexOf(0x0a, from);
  if (newline >= 0 && newline < end) {
    best = { index: newline, length: 1 };
    end = newline;
  }
  let view = buf.subarray(from, end);
  for (const byte of SEPARATOR_BYTES) {
    const at = view.indexOf(byte);
    if (at >= 0) {
      best = { index: from + at, length: 1 };
      view = view.subarray(0, at);
    }
  }
  for (const sequence of SEPARATOR_SEQUENCES) {
    const at = view.indexOf(sequence);
    if (at >= 0) {
      best = { index: from + at, length: sequence.length };
      view = view.subarray(0, at);
    }
  }
  return best;
}

/** Last line separator lying entirely within buf[from, to). */
export function lastSeparator(buf: Buffer, from: number, to: number): Separator | undefined {
  if (to <= from) return undefined;
  let best: Separator | undefined;
  const newline = buf.lastIndexOf(0x0a, to - 1);
  if (newline >= from) best = { index: newline, length: 1 };
  const low = best === undefined ? from : best.index + 1;
  const view = buf.subarray(low, to);
  for (const byte of SEPARATOR_BYTES) {
    const at = view.lastIndexOf(byte);
    if (at >= 0 && (best === undefined || low + at > best.index)) best = { index: low + at, length: 1 };
  }
  for (const sequence of SEPARATOR_SEQUENCES) {
    const at = view.lastIndexOf(sequence);
    if (at >= 0 && at + sequence.length <= view.length && (best === undefined || low + at > best.index)) {
      best = { index: low + at, length: sequence.length };
    }
  }
  return best;
}

/** madengine's _coerce_bool: bools, numbers (non-zero), and on/off words; anything else -> default. */
function coerceBool(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (['0', 'false', 'no', 'off', ''].includes(word)) return false;
    if (['1', 'true', 'yes', 'on'].includes(word)) return true;
  }
  return fallback;
}

export interface LogScanConfig {
  scanErrors: boolean;
  errorPatterns: string[];
  benignPatterns: string[];
}

/**
 * The scan settings for one model (compat §3.8): `log_error_pattern_scan` (default true),
 * `log_error_patterns` (a non-empty list replaces the defaults) with context keys overriding model
 * keys, and `log_error_benign_patterns` from the model then the context (both apply).
 * Unlike madengine, a value of the wrong type is an error rather than silently ignored.
 */
export function resolveLogScanConfig(model: Readonly<Record<string, unknown>>, context: Readonly<Record<string, unknown>> = {}): LogScanConfig {
  const pick = (key: string): { value: unknown; where: string } =>
    key in context ? { value: context[key], where: 'additional context' } : { value: model[key], where: 'model' };

  const scan = pick('log_error_pattern_scan');
  const patterns = pick('log_error_patterns');
  const errorPatterns =
    patterns.value === undefined || patterns.value === null
      ? [...DEFAULT_ERROR_PATTERNS]
      : stringList(patterns.value, `log_error_patterns (${patterns.where})`);
  const benignPatterns = [
    ...optionalStringList(model.log_error_benign_patterns, 'log_error_benign_patterns (model)'),
    ...optionalStringList(context.log_error_benign_patterns, 'log_error_benign_patterns (additional context)'),
  ];
  return {
    scanErrors: coerceBool(scan.value, true),
    errorPatterns: errorPatterns.length > 0 ? errorPatterns : [...DEFAULT_ERROR_PATTERNS],
    benignPatterns,
  };
}

function optionalStringList(value: unknown, key: string): string[] {
  return value === undefined || value === null ? [] : stringList(value, key);
}

function stringList(value: unknown, key: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0)) {
    throw new ConfigError(`${key} must be a list of non-empty strings, e.g. ["CUDA out of memory"]; got ${JSON.stringify(value)}`);
  }
  for (const item of value as string[]) checkPattern(item, key);
  return value as string[];
}
