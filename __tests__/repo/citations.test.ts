/**
 * Code comments cite docs/madengine-compatibility.md: "compat <section>" for a section (a run such as
 * "compat <a>, <b> and <c>" cites several) and "difference <n>" / "differences <n>, <m>" for items of
 * its section 8. This test keeps those citations resolvable: every cited section has a heading, every
 * cited difference an item, every section sign in the code belongs to a compat citation, and nothing
 * points at documents outside the repository (the private fact sheet the compat document was written
 * from, or ../shared paths).
 *
 * CITATIONS_ROOT=<dir> checks another tree with the same layout (used to dry-run citation rewrites).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../helpers/node.ts';

const ROOT = process.env.CITATIONS_ROOT ? path.resolve(process.env.CITATIONS_ROOT) : repoRoot;
const COMPAT_DOC = 'docs/madengine-compatibility.md';
const SELF = fileURLToPath(import.meta.url);
const SELF_RELATIVE = path.relative(repoRoot, SELF);

/** Written with escapes so that this file does not match its own patterns. */
const SECTION_SIGN = '\u00a7';
const SECTION_NUMBER = new RegExp(`${SECTION_SIGN}\\s*(\\d+(?:\\.\\d+)?)`, 'g');
const COMPAT_CITATION = new RegExp(`\\bcompat\\s+${SECTION_SIGN}`, 'i');
/** "difference <n>", "differences <n>, <m>", "differences <n> and <m>", "differences <n>-<m>". */
const DIFFERENCE_CITATION = /\bdifferences?\s+(\d+(?:\s*[-–]\s*\d+)?(?:\s*(?:,|and|&)\s*\d+(?:\s*[-–]\s*\d+)?)*)/gi;

