/**
 * Additional-context text -> plain object. madengine accepts JSON and, failing that, a Python
 * dict literal (`{'gpu_vendor': 'AMD'}`), so both are tried (compat §5.3).
 */
import { ConfigError, errorMessage } from '../errors.ts';
import { PythonLiteralError, parsePythonLiteral } from '../util/pyliteral.ts';
import { findJsonSyntaxError, jsonNestingFault, lineColumnAt } from '../util/json-file.ts';
import { describeValue } from '../util/describe.ts';
import { isPlainObject } from '../util/object.ts';

/**
 * Parses `text` into an object; "" / "{}" / whitespace give {}. `source` names where the text came
 * from in errors ("--additional-context" or a file path); `options.file` also marks the error's file
 * so it can become an annotation.
 */
export function parseContextText(text: string, source: string, options: { file?: string } = {}): Record<string, unknown> {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === '{}') return {};
  let value: unknown;
  try {
    // Deep nesting is refused before JSON.parse accepts what validation would then overflow on.
    const tooDeep = jsonNestingFault(text);
    if (tooDeep !== undefined) throw new SyntaxError(tooDeep.reason);
    value = JSON.parse(text);
  } catch (jsonError) {
    try {
      value = parsePythonLiteral(text);
    } catch (pythonError) {
      throw syntaxError(text, source, jsonError, pythonError, options.file);
    }
  }
  if (!isPlainObject(value)) {
    throw new ConfigError(
      `${source}: expected an object like {"gpu_vendor": "AMD", "guest_os": "UBUNTU"}, got ${describeValue(value, { article: true })}`,
      options.file === undefined ? {} : { file: options.file },
    );
  }
  return value;
}

/**
 * Both parsers failed: report the one the author most likely meant. Text without a single quote is
 * JSON (the Python parser would mislead there, e.g. by joining adjacent strings); otherwise the parser
 * that got further into the text wins, a tie going to JSON.
 */
function syntaxError(text: string, source: string, jsonError: unknown, pythonError: unknown, file: string | undefined): ConfigError {
  // Where: the project's JSON scanner (V8 often gives no position); why: V8's own words.
  const json = { offset: findJsonSyntaxError(text)?.offset ?? text.length, reason: jsonReason(jsonError) };
  const python =
    pythonError instanceof PythonLiteralError
      ? { offset: pythonError.offset, reason: pythonError.message.replace(/ at offset \d+$/, '') }
      : { offset: -1, reason: String(pythonError) };
  const chosen = text.includes("'") && python.offset > json.offset ? python : json;
  const { line, column } = lineColumnAt(text, chosen.offset);
  const near = chosen.offset < text.length ? ` near ${JSON.stringify(text.slice(chosen.offset, chosen.offset + 20))}` : '';
  return new ConfigError(`${source}: invalid JSON (or Python dict literal) at line ${line}, column ${column}${near}: ${chosen.reason}`, {
    line,
    column,
    ...(file === undefined ? {} : { file }),
    cause: jsonError,
  });
}

function jsonReason(error: unknown): string {
  return errorMessage(error)
    .replace(/\s*(?:in|after) JSON at position \d+.*$/s, '')
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/\s*\(line \d+ column \d+\)$/, '');
}
