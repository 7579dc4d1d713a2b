import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeSummaryTable } from '../../src/github/summary.ts';

test('the job summary table closes every cell, empty ones too, and escapes model text', async () => {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'summary-')), 'summary.md');
  await writeFile(file, '');
  const previous = process.env.GITHUB_STEP_SUMMARY;
  process.env.GITHUB_STEP_SUMMARY = file;
  try {
    await writeSummaryTable('Results', ['Model', 'Performance', 'Metric'], [['m<b>', '', '']]);
  } finally {
    if (previous === undefined) delete process.env.GITHUB_STEP_SUMMARY;
    else process.env.GITHUB_STEP_SUMMARY = previous;
  }
  const html = await readFile(file, 'utf8');
  assert.match(html, /<tr><td>m&lt;b&gt;<\/td><td>&nbsp;<\/td><td>&nbsp;<\/td><\/tr>/);
  assert.doesNotMatch(html, /<td><td>/);
});
