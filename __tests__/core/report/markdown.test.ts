import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError } from '../../../src/core/errors.ts';
import {
  COMMENT_LIMIT_CHARS,
  DEFAULT_COMMENT_MAX_CHARS,
  DEFAULT_SUMMARY_MAX_BYTES,
  SUMMARY_LIMIT_BYTES,
  markdownContext,
  renderComment,
  renderSummary,
} from '../../../src/core/report/markdown.ts';
import { MARKDOWN_FILTERS, REPORT_TEMPLATES, renderReportTemplate } from '../../../src/core/report/templates.ts';
import type { Report } from '../../../src/core/report/types.ts';
import { assertGolden } from '../../helpers/golden.ts';
import { reportFixture } from '../../helpers/report-fixture.ts';
import { HOSTILE, hostileReport } from '../../helpers/hostile-report.ts';

const GOLDEN = path.join(import.meta.dirname, '../../fixtures/report');
const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** 2,000 models of every class, with long multi-byte names (capped at 200) and reasons (a full summary is over 1 MiB). */
function bigReport(): Report {
  return reportFixture({
    perClass: { regressed: 300, failed: 100, missing: 100, new: 300, improved: 300, unchanged: 900 },
    model: (changeClass, i) => `huggingface/${changeClass}-модель-${i}-${'ünïcødé-'.repeat(24)}end`,
    reason: (entry) =>
      `${entry.class}: ${entry.relativeChange === undefined ? 'no change to report' : `${entry.relativeChange.toFixed(2)} %`}; ` +
      'the bootstrap interval of the ratio of means at 95 % confidence was computed from every repeat of both sides, '.repeat(2),
  });
}

/** `|` that end cells (a backslash escapes the next character, itself included). */
function cellPipes(line: string): number {
  let pipes = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '|') pipes++;
  }
  return pipes;
}

function tableRows(markdown: string): string[] {
  return markdown.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| class |'));
}

/** The model cell of each table row. */
function models(markdown: string): string[] {
  return tableRows(markdown).map((line) => line.split(' | ')[1]!);
}

const POINTER = /^… ([\d,]+) more rows: see the full report \((.+)\)$/m;

/** Checks what every rendering must be: whole rows of 8 cells, balanced tags and fences, nothing after a cut. */
function assertWellFormed(markdown: string): void {
  for (const line of tableRows(markdown)) {
    assert.equal(cellPipes(line), 9, `a table row with other than 8 cells: ${line.slice(0, 200)}`);
    assert.ok(line.endsWith(' |'), `a table row cut short: ${line.slice(-100)}`);
  }
  const count = (s: string): number => markdown.split(s).length - 1;
  assert.equal(count('<details>'), count('</details>'));
  assert.equal(count('<sub>'), count('</sub>'));
  assert.equal(count('```') % 2, 0, 'an unclosed code fence');
  assert.ok(markdown.endsWith('</sub>\n'), 'the provenance line closes every rendering');
}