const FORBIDDEN: readonly { pattern: RegExp; why: string }[] = [
  { pattern: new RegExp(`\\breference\\s+${SECTION_SIGN}`, 'i'), why: 'cites the external reference: write "compat <section>"' },
  { pattern: /\bquirks?\s+#?\d/i, why: 'cites a numbered quirk of the external reference: write "difference <n>"' },
  { pattern: new RegExp(`${SECTION_SIGN}\\s*8\\s+items?\\s+\\d`, 'i'), why: 'cites items of section 8: write "difference <n>"' },
  { pattern: /\.\.\/shared/, why: 'points outside the repository (../shared)' },
  { pattern: /\bshared\/reference\b/, why: 'points at the private reference outside the repository' },
  { pattern: /\bmadengine\.md\b/, why: `points at the private fact sheet: cite ${COMPAT_DOC}` },
];

const SCANNED: readonly { dir: string; extensions: readonly string[] }[] = [
  { dir: 'src', extensions: ['.ts', '.mts', '.mjs'] },
  { dir: '__tests__', extensions: ['.ts', '.mts', '.mjs'] },
  { dir: 'bench', extensions: ['.ts', '.mts', '.mjs'] },
  { dir: 'scripts', extensions: ['.ts', '.mts', '.mjs'] },
];

interface CompatDoc {
  headings: Set<string>;
  differences: Set<number>;
}

function parseCompatDoc(text: string): CompatDoc {
  const headings = new Set<string>();
  for (const match of text.matchAll(/^#{2,3}[ \t]+(\d+(?:\.\d+)?)\.?[ \t]/gm)) headings.add(match[1]!);
  const differences = new Set<number>();
  const section8 = /^##[ \t]+8\.?[ \t][^\n]*\n([\s\S]*?)(?=^##[ \t]|(?![\s\S]))/m.exec(text)?.[1] ?? '';
  for (const match of section8.matchAll(/^(\d+)\.[ \t]/gm)) differences.add(Number(match[1]));
  return { headings, differences };
}

function walk(dir: string, extensions: readonly string[], found: string[] = []): string[] {
  if (!existsSync(dir)) return found;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, extensions, found);
    else if (entry.isFile() && extensions.some((extension) => entry.name.endsWith(extension))) found.push(full);
  }
  return found;
}

function codeFiles(): string[] {
  return SCANNED.flatMap(({ dir, extensions }) => walk(path.join(ROOT, dir), extensions)).sort();
}

/** Where a comment run starts for each line: a comment line continues the comment lines above it. */
function commentRunStarts(lines: readonly string[]): number[] {
  const isCommentLine = (line: string): boolean => /^\s*(?:\*|\/\/|\/\*)/.test(line) || /\/\*(?![\s\S]*\*\/)/.test(line);
  const isContinuation = (line: string): boolean => /^\s*(?:\*|\/\/)/.test(line);
  const starts: number[] = [];
  lines.forEach((line, index) => {
    starts.push(index > 0 && isContinuation(line) && isCommentLine(lines[index - 1]!) ? starts[index - 1]! : index);
  });
  return starts;
}

/** "1, 2 and 5-7" -> [1, 2, 5, 6, 7]. */
function differenceNumbers(list: string): number[] {
  const numbers: number[] = [];
  for (const part of list.split(/\s*(?:,|and|&)\s*/)) {
    const range = /^(\d+)(?:\s*[-–]\s*(\d+))?$/.exec(part.trim());
    if (!range) continue;
    const first = Number(range[1]);
    const last = range[2] === undefined ? first : Number(range[2]);
    for (let n = first; n <= Math.max(first, last); n++) numbers.push(n);
  }
  return numbers;
}

interface Problems {
  unresolved: string[];
  unattributed: string[];
  forbidden: string[];
}

function checkFile(file: string, doc: CompatDoc, problems: Problems, options: { requireCompat: boolean; checkForbidden: boolean }): void {
  const relative = path.relative(ROOT, file);
  const lines = readFileSync(file, 'utf8').split('\n');
  const runStarts = commentRunStarts(lines);
  lines.forEach((line, index) => {
    const where = `${relative}:${index + 1}`;
    const shown = line.trim().slice(0, 160);
    for (const match of line.matchAll(SECTION_NUMBER)) {
      const number = match[1]!;
      if (!doc.headings.has(number)) {
        problems.unresolved.push(`${where}: ${SECTION_SIGN}${number} has no heading "${number}" in ${COMPAT_DOC}: ${shown}`);
      }
      if (options.requireCompat) {
        // Up to and including this section sign, so that its own "compat" prefix counts, or an earlier one in the run.
        const before = [...lines.slice(runStarts[index]!, index), line.slice(0, match.index! + 1)].join('\n');
        if (!COMPAT_CITATION.test(before)) {
          problems.unattributed.push(`${where}: ${SECTION_SIGN}${number} is not part of a "compat ${SECTION_SIGN}..." citation: ${shown}`);
        }
      }
    }
    for (const match of line.matchAll(DIFFERENCE_CITATION)) {
      for (const number of differenceNumbers(match[1]!)) {
        if (!doc.differences.has(number)) {
          problems.unresolved.push(`${where}: difference ${number} is not an item of section 8 of ${COMPAT_DOC}: ${shown}`);
        }
      }
    }
    if (options.checkForbidden) {
      for (const { pattern, why } of FORBIDDEN) {
        if (pattern.test(line)) problems.forbidden.push(`${where}: ${why}: ${shown}`);
      }
    }
  });
}

function report(kind: string, lines: readonly string[]): string {
  return `${lines.length} ${kind}:\n  ${lines.join('\n  ')}`;
}

describe(`citations of ${COMPAT_DOC}`, () => {
  const docPath = path.join(ROOT, COMPAT_DOC);
  const doc = parseCompatDoc(existsSync(docPath) ? readFileSync(docPath, 'utf8') : '');
  const files = codeFiles();
  const problems: Problems = { unresolved: [], unattributed: [], forbidden: [] };
  for (const file of files) {
    const self = path.relative(ROOT, file) === SELF_RELATIVE;
    checkFile(file, doc, problems, { requireCompat: !self, checkForbidden: !self });
  }

  it('the compat document exists with sections 0 to 8 and numbered differences', () => {
    assert.ok(existsSync(docPath), `${COMPAT_DOC} is missing`);
    for (const section of ['0', '1', '2', '3', '4', '5', '6', '7', '8']) {
      assert.ok(doc.headings.has(section), `${COMPAT_DOC} has no "## ${section}. ..." heading`);
    }
    assert.ok(doc.differences.has(1), `section 8 of ${COMPAT_DOC} has no numbered item 1`);
    assert.ok(files.length > 0, `no source files found under ${ROOT}`);
  });

  it('every cited section and difference exists', () => {
    assert.ok(problems.unresolved.length === 0, report('unresolved citation(s)', problems.unresolved));
  });

  it('every section sign belongs to a compat citation', () => {
    assert.ok(problems.unattributed.length === 0, report('section sign(s) without "compat"', problems.unattributed));
  });

  it('nothing cites documents outside the repository', () => {
    assert.ok(problems.forbidden.length === 0, report('citation(s) of outside documents', problems.forbidden));
  });

  it("the compat document's own cross-references resolve", () => {
    const problemsInDoc: Problems = { unresolved: [], unattributed: [], forbidden: [] };
    checkFile(docPath, doc, problemsInDoc, { requireCompat: false, checkForbidden: false });
    assert.ok(problemsInDoc.unresolved.length === 0, report('unresolved cross-reference(s)', problemsInDoc.unresolved));
  });

  it('README.md and docs/*.md have no ../shared links', () => {
    const docsDir = path.join(ROOT, 'docs');
    const markdown = [
      path.join(ROOT, 'README.md'),
      ...(existsSync(docsDir)
        ? readdirSync(docsDir)
            .filter((name) => name.endsWith('.md'))
            .map((name) => path.join(docsDir, name))
        : []),
    ].filter((file) => existsSync(file));
    const found: string[] = [];
    for (const file of markdown) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, index) => {
          if (/\.\.\/shared|\bshared\/reference\b/.test(line)) found.push(`${path.relative(ROOT, file)}:${index + 1}: ${line.trim().slice(0, 160)}`);
        });
    }
    assert.ok(found.length === 0, report('link(s) outside the repository', found));
  });
});
