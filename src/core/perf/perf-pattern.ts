/**
 * madengine's performance-line regex (compat §3.7) as streaming state machines over bytes:
 *
 *   performance:\s+([+\-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+\-]?[0-9]+)?)(?:,?\s*\/[a-zA-Z]+\s*,?|,)?\s+([^\s,]+)
 *   fallback: train_samples_per_second['"\s:=]+([0-9][0-9.eE+-]*)   (metric "samples_per_second")
 *
 * Why not a RegExp over a window: `\s+` and the captures are unbounded (a match may span a 1 GB run
 * of blanks), and a window would either cost memory or miss matches. The machines below reproduce
 * the backtracking regex's first match exactly (derivation in the comments of PerformanceMatcher)
 * while holding only the captures. `\s` is Python's (see whitespaceLength).
 *
 * Input chunks must be valid UTF-8 cut at character boundaries (Utf8Cleaner output).
 */
import { Literal } from './literal.ts';
import { charLength, whitespaceLength } from './utf8.ts';

/** Longest capture kept (bytes); a longer number/metric is truncated (madengine keeps it whole). */
export const MAX_CAPTURE_BYTES = 4096;

export interface PerformanceMatch {
  performance: string;
  metric: string;
}

const EMPTY = Buffer.alloc(0);
const COMMA = 0x2c;
const SLASH = 0x2f;
const DOT = 0x2e;
const PLUS = 0x2b;
const MINUS = 0x2d;