describe('markdown summary and comment: golden files', () => {
  it('summary with every class', () => {
    const markdown = renderSummary(reportFixture());
    assertWellFormed(markdown);
    assertGolden(path.join(GOLDEN, 'summary-all-classes.md'), markdown);
  });

  it('comment with every class', () => {
    const markdown = renderComment(reportFixture());
    assertWellFormed(markdown);
    assertGolden(path.join(GOLDEN, 'comment-all-classes.md'), markdown);
  });

  it('summary and comment without a baseline', () => {
    const report = reportFixture({ baselineFound: false });
    const summary = renderSummary(report);
    const comment = renderComment(report);
    for (const markdown of [summary, comment]) {
      assert.match(markdown, /no baseline found/);
      assert.match(markdown, /> No baseline found: no successful run of perf-nightly on main\. .*not an error/);
      assert.doesNotMatch(markdown, /```mermaid/, 'no chart without a baseline');
      assert.match(markdown, / · base none · /);
      assertWellFormed(markdown);
    }
    assertGolden(path.join(GOLDEN, 'summary-no-baseline.md'), summary);
    assertGolden(path.join(GOLDEN, 'comment-no-baseline.md'), comment);
  });

  it('2,000 models: the comment truncated at 65,536 characters', () => {
    const report = bigReport();
    const comment = renderComment(report, { maxChars: COMMENT_LIMIT_CHARS });
    assert.ok(comment.length <= COMMENT_LIMIT_CHARS, `${comment.length} characters`);
    assert.ok(comment.length > COMMENT_LIMIT_CHARS - 2_000, 'the comment uses the room it has');
    assertWellFormed(comment);
    const pointer = comment.match(POINTER);
    assert.ok(pointer, 'the truncation pointer');
    assert.equal(pointer[2], '[report.html artifact](https://github.com/ROCm/madengine/actions/runs/123456789/artifacts/987654)');
    const changed = report.comparison.entries.filter((entry) => entry.class !== 'unchanged').length;
    assert.equal(tableRows(comment).length + Number(pointer[1]!.replace(/,/g, '')), changed);
    assert.doesNotMatch(comment, /<details>/, 'no room for the unchanged list');
    assert.match(comment, /⚪ 900 unchanged \(listed in the full report\)\./);
    assertGolden(path.join(GOLDEN, 'comment-2000-models-65536.md'), comment);
  });

  it('2,000 models: the summary truncated at 1 MiB', () => {
    const report = bigReport();
    const summary = renderSummary(report, { maxBytes: SUMMARY_LIMIT_BYTES });
    assert.ok(bytes(summary) <= SUMMARY_LIMIT_BYTES, `${bytes(summary)} bytes`);
    assert.ok(bytes(summary) > SUMMARY_LIMIT_BYTES - 2_000, 'the summary uses the room it has');
    assert.ok(bytes(summary) > summary.length * 1.1, 'the names are multi-byte: bytes, not characters, are counted');
    assertWellFormed(summary);
    const pointer = summary.match(POINTER);
    assert.ok(pointer, 'the truncation pointer');
    assert.equal(tableRows(summary).length + Number(pointer[1]!.replace(/,/g, '')), 2000);
    assertGolden(path.join(GOLDEN, 'summary-2000-models-1mib.md'), summary);
  });
});

describe('markdown truncation', () => {
  const report = bigReport();
  const full = models(renderSummary(report, { maxBytes: 10_000_000 }));

  it('keeps the whole report when it fits, without a pointer', () => {
    assert.equal(full.length, 2000);
    const small = renderSummary(reportFixture());
    assert.doesNotMatch(small, POINTER);
    assert.equal(tableRows(small).length, 12);
  });

  it('stays within the default limits (1,000,000 bytes; 65,536 less the marker reserve)', () => {
    const summary = renderSummary(report);
    assert.ok(bytes(summary) <= DEFAULT_SUMMARY_MAX_BYTES);
    assert.ok(bytes(summary) > DEFAULT_SUMMARY_MAX_BYTES - 2_000);
    const comment = renderComment(report);
    assert.ok(comment.length <= DEFAULT_COMMENT_MAX_CHARS);
    assert.equal(DEFAULT_COMMENT_MAX_CHARS, 64_536);
    assert.match(summary, POINTER);
    assert.match(comment, POINTER);
  });

  it('drops rows from the end: what stays is the most severe, in order', () => {
    const kept = models(renderSummary(report, { maxBytes: 50_000 }));
    assert.ok(kept.length > 0 && kept.length < 2000);
    assert.deepEqual(kept, full.slice(0, kept.length));
  });

  it('fits tiny limits: fewer rows, then no chart and merge list, always the pointer', () => {
    for (const maxChars of [6_000, 3_000, 2_000]) {
      const comment = renderComment(report, { maxChars });
      assert.ok(comment.length <= maxChars, `${comment.length} > ${maxChars}`);
      assert.match(comment, POINTER);
      assertWellFormed(comment);
    }
    for (const maxBytes of [6_000, 3_000, 2_200]) {
      const summary = renderSummary(report, { maxBytes });
      assert.ok(bytes(summary) <= maxBytes, `${bytes(summary)} > ${maxBytes}`);
      assert.match(summary, POINTER);
      assertWellFormed(summary);
    }
    const bare = renderComment(report, { maxChars: 2_000 });
    assert.doesNotMatch(bare, /```mermaid/, 'the chart goes when not even one row fits beside it');
    assert.doesNotMatch(bare, /^- ⚠️/m, 'and so does the merge list');
    assert.match(bare, /\*\*Merge:\*\* .* · ⚠️ 2 rows could not be merged/, 'the merge counts stay');
    assert.equal(tableRows(bare).length + Number(bare.match(POINTER)![1]!.replace(/,/g, '')), 1100);
    assert.ok(tableRows(bare).length < 5);
  });

  it('the comment lists unchanged results, collapsed, only when there is room', () => {
    const roomy = renderComment(reportFixture());
    assert.match(roomy, /<details><summary>⚪ 2 unchanged<\/summary>/);
    const tight = renderComment(reportFixture(), { maxChars: roomy.length - 1 });
    assert.doesNotMatch(tight, /<details>/);
    assert.match(tight, /⚪ 2 unchanged \(listed in the full report\)/);
    assert.equal(tableRows(tight).length, 10, 'every changed row still fits');
    assert.doesNotMatch(tight, POINTER);
  });

  it('names the full report by its file when it has no URL', () => {
    const named = reportFixture({ meta: { fullReportUrl: 'report.html' } });
    assert.match(renderSummary(named, { maxBytes: 3_000 }), /see the full report \(report\.html\)$/m);
    const unnamed = reportFixture({ meta: { fullReportUrl: undefined } });
    assert.match(renderSummary(unnamed, { maxBytes: 3_000 }), /see the full report \(report\.html artifact\)$/m);
  });

  it('rejects a limit that cannot hold headline, counts and provenance, and limits that are not positive integers', () => {
    assert.throws(
      () => renderComment(report, { maxChars: 300 }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /maxChars 300 is too small for the comment: its headline, counts and provenance alone take \d+ characters/);
        return true;
      },
    );
    for (const maxBytes of [0, -1, 1.5, Number.NaN]) assert.throws(() => renderSummary(report, { maxBytes }), /maxBytes must be a positive integer/);
  });
});

