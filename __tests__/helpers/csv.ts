import { readFile } from 'node:fs/promises';
import { formatCsvRow, parseCsvRecords, parseCsvTable } from '../../src/core/util/csv.ts';
import type { PerfRow } from '../../src/core/perf/perf-csv.ts';

/** CSV text -> rows of fields (parseCsvRecords without the line numbers). */
export function parseCsv(text: string): string[][] {
  return parseCsvRecords(text).map((record) => record.fields);
}

/** Rows of fields -> CSV text, one formatCsvRow per row. */
export function formatCsv(rows: readonly (readonly string[])[], eol = '\n'): string {
  return rows.map((row) => formatCsvRow(row, eol)).join('');
}

/** A perf.csv's columns and rows, read the way the run phase reads one before appending. */
export async function readPerfCsv(file: string): Promise<{ columns: string[]; rows: PerfRow[] }> {
  const { columns, rows } = parseCsvTable(await readFile(file, 'utf8'));
  return { columns, rows };
}
