/**
 * RFC 4180 CSV: parse (quoted fields, "" escapes, embedded newlines, CRLF/LF/CR, BOM) and format
 * (quote only when needed), so perf.csv and multiple_results files round-trip byte-for-byte values.
 */

/** A CSV text that cannot be parsed; `line`/`column` are 1-based and point at the problem. */
export class CsvSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(`${message} at line ${line}, column ${column}`);
    this.name = 'CsvSyntaxError';
    this.line = line;
    this.column = column;
  }
}

export interface CsvRecord {
  fields: string[];
  /** 1-based line where the record starts (for error messages). */
  line: number;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Parses CSV text into records. Blank lines are skipped (as pandas and csv.DictReader do).
 * Lenient where Python's csv module is lenient: a quote inside an unquoted field is kept literally,
 * text after a closing quote is appended to the field. An unterminated quoted field is an error.
 */
export function parseCsvRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  readRecords(text, records);
  return records;
}

/**
 * Like parseCsvRecords, but a syntax error ends the parse instead of losing it: the records before
 * the one at fault are returned with the error (readers that report bad input and keep going).
 */
export function parseCsvRecordsPartial(text: string): { records: CsvRecord[]; error?: CsvSyntaxError } {
  const records: CsvRecord[] = [];
  try {
    readRecords(text, records);
  } catch (error) {
    if (error instanceof CsvSyntaxError) return { records, error };
    throw error;
  }
  return { records };
}

/** Appends each complete record to `records` as it is read, so a throw leaves the ones before it. */
function readRecords(text: string, records: CsvRecord[]): void {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === LF || c === CR) {
      // Blank line.
      i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
      continue;
    }
    const recordLine = line;
    const fields: string[] = [];
    let field = '';
    let atRecordEnd = false;
    while (!atRecordEnd) {
      if (text.charCodeAt(i) === QUOTE) {
        const quoteLine = line;
        const quoteAt = i; // its column only for the error: columnOf() may scan back to the start (quadratic per field)
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new CsvSyntaxError('unterminated quoted field', quoteLine, columnOf(text, quoteAt));
          const chunk = text.slice(i, q);
          line += countLineBreaks(chunk);
          field += chunk;
          if (text.charCodeAt(q + 1) === QUOTE) {
            field += '"';
            i = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
      }
      // Unquoted part (or text after a closing quote): up to the next comma or line break.
      let j = i;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === COMMA || d === LF || d === CR) break;
        j++;
      }
      field += text.slice(i, j);
      fields.push(field);
      field = '';
      if (j >= n) {
        i = n;
        atRecordEnd = true;
      } else if (text.charCodeAt(j) === COMMA) {
        i = j + 1;
        if (i >= n) {
          fields.push('');
          atRecordEnd = true;
        }
      } else {
        i = j + (text.charCodeAt(j) === CR && text.charCodeAt(j + 1) === LF ? 2 : 1);
        line++;
        atRecordEnd = true;
      }
    }
    records.push({ fields, line: recordLine });
  }
}

export interface CsvTable {
  /** Header names, trimmed (madengine strips column names on read). */
  columns: string[];
  /** One object per data row; short rows are padded with "". */
  rows: Record<string, string>[];
  /** 1-based line of each data row, parallel to `rows`. */
  lines: number[];
}

/**
 * Parses a CSV with a header row. Throws CsvSyntaxError for a row with more fields than the header
 * (its extra values would have no column to go to) and for duplicate header names.
 */
export function parseCsvTable(text: string): CsvTable {
  const records = parseCsvRecords(text);
  const header = records[0];
  if (header === undefined) return { columns: [], rows: [], lines: [] };
  const columns = header.fields.map((name) => name.trim());
  const seen = new Set<string>();
  columns.forEach((name, index) => {
    if (seen.has(name)) {
      throw new CsvSyntaxError(`duplicate column '${name}' in the header`, header.line, index + 1);
    }
    seen.add(name);
  });
  const rows: Record<string, string>[] = [];
  const lines: number[] = [];
  for (const record of records.slice(1)) {
    if (record.fields.length > columns.length) {
      throw new CsvSyntaxError(`row has ${record.fields.length} fields but the header has ${columns.length} columns`, record.line, 1);
    }
    const row: Record<string, string> = {};
    columns.forEach((name, index) => {
      row[name] = record.fields[index] ?? '';
    });
    rows.push(row);
    lines.push(record.line);
  }
  return { columns, rows, lines };
}

/** Quotes a field only when it must be (comma, quote, CR or LF), doubling embedded quotes. */
export function formatCsvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line including its terminator. A lone empty field is quoted so it is not read as a blank line. */
export function formatCsvRow(fields: readonly string[], eol = '\n'): string {
  if (fields.length === 1 && fields[0] === '') return `""${eol}`;
  return fields.map(formatCsvField).join(',') + eol;
}

function countLineBreaks(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) count++;
    else if (c === CR && text.charCodeAt(i + 1) !== LF) count++;
  }
  return count;
}

function columnOf(text: string, index: number): number {
  const lineStart = Math.max(text.lastIndexOf('\n', index - 1), text.lastIndexOf('\r', index - 1)) + 1;
  return index - lineStart + 1;
}
