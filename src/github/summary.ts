/** Job summaries: a heading and a table, written to GITHUB_STEP_SUMMARY (kept well under its 1 MiB limit). */
import * as core from '@actions/core';

const MAX_ROWS = 500;

export async function writeSummaryTable(title: string, headers: readonly string[], rows: readonly (readonly string[])[], footer?: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const shown = rows.slice(0, MAX_ROWS);
  const summary = core.summary
    .addHeading(title, 3)
    .addTable([headers.map((header) => ({ data: header, header: true })), ...shown.map((row) => row.map((cell) => escapeCell(cell)))]);
  if (rows.length > shown.length) summary.addRaw(`\n${rows.length - shown.length} more rows not shown.\n`, true);
  if (footer) summary.addRaw(`\n${footer}\n`, true);
  await summary.write();
}

/**
 * Table cells are HTML: keep model output from injecting markup. An empty cell gets a no-break space:
 * @actions/core leaves the tag of an empty cell unclosed (`<td><td>`).
 */
function escapeCell(text: string): string {
  if (text === '') return '&nbsp;';
  return text.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!);
}
