/**
 * Redaction: the one mechanism every output path uses to keep secret values out of logs, the live
 * stream, perf.csv, summaries and error messages. Which values are secrets is decided in selection.ts.
 */

export const MASK = '***';

/** `text` with every occurrence of every secret replaced by `***` (longest first, so overlapping secrets vanish whole). */
export function redact(text: string, secrets: Iterable<string>, mask = MASK): string {
  return new Redactor(secrets, mask).redact(text);
}

/** Something that can redact text: a Redactor, or a stand-in in tests. */
export interface TextRedactor {
  redact(text: string): string;
}

/** A growing set of secret values and the redaction of text, Buffers and byte streams by them. */
export class Redactor implements TextRedactor {
  readonly #mask: string;
  readonly #maskBytes: Buffer;
  readonly #values = new Set<string>();
  /** Longest first; rebuilt when values are added. */
  #ordered: string[] = [];
  #orderedBytes: Buffer[] = [];

  constructor(values: Iterable<string> = [], mask = MASK) {
    this.#mask = mask;
    this.#maskBytes = Buffer.from(mask);
    this.add(values);
  }

  readonly #listeners: ((values: readonly string[]) => void)[] = [];

  /** Calls `listener` with the values each later add() brings (e.g. to register them with the runner's log masking). */
  onAdd(listener: (values: readonly string[]) => void): this {
    this.#listeners.push(listener);
    return this;
  }

  /** Adds secret values (empty strings are ignored: they would match everywhere). */
  add(values: Iterable<string>): this {
    const added: string[] = [];
    for (const value of values) {
      if (value === '' || this.#values.has(value)) continue;
      this.#values.add(value);
      added.push(value);
    }
    if (added.length > 0) for (const listener of this.#listeners) listener(added);
    this.#ordered = [...this.#values].sort((a, b) => b.length - a.length);
    this.#orderedBytes = this.#ordered.map((value) => Buffer.from(value, 'utf8'));
    return this;
  }

  get size(): number {
    return this.#values.size;
  }

  redact(text: string): string {
    let result = text;
    for (const secret of this.#ordered) if (result.includes(secret)) result = result.split(secret).join(this.#mask);
    return result;
  }

  /** Byte-level redaction: bytes that are not UTF-8 stay as they are (the log scanner reads the raw log). */
  redactBytes(bytes: Buffer): Buffer {
    let result = bytes;
    for (const secret of this.#orderedBytes) {
      let at = result.indexOf(secret);
      if (at === -1) continue;
      const parts: Buffer[] = [];
      let from = 0;
      while (at !== -1) {
        parts.push(result.subarray(from, at), this.#maskBytes);
        from = at + secret.length;
        at = result.indexOf(secret, from);
      }
      parts.push(result.subarray(from));
      result = Buffer.concat(parts);
    }
    return result;
  }

  /** Redacts an error's message and stack in place (its class and exit code stay); non-Errors become redacted strings. */
  redactError(error: unknown): unknown {
    if (!(error instanceof Error)) return typeof error === 'string' ? this.redact(error) : error;
    error.message = this.redact(error.message);
    if (error.stack) error.stack = this.redact(error.stack);
    return error;
  }

  /** A redacting stream for output that arrives in chunks; it reads the values current at each push. */
  stream(): RedactingStream {
    return new RedactingStream(this, () => this.#orderedBytes);
  }
}

/**
 * Redacts a byte stream whose chunks may cut a secret anywhere. push() returns what is safe to emit
 * now and holds back only the shortest tail that could still grow into a secret (never on a timer:
 * the held bytes come out with the next chunk or at end()). Works on bytes, so a multi-byte UTF-8
 * character split across chunks is no problem.
 */
export class RedactingStream {
  readonly #redactor: Redactor;
  readonly #secrets: () => readonly Buffer[];
  #pending: Buffer = Buffer.alloc(0);

  constructor(redactor: Redactor, secrets: () => readonly Buffer[]) {
    this.#redactor = redactor;
    this.#secrets = secrets;
  }

  push(chunk: Buffer | string): Buffer {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const text = this.#pending.length === 0 ? bytes : Buffer.concat([this.#pending, bytes]);
    const cut = holdPoint(text, this.#secrets());
    this.#pending = Buffer.from(text.subarray(cut));
    return this.#redactor.redactBytes(text.subarray(0, cut));
  }

  /** Everything still held back, redacted; the stream is empty afterwards. */
  end(): Buffer {
    const rest = this.#pending;
    this.#pending = Buffer.alloc(0);
    return this.#redactor.redactBytes(rest);
  }
}

/**
 * Where to cut `text` so the part before the cut can be redacted on its own: before the earliest
 * tail that is a proper prefix of a secret, and never inside a whole occurrence of a secret.
 */
function holdPoint(text: Buffer, secrets: readonly Buffer[]): number {
  let cut = text.length;
  for (const secret of secrets) {
    for (let k = Math.min(secret.length - 1, text.length); k > 0; k--) {
      if (text.length - k >= cut) break; // a shorter tail cannot cut earlier
      if (text.compare(secret, 0, k, text.length - k) === 0) {
        cut = text.length - k;
        break;
      }
    }
  }
  // An occurrence across the cut would be split between two redactions: cut before it instead.
  for (let moved = true; moved;) {
    moved = false;
    for (const secret of secrets) {
      const at = text.indexOf(secret, Math.max(0, cut - secret.length + 1));
      if (at !== -1 && at < cut && at + secret.length > cut) {
        cut = at;
        moved = true;
      }
    }
  }
  return cut;
}

/** Runs `fn`; an error it throws leaves with its message and stack redacted (for errors that reach stderr or annotations). */
export async function withRedactedErrors<T>(redactor: Redactor, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw redactor.redactError(error);
  }
}