const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
const isLetter = (b: number): boolean => (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a;
const isExp = (b: number): boolean => b === 0x45 || b === 0x65;

/**
 * Finds a literal in a stream, including occurrences straddling chunks. `find(chunk, from)` looks for
 * the first occurrence starting at or after stream position (chunk start + from - (length - 1)):
 * the caller's machine has consumed everything before `from`, and no occurrence can end inside
 * what it consumed (the literals end in ':' / 'd', which the machines never consume).
 */
class StreamLiteral {
  private readonly literal: Literal;
  /** The last (length - 1) bytes of the stream before the current chunk. */
  private previous: Buffer = EMPTY;

  constructor(text: string) {
    this.literal = new Literal(text);
  }

  /** Index just past the occurrence in `chunk`, or -1. */
  find(chunk: Buffer, from: number): number {
    const length = this.literal.length;
    const previous = this.previous;
    const startInWindow = previous.length + from - (length - 1);
    if (startInWindow < previous.length && previous.length > 0) {
      const window = Buffer.concat([previous, chunk.subarray(0, Math.min(chunk.length, length - 1))]);
      const at = this.literal.find(window, Math.max(0, startInWindow));
      if (at >= 0) return at - previous.length + length;
    }
    const at = this.literal.find(chunk, Math.max(0, from - (length - 1)));
    return at < 0 ? -1 : at + length;
  }

  /** Called once per chunk, after all searching in it. */
  endChunk(chunk: Buffer): void {
    const keep = this.literal.length - 1;
    if (chunk.length >= keep) this.previous = Buffer.from(chunk.subarray(chunk.length - keep));
    else this.previous = Buffer.from(Buffer.concat([this.previous, chunk]).subarray(-keep));
  }
}

/** A capture spanning chunks: copies bounded slices as chunks go by. */
class Capture {
  private parts: Buffer[] = [];
  private size = 0;
  /** Start of the not-yet-copied part in the current chunk. */
  start = 0;

  reset(start: number): void {
    this.parts = [];
    this.size = 0;
    this.start = start;
  }

  /** Copies chunk[start, end) (bounded) and continues from `end`. */
  take(chunk: Buffer, end: number): void {
    let stop = Math.min(end, this.start + (MAX_CAPTURE_BYTES - this.size));
    while (stop > this.start && stop < chunk.length && (chunk[stop]! & 0xc0) === 0x80) stop--;
    if (stop > this.start) {
      this.parts.push(Buffer.from(chunk.subarray(this.start, stop)));
      this.size += stop - this.start;
    }
    this.start = end;
  }

  get full(): boolean {
    return this.size >= MAX_CAPTURE_BYTES;
  }

  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}

/** Result of running a machine over (part of) a chunk. */
type Outcome = 'more' | 'match' | 'fail';

abstract class StreamMatcher {
  result?: PerformanceMatch;
  protected searching = true;
  /** Position of the deciding byte after a 'fail' (where the search resumes). */
  protected failedAt = 0;
  protected active: Capture | null = null;
  private readonly search: StreamLiteral;

  constructor(literal: string) {
    this.search = new StreamLiteral(literal);
  }

  get done(): boolean {
    return this.result !== undefined;
  }

  push(chunk: Buffer): void {
    let i = 0;
    while (this.result === undefined) {
      if (this.searching) {
        const end = this.search.find(chunk, i);
        if (end < 0) break;
        this.searching = false;
        this.begin();
        i = end;
      }
      const outcome = this.run(chunk, i);
      if (outcome === 'match') break;
      if (outcome === 'fail') {
        this.searching = true;
        this.active = null;
        i = this.failedAt;
        continue;
      }
      // Chunk exhausted mid-match: keep what the open capture saw.
      if (this.active !== null) {
        this.active.take(chunk, chunk.length);
        this.active.start = 0;
      }
      break;
    }
    this.search.endChunk(chunk);
  }

  /** End of the log: the machine decides with "no more input". */
  end(): void {
    if (this.result === undefined && !this.searching) this.finish();
  }

  protected fail(at: number): Outcome {
    this.failedAt = at;
    return 'fail';
  }

  protected abstract begin(): void;
  protected abstract run(chunk: Buffer, i: number): Outcome;
  protected abstract finish(): void;
}

// PerformanceMatcher states.
const WS0 = 0;
const NUM_START = 1;
const NUM_SIGN = 2;
const NUM_INT = 3;
const NUM_DOT = 4;
const NUM_FRAC = 5;
const EXP_E = 6;
const EXP_SIGN = 7;
const EXP_DIG = 8;
const POST = 9;
const WS1 = 10;
const LETTERS = 11;
const WS2 = 12;
const WS3 = 13;
const METRIC = 14;

/**
 * Derivation (backtracking semantics of the regex, after "performance:"):
 * - `\s+` then group 1: group 1 cannot start with whitespace, so `\s+` takes the whole blank run.
 * - group 1 is taken greedily and never backtracks usefully: whatever follows a shorter number is
 *   a number character, and the rest of the pattern can only start with ',', '/' or whitespace.
 *   An incomplete exponent ("5e", "5e+") leaves 'e' next, which fails the rest.
 * - Then, at b (after the number), alternatives in priority order, each ending `\s+([^\s,]+)`:
 *   A: `,?\s*\/[a-zA-Z]+\s*,?` — needs [','] blanks '/' letters+, then either blanks+ X, or
 *      blanks* ',' blanks+ X (X = a char that is neither blank nor ','); group 2 starts at X.
 *   B (',' at b) / C (blank at b): blanks+ then X; group 2 starts at X.
 *   If A fails after '/', B/C can still match with group 2 starting at that '/' (e.g.
 *   "performance: 3 /s" -> metric "/s"): this is the "fallback" below, valid when blanks preceded
 *   the '/'. Without a '/', B and C reduce to: blanks+ then X.
 * - Group 2 is `[^\s,]+`, greedy, ending at a blank, ',' or the end of the log.
 */
export class PerformanceMatcher extends StreamMatcher {
  private state = WS0;
  private blanks = 0;
  private letters = 0;
  private fallbackOk = false;
  private readonly number = new Capture();
  private readonly slashRun = new Capture();
  private metric = new Capture();

  constructor() {
    super('performance:');
  }

  protected begin(): void {
    this.state = WS0;
    this.blanks = 0;
  }

  protected run(buf: Buffer, start: number): Outcome {
    let i = start;
    const n = buf.length;
    while (i < n) {
      const b = buf[i]!;
      switch (this.state) {
        case WS0: {
          const w = whitespaceLength(buf, i);
          if (w > 0) {
            this.blanks++;
            i += w;
            break;
          }
          if (this.blanks === 0) return this.fail(i);
          this.number.reset(i);
          this.active = this.number;
          this.state = NUM_START;
          break;
        }
        case NUM_START:
        case NUM_SIGN:
          if (this.state === NUM_START && (b === PLUS || b === MINUS)) this.state = NUM_SIGN;
          else if (isDigit(b)) this.state = NUM_INT;
          else if (b === DOT) this.state = NUM_DOT;
          else return this.fail(i);
          i++;
          break;
        case NUM_INT:
        case NUM_FRAC:
          if (isDigit(b)) i++;
          else if (b === DOT && this.state === NUM_INT) {
            this.state = NUM_FRAC;
            i++;
          } else if (isExp(b)) {
            this.state = EXP_E;
            i++;
          } else this.endNumber(buf, i);
          break;
        case NUM_DOT:
          if (!isDigit(b)) return this.fail(i);
          this.state = NUM_FRAC;
          i++;
          break;
        case EXP_E:
        case EXP_SIGN:
          if (isDigit(b)) this.state = EXP_DIG;
          else if (this.state === EXP_E && (b === PLUS || b === MINUS)) this.state = EXP_SIGN;
          else return this.fail(i);
          i++;
          break;
        case EXP_DIG:
          if (isDigit(b)) i++;
          else this.endNumber(buf, i);
          break;
        case POST:
          // An optional ',' right after the number (alternatives A and B both allow it).
          if (b === COMMA) i++;
          this.blanks = 0;
          this.state = WS1;
          break;
        case WS1: {
          const w = whitespaceLength(buf, i);
          if (w > 0) {
            this.blanks++;
            i += w;
            break;
          }
          if (b === SLASH) {
            this.fallbackOk = this.blanks > 0;
            this.letters = 0;
            this.slashRun.reset(i);
            this.active = this.slashRun;
            this.state = LETTERS;
            i++;
            break;
          }
          if (b === COMMA || this.blanks === 0) return this.fail(i);
          this.startMetric(i);
          break;
        }
        case LETTERS:
          if (isLetter(b)) {
            this.letters++;
            i++;
            break;
          }
          if (this.letters > 0 && whitespaceLength(buf, i) > 0) {
            this.closeSlashRun(buf, i);
            this.state = WS2;
            break;
          }
          if (this.letters > 0 && b === COMMA) {
            this.closeSlashRun(buf, i);
            this.blanks = 0;
            this.state = WS3;
            i++;
            break;
          }
          // A failed right after '/' + letters; the fallback's group 2 simply continues the run.
          if (!this.fallbackOk) return this.fail(i);
          this.metric = this.slashRun;
          this.state = METRIC;
          break;
        case WS2: {
          const w = whitespaceLength(buf, i);
          if (w > 0) {
            i += w;
            break;
          }
          if (b === COMMA) {
            this.blanks = 0;
            this.state = WS3;
            i++;
            break;
          }
          this.startMetric(i);
          break;
        }
        case WS3: {
          const w = whitespaceLength(buf, i);
          if (w > 0) {
            this.blanks++;
            i += w;
            break;
          }
          if (this.blanks > 0 && b !== COMMA) {
            this.startMetric(i);
            break;
          }
          if (!this.fallbackOk) return this.fail(i);
          return this.matchWith(this.slashRun);
        }
        case METRIC:
          if (b !== COMMA && whitespaceLength(buf, i) === 0 && !this.metric.full) {
            i += charLength(b);
            break;
          }
          this.metric.take(buf, i);
          return this.matchWith(this.metric);
      }
    }
    return 'more';
  }

  protected finish(): void {
    switch (this.state) {
      case LETTERS:
      case WS2:
      case WS3:
        if (this.fallbackOk) this.matchWith(this.slashRun);
        break;
      case METRIC:
        this.matchWith(this.metric);
        break;
      default:
        break; // the number, or the blanks before group 2, ran into the end of the log
    }
  }

  private endNumber(buf: Buffer, i: number): void {
    this.number.take(buf, i);
    this.active = null;
    this.state = POST;
  }

  private closeSlashRun(buf: Buffer, i: number): void {
    this.slashRun.take(buf, i);
    this.active = null;
  }

  private startMetric(i: number): void {
    this.metric = new Capture();
    this.metric.reset(i);
    this.active = this.metric;
    this.state = METRIC;
  }

  private matchWith(metric: Capture): Outcome {
    this.result = { performance: this.number.text(), metric: metric.text() };
    this.active = null;
    return 'match';
  }
}

const HF_SEPARATORS = 0;
const HF_NUMBER = 1;

/** The HuggingFace fallback: `train_samples_per_second['"\s:=]+([0-9][0-9.eE+-]*)`. */
export class HuggingFaceMatcher extends StreamMatcher {
  private state = HF_SEPARATORS;
  private separators = 0;
  private readonly number = new Capture();

  constructor() {
    super('train_samples_per_second');
  }

  protected begin(): void {
    this.state = HF_SEPARATORS;
    this.separators = 0;
  }

  protected run(buf: Buffer, start: number): Outcome {
    let i = start;
    const n = buf.length;
    while (i < n) {
      const b = buf[i]!;
      if (this.state === HF_SEPARATORS) {
        const w = b === 0x27 || b === 0x22 || b === 0x3a || b === 0x3d ? 1 : whitespaceLength(buf, i);
        if (w > 0) {
          this.separators++;
          i += w;
          continue;
        }
        if (this.separators === 0 || !isDigit(b)) return this.fail(i);
        this.number.reset(i);
        this.active = this.number;
        this.state = HF_NUMBER;
        i++;
        continue;
      }
      if (isDigit(b) || b === DOT || isExp(b) || b === PLUS || b === MINUS) {
        i++;
        continue;
      }
      this.number.take(buf, i);
      return this.matched();
    }
    return 'more';
  }

  protected finish(): void {
    if (this.state === HF_NUMBER) this.matched();
  }

  private matched(): Outcome {
    this.result = { performance: this.number.text(), metric: 'samples_per_second' };
    this.active = null;
    return 'match';
  }
}
