/**
 * Golden files: `assertGolden(file, actual)` compares exactly with the file; UPDATE_GOLDEN=1 writes it
 * instead (then review the diff and commit it).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function assertGolden(file: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) assert.fail(`golden file ${file} is missing: run the test with UPDATE_GOLDEN=1 to write it`);
  const expected = readFileSync(file, 'utf8');
  if (actual === expected) return;
  // Name the first differing line: a 1 MB assert.equal diff is unreadable.
  const a = actual.split('\n');
  const e = expected.split('\n');
  const line = a.findIndex((text, i) => text !== e[i]);
  const at = line < 0 ? a.length : line;
  assert.fail(
    `${file} differs at line ${at + 1} (UPDATE_GOLDEN=1 rewrites it):\n  expected: ${JSON.stringify(e[at]?.slice(0, 300))}\n  actual:   ${JSON.stringify(a[at]?.slice(0, 300))}`,
  );
}
