/**
 * JSON parsing (catalogues, manifests, credential and config files) with errors that point at the file, line and column at fault.
 * JSON.parse is used for speed; only when it fails does a small scanner re-read the text to
 * find where and why (Node's own messages carry no position for many errors).
 */
import { readFile } from 'node:fs/promises';
import type { MadError } from '../errors.ts';
import { ConfigError, DiscoveryError, errorMessage } from '../errors.ts';

/** 1-based line and column of a character offset in `text`. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  const clamped = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < clamped; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: clamped - lineStart + 1 };
}

/**
 * Parse `text` as JSON; on a syntax error throw a DiscoveryError "<file>:<line>:<column>: invalid JSON: ...".
 * `displayPath` is the path shown to the user (and put on the error for annotations).
 */
export function parseJsonText(text: string, displayPath: string, ErrorType: typeof MadError = DiscoveryError): unknown {
  // A UTF-8 byte order mark is invisible in editors; accept it rather than report a baffling error at 1:1.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const tooDeep = jsonNestingFault(body);
  if (tooDeep !== undefined) {
    const { line, column } = lineColumnAt(body, tooDeep.offset);
    throw new ErrorType(`${displayPath}:${line}:${column}: invalid JSON: ${tooDeep.reason}`, { file: displayPath, line, column });
  }
  try {
    return JSON.parse(body);
  } catch (error) {
    const fault = findJsonSyntaxError(body) ?? { offset: body.length, reason: errorMessage(error) };
    const { line, column } = lineColumnAt(body, fault.offset);
    throw new ErrorType(`${displayPath}:${line}:${column}: invalid JSON: ${fault.reason}`, {
      file: displayPath,
      line,
      column,
      cause: error,
    });
  }
}

export interface JsonSyntaxFault {
  offset: number;
  reason: string;
}

/**
 * Deepest nesting of lists and objects accepted. Real catalogues, manifests and contexts nest a few
 * levels; anything far deeper would only overflow the stack of the code that walks the value
 * (validation, copies, messages) and crash with "Maximum call stack size exceeded".
 */
export const MAX_JSON_DEPTH = 256;

/** Where `text` first nests deeper than MAX_JSON_DEPTH (brackets inside strings do not count), else undefined. Iterative. */
export function jsonNestingFault(text: string): JsonSyntaxFault | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
    } else if (code === 0x5b /* [ */ || code === 0x7b /* { */) {
      if (++depth > MAX_JSON_DEPTH) return { offset: i, reason: `lists and objects are nested more than ${MAX_JSON_DEPTH} levels deep` };
    } else if (code === 0x5d /* ] */ || code === 0x7d /* } */) depth--;
  }
  return undefined;
}

/** The first syntax error in `text` (strict JSON), or undefined when it is valid. */
export function findJsonSyntaxError(text: string): JsonSyntaxFault | undefined {
  // The scanner below recurses per level: report deep nesting before it could overflow.
  const tooDeep = jsonNestingFault(text);
  if (tooDeep !== undefined) return tooDeep;
  let pos = 0;
  const fail = (reason: string, at = pos): never => {
    throw { offset: at, reason } satisfies JsonSyntaxFault;
  };
  const describe = (): string => (pos >= text.length ? 'end of file' : `character ${JSON.stringify(text[pos])}`);
  const skipSpace = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos]!)) pos++;
  };
  const expect = (what: string): never => fail(`expected ${what}, found ${describe()}`);

  const value = (): void => {
    skipSpace();
    const char = text[pos];
    if (char === '{') return object();
    if (char === '[') return array();
    if (char === '"') return string();
    if (char === "'") return fail('strings must use double quotes, not single quotes (this is JSON, not Python)');
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return number();
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, pos)) {
        pos += literal.length;
        return;
      }
    }
    for (const pythonism of ['True', 'False', 'None']) {
      if (text.startsWith(pythonism, pos)) return fail(`'${pythonism}' is Python; JSON uses true, false and null`);
    }
    return expect('a value');
  };

  const object = (): void => {
    pos++; // {
    skipSpace();
    if (text[pos] === '}') {
      pos++;
      return;
    }
    for (;;) {
      skipSpace();
      if (text[pos] === '}') return fail("trailing comma before '}'");
      if (text[pos] === "'") return fail('property names must use double quotes, not single quotes (this is JSON, not Python)');
      if (text[pos] !== '"') return expect('a double-quoted property name');
      string();
      skipSpace();
      if (text[pos] !== ':') return expect("':' after the property name");
      pos++;
      value();
      skipSpace();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (text[pos] === '}') {
        pos++;
        return;
      }
      return expect("',' or '}'");
    }
  };

  const array = (): void => {
    pos++; // [
    skipSpace();
    if (text[pos] === ']') {
      pos++;
      return;
    }
    for (;;) {
      skipSpace();
      if (text[pos] === ']') return fail("trailing comma before ']'");
      value();
      skipSpace();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (text[pos] === ']') {
        pos++;
        return;
      }
      return expect("',' or ']'");
    }
  };

  const string = (): void => {
    const start = pos;
    pos++; // "
    while (pos < text.length) {
      const char = text[pos]!;
      if (char === '"') {
        pos++;
        return;
      }
      if (char === '\\') {
        const escape = text[pos + 1];
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) fail('invalid \\u escape in string');
          pos += 6;
        } else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) pos += 2;
        else fail(`invalid escape '\\${escape ?? ''}' in string`);
        continue;
      }
      if (char < ' ') fail('control character (such as a raw newline or tab) inside a string');
      pos++;
    }
    fail('unterminated string', start);
  };

  const number = (): void => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(pos, pos + 400));
    if (!match) expect('a number');
    pos += match![0].length;
  };

  try {
    value();
    skipSpace();
    if (pos < text.length) fail(`unexpected ${describe()} after the end of the JSON value`);
    return undefined;
  } catch (fault) {
    if (typeof fault === 'object' && fault !== null && 'offset' in fault) return fault as JsonSyntaxFault;
    throw fault;
  }
}

/** Read and parse a JSON file; a missing or unreadable file is an error naming it. */
export async function readJsonFile(file: string, ErrorType: typeof MadError = ConfigError): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ErrorType(code === 'ENOENT' ? `${file}: file not found` : `${file}: cannot read: ${errorMessage(error)}`, { file });
  }
  return parseJsonText(text, file, ErrorType);
}
