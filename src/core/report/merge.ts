/**
 * Merges perf.csv shards (one per matrix cell, node or artifact) into one perf.csv. Nothing is lost
 * silently: a row that cannot be merged is a RowProblem (shard and line), a duplicate a DuplicateNote.
 *
 * Rules:
 * - Shards are taken in byte order of their names, rows in file order; that order decides which
 *   copy of a duplicate is kept (the first).
 * - A shard whose header lacks model, performance, metric or status is one problem (no row of it is
 *   merged). A syntax error (unterminated quote) ends its shard: the rows before it are merged.
 * - A row is a problem when it has more fields than the header, an empty model, a status other than
 *   SUCCESS/FAILURE/SKIPPED (any case), SUCCESS without a numeric performance, or a value under an
 *   unnamed header column (a trailing comma in the header is fine while its cells stay empty).
 * - Identity of a row: run_id, model, metric, sample, machine_name, started_at, gpu_architecture,
 *   n_gpus, nnodes, deployment_type (trimmed) when run_id is set; otherwise every cell.
 */
import { perfCsvColumns, type PerfRow } from '../perf/perf-csv.ts';
import { formatCsvRow, parseCsvRecordsPartial, type CsvRecord } from '../util/csv.ts';
import { compareBytes, performanceValue, rowStatus } from './rows.ts';
import type { DuplicateNote, MergeResult, RowProblem } from './types.ts';

export interface PerfShard {
  /** File path or artifact/file, as reports should name it. */
  name: string;
  text: string;
}

const REQUIRED_COLUMNS = ['model', 'performance', 'metric', 'status'] as const;

/** The columns that tell one run's row apart when the row has a run_id. */
const IDENTITY_COLUMNS = [
  'run_id',
  'model',
  'metric',
  'sample',
  'machine_name',
  'started_at',
  'gpu_architecture',
  'n_gpus',
  'nnodes',
  'deployment_type',
] as const;

interface MergedRow {
  row: PerfRow;
  shard: string;
  line: number;
}

interface ParsedShard {
  name: string;
  columns: string[];
  rows: MergedRow[];
  /** Data rows read (merged or not): MergeResult.shards[].rows. */
  read: number;
}

export function mergeShards(shards: readonly PerfShard[]): MergeResult {
  const problems: RowProblem[] = [];
  const ordered = [...shards].sort((a, b) => compareBytes(a.name, b.name));
  const parsed = ordered.map((shard) => parseShard(shard, problems));

  const headers: string[] = [];
  for (const shard of parsed) headers.push(...shard.columns);
  const columns = perfCsvColumns(headers, []);

  const { rows, duplicates } = dropDuplicates(
    parsed.flatMap((shard) => shard.rows),
    columns,
  );
  return {
    columns,
    rows,
    shards: parsed.map((shard) => ({ name: shard.name, rows: shard.read })),
    duplicates,
    problems,
  };
}

/** The merged perf.csv: header and rows in MergeResult order, '\n' line ends. */
export function mergePerfCsvText(result: MergeResult): string {
  const parts = [formatCsvRow(result.columns)];
  for (const row of result.rows) parts.push(formatCsvRow(result.columns.map((name) => row[name] ?? '')));
  return parts.join('');
}

function parseShard(shard: PerfShard, problems: RowProblem[]): ParsedShard {
  const { records, error } = parseCsvRecordsPartial(shard.text);
  const header = records[0];
  const result: ParsedShard = { name: shard.name, columns: [], rows: [], read: Math.max(0, records.length - 1) };
  if (header === undefined) {
    problems.push(error ? syntaxProblem(shard.name, error) : { shard: shard.name, message: 'empty shard: no header row' });
    return result;
  }
  const names = header.fields.map((name) => name.trim());
  const headerProblem = checkHeader(names);
  if (headerProblem !== undefined) {
    problems.push({ shard: shard.name, line: header.line, message: `${headerProblem}; none of its ${result.read} rows merged` });
    if (error) problems.push(syntaxProblem(shard.name, error));
    return result;
  }
  result.columns = names.filter((name) => name !== '');
  // Rows copied from one object with every column keep V8's fast properties (~1/5 the memory of adding 30+ keys one by one).
  const template: PerfRow = Object.fromEntries(result.columns.map((name) => [name, '']));
  for (let r = 1; r < records.length; r++) {
    const record = records[r]!;
    const row = toRow(record, names, template);
    const problem = typeof row === 'string' ? row : checkRow(row);
    if (problem !== undefined) problems.push({ shard: shard.name, line: record.line, message: problem });
    else result.rows.push({ row: row as PerfRow, shard: shard.name, line: record.line });
  }
  if (error) problems.push(syntaxProblem(shard.name, error));
  return result;
}

function syntaxProblem(shard: string, error: { line: number; message: string }): RowProblem {
  return { shard, line: error.line, message: `${error.message}; the rest of the shard from this line on could not be read` };
}

