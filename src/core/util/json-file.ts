import { readFile } from 'node:fs/promises';
import { ConfigError, MadError, errorMessage } from '../errors.ts';

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** JSON.parse with an error that names the file, line and column. */
export function parseJsonText(text: string, file: string, ErrorType: typeof MadError = ConfigError): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    const message = errorMessage(error);
    const position = /position (\d+)/.exec(message);
    const where = position ? lineColumn(text, Number(position[1])) : /line (\d+) column (\d+)/.exec(message);
    const line = where ? (Array.isArray(where) ? Number(where[1]) : where.line) : undefined;
    const column = where ? (Array.isArray(where) ? Number(where[2]) : where.column) : undefined;
    const at = line !== undefined ? `:${line}:${column}` : '';
    throw new ErrorType(`${file}${at}: invalid JSON: ${message.replace(/^JSON\.parse: /, '')}`, {
      file,
      ...(line !== undefined ? { line } : {}),
      ...(column !== undefined ? { column } : {}),
    });
  }
}

/** Read and parse a JSON file; a missing file is an error naming it. */
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