describe('markdown content', () => {
  it('counts every class, names head and base (short, linked), the run, the baseline and the time', () => {
    const markdown = renderSummary(reportFixture());
    assert.match(markdown, /^\*\*⚠️ 2 regressions, ❌ 2 failed\*\*$/m);
    assert.match(
      markdown,
      /🔴 regressed \*\*2\*\* · ❌ failed \*\*2\*\* · ❓ missing \*\*2\*\* · 🆕 new \*\*2\*\* · 🟢 improved \*\*2\*\* · ⚪ unchanged \*\*2\*\*/,
    );
    assert.match(markdown, /head \[0123456\]\(https:\/\/github\.com\/ROCm\/madengine\/commit\/0123456789abcdef0123456789abcdef01234567\)/);
    assert.match(markdown, /base \[fedcba9\]\(https:\/\/github\.com\/ROCm\/madengine\/commit\/fedcba9876543210fedcba9876543210fedcba98\)/);
    assert.match(markdown, /\[perf-pr run\]\(https:\/\/github\.com\/ROCm\/madengine\/actions\/runs\/123456789\)/);
    assert.match(markdown, /baseline: artifact madengine-perf of run 123456000 \(main\) · generated 2026-12-01T12:00:00\.000Z/);
  });

  it('links commits on the run’s server (GitHub Enterprise), and shows bare short SHAs without a repository', () => {
    const ghes = renderSummary(reportFixture({ meta: { runUrl: 'https://ghe.example.com/o/r/actions/runs/5', repository: 'o/r' } }));
    assert.match(ghes, /\(https:\/\/ghe\.example\.com\/o\/r\/commit\/0123456789abcdef0123456789abcdef01234567\)/);
    const bare = renderSummary(reportFixture({ meta: { repository: undefined } }));
    assert.match(bare, /<sub>head 0123456 · base fedcba9 · /);
  });

  it('says "no regressions" when there are none', () => {
    const markdown = renderComment(reportFixture({ perClass: { improved: 1, unchanged: 3 } }));
    assert.match(markdown, /^### madengine performance: ✅ no regressions$/m);
  });

  it('charts the 20 largest changes with a baseline, worse and better as two coloured series', () => {
    const markdown = renderSummary(reportFixture({ perClass: 10 }));
    const block = markdown.match(/```mermaid\n([\s\S]*?)```/)?.[1];
    assert.ok(block);
    assert.match(block, /^xychart-beta horizontal$/m);
    const labels = block.match(/x-axis \[(.*)\]/)![1]!.split('", "');
    assert.equal(labels.length, 20);
    const worse = block.match(/^ {4}bar \[(.*)\]$/gm)!;
    assert.equal(worse.length, 2);
    const [w, b] = worse.map((line) =>
      line
        .replace(/^ {4}bar \[|\]$/g, '')
        .split(', ')
        .map(Number),
    );
    // Each entry is in exactly one series; the sizes decrease.
    const sizes = w!.map((value, i) => value + b![i]!);
    assert.ok(w!.every((value, i) => value === 0 || b![i] === 0));
    assert.deepEqual(
      sizes,
      [...sizes].sort((x, y) => y - x),
    );
  });

  it('lists the first 5 merge problems and duplicates with shard:line, and counts the rest', () => {
    const problems = Array.from({ length: 8 }, (_, i) => ({ shard: `shard-${i}.csv`, line: i + 2, message: `bad row ${i}` }));
    const markdown = renderSummary(reportFixture({ merge: { problems } }));
    assert.match(markdown, /⚠️ 8 rows could not be merged/);
    assert.match(markdown, /^- ⚠️ shard-0\.csv:2: bad row 0$/m);
    assert.match(markdown, /^- ⚠️ shard-4\.csv:6: bad row 4$/m);
    assert.doesNotMatch(markdown, /shard-5\.csv/);
    assert.match(markdown, /^- … 3 more rows that could not be merged$/m);
    assert.match(markdown, /kept perf-gfx942\/perf\.csv:3, dropped perf-gfx90a\/perf\.csv:7 \(conflicting values\)/);
  });
});

describe('markdown with hostile values (perf.csv from a fork)', () => {
  for (const [name, render] of [
    ['summary', renderSummary],
    ['comment', renderComment],
  ] as const) {
    it(`${name}: nothing survives raw`, () => {
      const markdown = render(hostileReport());
      assert.ok(markdown.includes('&lt;b&gt;'), 'the hostile values are rendered, escaped');
      assertInert(markdown);
      assertWellFormed(markdown);
    });
  }

  it('a value ending in a backslash before a pipe does not end its cell', () => {
    const report = reportFixture({ perClass: { regressed: 1 }, model: () => 'a\\|b\\', reason: () => '\\' });
    for (const line of tableRows(renderSummary(report))) assert.equal(cellPipes(line), 9);
  });

  it('every markdown template ends each interpolation with an escape filter (or calls a macro)', () => {
    const markdownTemplates = Object.keys(REPORT_TEMPLATES).filter((name) => name.endsWith('.md.njk'));
    assert.ok(markdownTemplates.length >= 3);
    const filter = new RegExp(`\\|\\s*(${MARKDOWN_FILTERS.join('|')})(\\([^)]*\\))?\\s*$`);
    const macroCall = /^(parts\.)?\w+\(.*\)$/;
    for (const name of markdownTemplates) {
      for (const [, expression] of REPORT_TEMPLATES[name]!.matchAll(/\{\{-?(.*?)-?\}\}/g)) {
        const text = expression!.trim();
        assert.ok(filter.test(text) || macroCall.test(text), `${name}: {{ ${text} }} is not escaped`);
        assert.doesNotMatch(text, /\|\s*safe\b/, `${name}: {{ ${text} }}`);
      }
    }
  });

  it('every markdown template, rendered with a hostile value in every field of its context, lets none through', () => {
    const hostile = (value: unknown): unknown => {
      if (typeof value === 'string') return HOSTILE;
      if (Array.isArray(value)) return value.map(hostile);
      if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hostile(v)]));
      return value;
    };
    for (const kind of ['summary', 'comment'] as const) {
      const context = hostile(
        markdownContext(reportFixture({ perClass: 3, merge: { problems: Array(7).fill({ shard: 's', line: 1, message: 'm' }) } }), kind),
      ) as object;
      const markdown = renderReportTemplate(`${kind}.md.njk`, context);
      assert.ok(markdown.includes('&lt;b&gt;'));
      assertInert(markdown);
    }
  });
});

/** No tag, comment, mention, issue link, link target, line break or bidi control from HOSTILE is live. */
function assertInert(markdown: string): void {
  for (const raw of ['<b>', '</b>', '<!--', '<img', '@evil', '\r', '\u202e']) assert.ok(!markdown.includes(raw), `raw ${JSON.stringify(raw)} in the output`);
  assert.doesNotMatch(markdown, /#77/, 'an issue reference');
  assert.doesNotMatch(markdown, /(?<!\\)\]\((javascript|https:\/\/t\.example)/, 'a live link or image');
  assert.doesNotMatch(markdown, /<\/details><!|<\/details>[^\n]/, 'a closing tag from a value');
  const outsideFences = markdown.replace(/^```.*$/gm, '');
  assert.doesNotMatch(outsideFences, /(?<!\\)`/, 'an unescaped backtick');
  assert.doesNotMatch(markdown, /^next line/m, 'a value broke its line');
}
