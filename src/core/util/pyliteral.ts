/**
 * A parser for the Python literals madengine accepts where it calls `ast.literal_eval`:
 * `--additional-context "{'gpu_vendor': 'AMD'}"` and Dockerfile `# CONTEXT {...}` headers.
 * Supports dicts, lists, tuples (as arrays), str (single/double/triple quotes, escapes,
 * adjacent-literal concatenation), int/float, True/False/None. Nothing is evaluated.
 */
import { MAX_JSON_DEPTH } from './json-file.ts';

export class PythonLiteralError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'PythonLiteralError';
  }
}

/**
 * Python's str() of a scalar, so `true` is "True" and null is "None": madengine stringifies build args
 * and env values with it, and compares Dockerfile headers with the context that way. Undefined for
 * what is not a scalar.
 */
export function pythonString(value: string | number | boolean): string;
export function pythonString(value: unknown): string | undefined;
export function pythonString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null) return 'None';
  return undefined;
}

export function parsePythonLiteral(text: string): unknown {
  const parser = new Parser(text);
  const value = parser.value();
  parser.skipSpace();
  if (!parser.atEnd()) parser.fail('unexpected text after the literal');
  return value;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  a: '\x07',
  '0': '\0',
  '\n': '',
};

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(message: string): never {
    throw new PythonLiteralError(`${message} at offset ${this.pos}`, this.pos);
  }

  skipSpace(): void {
    while (!this.atEnd()) {
      const ch = this.text[this.pos]!;
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') this.pos++;
      else if (ch === '#') while (!this.atEnd() && this.text[this.pos] !== '\n') this.pos++;
      else break;
    }
  }

  value(): unknown {
    this.skipSpace();
    if (this.atEnd()) this.fail('expected a value');
    const ch = this.text[this.pos]!;
    if (ch === '{' || ch === '[' || ch === '(') return this.nested(ch);
    if (ch === "'" || ch === '"') return this.strings();
    if (/[-+0-9.]/.test(ch)) return this.number();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      this.pos += word.length;
      return word === 'True' ? true : word === 'False' ? false : null;
    }
    return this.fail(word ? `'${word}' is not a literal (only True, False, None are allowed)` : `unexpected '${ch}'`);
  }

  /** A dict, list or tuple, at most MAX_JSON_DEPTH deep (deeper would overflow the stack here and in every consumer). */
  private nested(open: '{' | '[' | '('): unknown {
    if (++this.depth > MAX_JSON_DEPTH) this.fail(`lists, tuples and dicts are nested more than ${MAX_JSON_DEPTH} levels deep`);
    const value = open === '{' ? this.dict() : open === '[' ? this.sequence('[', ']') : this.sequence('(', ')');
    this.depth--;
    return value;
  }

  private expect(ch: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== ch) this.fail(`expected '${ch}'`);
    this.pos++;
  }

  /** True (and consumes it) when the next non-space char is `ch`. */
  private take(ch: string): boolean {
    this.skipSpace();
    if (this.text[this.pos] !== ch) return false;
    this.pos++;
    return true;
  }

  private dict(): Record<string, unknown> {
    this.expect('{');
    const result: Record<string, unknown> = {};
    while (!this.take('}')) {
      const keyOffset = this.pos;
      const key = this.value();
      if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean' && key !== null) {
        this.pos = keyOffset;
        this.fail('dict keys must be strings or numbers');
      }
      this.expect(':');
      result[String(key)] = this.value();
      if (!this.take(',')) {
        this.expect('}');
        break;
      }
    }
    return result;
  }

  private sequence(open: string, close: string): unknown[] {
    this.expect(open);
    const items: unknown[] = [];
    while (!this.take(close)) {
      items.push(this.value());
      if (!this.take(',')) {
        this.expect(close);
        break;
      }
    }
    return items;
  }

  /** Python joins adjacent string literals: 'a' 'b' == 'ab'. */
  private strings(): string {
    let result = this.string();
    for (;;) {
      const save = this.pos;
      this.skipSpace();
      const ch = this.text[this.pos];
      if (ch !== "'" && ch !== '"') {
        this.pos = save;
        return result;
      }
      result += this.string();
    }
  }

  private string(): string {
    const quote = this.text[this.pos]!;
    const triple = this.text.startsWith(quote.repeat(3), this.pos);
    const delimiter = triple ? quote.repeat(3) : quote;
    this.pos += delimiter.length;
    let out = '';
    for (;;) {
      if (this.atEnd()) this.fail('unterminated string');
      if (this.text.startsWith(delimiter, this.pos)) {
        this.pos += delimiter.length;
        return out;
      }
      const ch = this.text[this.pos]!;
      if (ch === '\n' && !triple) this.fail('newline inside a string');
      if (ch !== '\\') {
        out += ch;
        this.pos++;
        continue;
      }
      const next = this.text[this.pos + 1];
      if (next === undefined) this.fail('unterminated string');
      if (next in SIMPLE_ESCAPES) {
        out += SIMPLE_ESCAPES[next];
        this.pos += 2;
      } else if (next === 'x' || next === 'u' || next === 'U') {
        const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const hex = this.text.slice(this.pos + 2, this.pos + 2 + length);
        if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(hex)) this.fail(`bad \\${next} escape`);
        out += String.fromCodePoint(parseInt(hex, 16));
        this.pos += 2 + length;
      } else {
        // Python keeps unknown escapes verbatim, backslash included.
        out += '\\' + next;
        this.pos += 2;
      }
    }
  }

  private number(): number {
    const match = /^[-+]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][-+]?\d+)?)/.exec(this.text.slice(this.pos));
    if (!match || match[0] === '-' || match[0] === '+') this.fail('bad number');
    this.pos += match[0].length;
    const literal = match[0].replaceAll('_', '');
    const value = /^[-+]?0[xX]/.test(literal) ? parseInt(literal, 16) : Number(literal);
    if (Number.isNaN(value)) this.fail(`bad number '${match[0]}'`);
    return value;
  }
}
