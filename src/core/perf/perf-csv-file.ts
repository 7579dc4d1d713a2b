/**
 * perf.csv as a file: what an append needs to know about it, read from its header and its last byte
 * only (so an append costs the new rows, not the file), and the two raw writes an append does.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ConfigError, MadError, errorMessage } from '../errors.ts';
import { CsvSyntaxError, parseCsvTable, type CsvTable } from '../util/csv.ts';

/**
 * Files up to this size are parsed completely on every check (a few ms), so every malformation a
 * parse can find is found before anything is appended. Larger files get the header and the last
 * byte only; see inspectPerfCsv().
 */
export const FULL_CHECK_BYTES = 1024 * 1024;
/** A header longer than this is not a perf.csv header (madengine's has 29 short names). */
const MAX_HEADER_BYTES = 1024 * 1024;
const HEAD_CHUNK = 64 * 1024;

export interface PerfCsvState {
  size: number;
  /** Identity of the file, so a repair never touches a file that replaced it. */
  dev: number;
  ino: number;
  /** Header names (trimmed); undefined for an empty or blank file, which gets a fresh header. */
  columns: string[] | undefined;
  /** The file's line ending, taken from its first line. */
  eol: '\n' | '\r\n';
  /** Whether the last byte is a line break (a hand-edited file may lack the final one). */
  endsWithBreak: boolean;
  /** Whether the whole file was parsed (it is small); otherwise only its header was. */
  fullyParsed: boolean;
}

/**
 * Reads what an append needs: the header and the last byte. A file of at most FULL_CHECK_BYTES is
 * parsed whole. Beyond that the body is not read: a malformed row in the middle of a 400,000-row
 * file is not found here (finding it needs a full parse, as expensive as the rewrite this module
 * avoids), but it cannot cost data either: appends never rewrite existing bytes, and a migration
 * to new columns parses the whole file (parseTable) and refuses before it writes anything.
 * Throws ConfigError (file, line, column) for a malformed header or small file; undefined: missing.
 */
export async function inspectPerfCsv(file: string): Promise<PerfCsvState | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MadError(`cannot read perf CSV ${file}: ${errorMessage(error)}`, { file, cause: error });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new ConfigError(`perf CSV ${file} is not a regular file; give the path of a CSV file (existing or not)`, { file });
    const base = { size: info.size, dev: info.dev, ino: info.ino };
    if (info.size <= FULL_CHECK_BYTES) {
      const text = (await readAt(handle, 0, info.size)).toString('utf8');
      if (text.replace(/^\uFEFF/, '').trim() === '') return { ...base, columns: undefined, eol: '\n', endsWithBreak: true, fullyParsed: true };
      const table = parseTable(text, file);
      checkIsPerfCsv(table.columns, file);
      return { ...base, columns: table.columns, eol: eolOf(text), endsWithBreak: /[\r\n]$/.test(text), fullyParsed: true };
    }
    const head = await readHeader(handle, file, info.size);
    const table = parseTable(head, file);
    checkIsPerfCsv(table.columns, file);
    const last = await readAt(handle, info.size - 1, 1);
    return { ...base, columns: table.columns, eol: eolOf(head), endsWithBreak: last[0] === LF || last[0] === CR, fullyParsed: false };
  } catch (error) {
    if (error instanceof MadError) throw error;
    throw new MadError(`cannot read perf CSV ${file}: ${errorMessage(error)}`, { file, cause: error });
  } finally {
    await handle.close();
  }
}

/** Every perf.csv, madengine's or ours, has a `model` column: a file without one is someone else's, never rewritten. */
function checkIsPerfCsv(columns: readonly string[], file: string): void {
  if (columns.includes('model')) return;
  const shown = columns
    .slice(0, 5)
    .map((name) => JSON.stringify(name))
    .join(', ');
  throw new ConfigError(
    `perf CSV ${file} is not a perf.csv: its first line (${shown}${columns.length > 5 ? ', ...' : ''}) has no 'model' column; it was left unchanged. Give a new file or an existing perf.csv`,
    { file, line: 1 },
  );
}

/** Parses a whole perf.csv (for a migration, which rewrites it anyway), errors as ConfigError. */
export function parseTable(text: string, file: string): CsvTable {
  try {
    return parseCsvTable(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) {
      throw new ConfigError(`perf CSV ${file} is malformed (${error.message}); it was left unchanged. Fix or move it, then run again`, {
        file,
        line: error.line,
        column: error.column,
      });
    }
    throw error;
  }
}

/** Appends `text` with one O_APPEND write and fsyncs it; returns the bytes written. */
export async function appendDurably(file: string, text: string): Promise<number> {
  const bytes = Buffer.from(text, 'utf8');
  const handle = await open(file, 'a');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    throw new MadError(`cannot append to perf CSV ${file}: ${errorMessage(error)}`, { file, cause: error });
  } finally {
    await handle.close();
  }
  return bytes.length;
}

/**
 * Cuts `file` back to `offset` bytes if it is still the file (dev/ino) a dead writer was appending
 * to and is longer: its torn rows go, every row before them stays. Returns whether it cut.
 */
export async function truncateTornAppend(file: string, mark: { offset: number; dev: number; ino: number }): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new MadError(`cannot repair perf CSV ${file}: ${errorMessage(error)}`, { file, cause: error });
  }
  try {
    const info = await handle.stat();
    if (info.dev !== mark.dev || info.ino !== mark.ino || info.size <= mark.offset) return false;
    await handle.truncate(mark.offset);
    await handle.sync();
    return true;
  } finally {
    await handle.close();
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** The first record (the header) of a file larger than one read, as text including its line break. */
async function readHeader(handle: FileHandle, file: string, size: number): Promise<string> {
  let head = Buffer.alloc(0);
  while (head.length < Math.min(size, MAX_HEADER_BYTES)) {
    const chunk = await readAt(handle, head.length, Math.min(HEAD_CHUNK, size - head.length));
    head = Buffer.concat([head, chunk]);
    const end = headerEnd(head);
    if (end >= 0) return head.subarray(0, end).toString('utf8');
  }
  throw new ConfigError(`perf CSV ${file} has no header line within its first ${MAX_HEADER_BYTES} bytes (an unterminated quote?); it was left unchanged`, {
    file,
    line: 1,
    column: 1,
  });
}

/**
 * The offset just after the first non-blank record's line break, or -1 when `buf` does not hold all
 * of it. Same rules as parseCsvRecords: a quote opens a quoted field only at the start of a field.
 */
export function headerEnd(buf: Uint8Array): number {
  let i = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  while (buf[i] === LF || buf[i] === CR) i++; // blank lines before the header
  let fieldStart = true;
  while (i < buf.length) {
    const c = buf[i]!;
    if (fieldStart && c === QUOTE) {
      for (i++; ; i += 2) {
        i = buf.indexOf(QUOTE, i);
        if (i < 0 || i + 1 >= buf.length) return -1; // unterminated so far, or "" split by the read
        if (buf[i + 1] !== QUOTE) break;
      }
      i++;
      fieldStart = false;
      continue;
    }
    fieldStart = c === COMMA;
    if (c === LF) return i + 1;
    if (c === CR) return i + 1 >= buf.length ? -1 : buf[i + 1] === LF ? i + 2 : i + 1;
    i++;
  }
  return -1;
}

function eolOf(text: string): '\n' | '\r\n' {
  return /\r\n/.test(text.slice(0, text.search(/\n|$/) + 1)) ? '\r\n' : '\n';
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}