function checkHeader(names: readonly string[]): string | undefined {
  const missing = REQUIRED_COLUMNS.filter((name) => !names.includes(name));
  if (missing.length > 0) {
    return `not a perf.csv: the header lacks ${missing.map((name) => `'${name}'`).join(', ')} (a perf.csv has ${REQUIRED_COLUMNS.join(', ')}; found: ${names.join(', ') || 'no columns'})`;
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (name !== '' && seen.has(name)) return `duplicate column '${name}' in the header`;
    seen.add(name);
  }
  return undefined;
}

/** The record as a row over the header's named columns, or why it cannot be one. */
function toRow(record: CsvRecord, names: readonly string[], template: PerfRow): PerfRow | string {
  const { fields } = record;
  if (fields.length > names.length) return `row has ${fields.length} fields but the header has ${names.length} columns`;
  const row: PerfRow = { ...template };
  for (let c = 0; c < names.length; c++) {
    const value = fields[c] ?? '';
    const name = names[c]!;
    if (name !== '') row[name] = value;
    else if (value !== '') return `value '${value}' in column ${c + 1}, which has no name in the header`;
  }
  return row;
}

function checkRow(row: PerfRow): string | undefined {
  if ((row.model ?? '').trim() === '') return 'empty model';
  const status = rowStatus(row);
  if (status === undefined) return `status '${row.status ?? ''}' is not one of SUCCESS, FAILURE, SKIPPED`;
  if (status === 'SUCCESS' && performanceValue(row) === undefined) {
    return `status SUCCESS with performance '${row.performance ?? ''}', which is not a finite number`;
  }
  return undefined;
}

interface Kept {
  first: MergedRow;
  note?: DuplicateNote;
}

/**
 * Keeps the first row of each identity. Identities are bucketed by a 32-bit hash of their values and
 * compared value by value within a bucket: no key string per row, so 100,000 rows cost little memory.
 */
function dropDuplicates(candidates: readonly MergedRow[], columns: readonly string[]): { rows: PerfRow[]; duplicates: DuplicateNote[] } {
  const rows: PerfRow[] = [];
  const buckets = new Map<number, Kept | Kept[]>();
  const duplicates: DuplicateNote[] = [];
  for (const candidate of candidates) {
    const hash = identityHash(candidate.row, columns);
    const bucket = buckets.get(hash);
    const kept = bucket === undefined ? undefined : findIn(bucket, candidate.row, columns);
    if (kept === undefined) {
      const entry: Kept = { first: candidate };
      if (bucket === undefined) buckets.set(hash, entry);
      else if (Array.isArray(bucket)) bucket.push(entry);
      else buckets.set(hash, [bucket, entry]);
      rows.push(candidate.row);
      continue;
    }
    if (kept.note === undefined) {
      kept.note = { identity: identityLabel(kept.first.row), kept: { shard: kept.first.shard, line: kept.first.line }, dropped: [], conflicting: false };
      duplicates.push(kept.note);
    }
    kept.note.dropped.push({ shard: candidate.shard, line: candidate.line });
    if (!kept.note.conflicting && !sameCells(kept.first.row, candidate.row, columns)) kept.note.conflicting = true;
  }
  return { rows, duplicates };
}

function findIn(bucket: Kept | Kept[], row: PerfRow, columns: readonly string[]): Kept | undefined {
  if (!Array.isArray(bucket)) return sameIdentity(bucket.first.row, row, columns) ? bucket : undefined;
  for (const entry of bucket) if (sameIdentity(entry.first.row, row, columns)) return entry;
  return undefined;
}

function hasRunId(row: PerfRow): boolean {
  return (row.run_id ?? '').trim() !== '';
}

/** FNV-1a over the identity's values, each followed by a separator step (so "ab","c" and "a","bc" differ). */
function identityHash(row: PerfRow, columns: readonly string[]): number {
  const byRun = hasRunId(row);
  const names = byRun ? IDENTITY_COLUMNS : columns;
  let hash = byRun ? 0x811c9dc5 : 0x50c5d1f3;
  for (const name of names) {
    const value = byRun ? (row[name] ?? '').trim() : (row[name] ?? '');
    for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
    hash = Math.imul(hash ^ 0x1f, 0x01000193);
  }
  return hash & 0x3fffffff; // 30 bits: a small integer, the fastest kind of Map key
}

function sameIdentity(a: PerfRow, b: PerfRow, columns: readonly string[]): boolean {
  const byRun = hasRunId(a);
  if (byRun !== hasRunId(b)) return false;
  if (!byRun) return sameCells(a, b, columns);
  return IDENTITY_COLUMNS.every((name) => (a[name] ?? '').trim() === (b[name] ?? '').trim());
}

/** DuplicateNote.identity: what the duplicates share, for people. */
function identityLabel(row: PerfRow): string {
  if ((row.run_id ?? '').trim() === '') return `identical rows without run_id: model=${(row.model ?? '').trim()}, metric=${(row.metric ?? '').trim()}`;
  return IDENTITY_COLUMNS.flatMap((name) => {
    const value = (row[name] ?? '').trim();
    return value === '' ? [] : [`${name}=${value}`];
  }).join(', ');
}

function sameCells(a: PerfRow, b: PerfRow, columns: readonly string[]): boolean {
  for (const name of columns) if ((a[name] ?? '') !== (b[name] ?? '')) return false;
  return true;
}
