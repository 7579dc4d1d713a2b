import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/errors.ts';
import { csvDigestHtml, csvToHtml, renderHtmlReport } from '../../../src/core/report/html.ts';
import { PERF_CSV_COLUMNS } from '../../../src/core/perf/perf-csv.ts';
import { formatCsv } from '../../helpers/csv.ts';
import { HOSTILE, hostileReport } from '../../helpers/hostile-report.ts';
import { reportFixture } from '../../helpers/report-fixture.ts';

/** Loads nothing and runs nothing: no script, no handler, no external resource; links only to http(s). */
function assertSelfContained(html: string): void {
  assert.doesNotMatch(html, /<script|<iframe|<object|<embed|<link|<img|<image|@import|url\(/i);
  for (const [, attributes] of html.matchAll(/<[a-zA-Z]+((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*\/?>/g)) {
    for (const [, name, value] of attributes!.matchAll(/([\w:-]+)(?:="([^"]*)")?/g)) {
      assert.ok(!/^on/i.test(name!), `event handler ${name}`);
      if (name === 'href') assert.match(value!, /^https?:\/\//, `href ${value}`);
      assert.notEqual(name, 'src', 'nothing is fetched');
    }
  }
}

function assertInert(html: string): void {
  assert.ok(html.includes('&lt;b&gt;x&lt;/b&gt;'), 'the hostile values are rendered, escaped');
  for (const raw of ['<b>', '<img', '<!--', 'onerror=alert(1)>']) assert.ok(!html.includes(raw), `raw ${raw}`);
}

describe('renderHtmlReport', () => {
  const report = reportFixture();
  const html = renderHtmlReport(report);

  it('is one self-contained page: inline CSS, a CSP that forbids scripts and fetches', () => {
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/);
    assert.match(html, /<style>/);
    assertSelfContained(html);
  });

  it('names where it came from and counts every class', () => {
    assert.match(html, /head <a href="https:\/\/github\.com\/ROCm\/madengine\/commit\/0123456789abcdef0123456789abcdef01234567">0123456<\/a>/);
    assert.match(html, /base <a href="[^"]+fedcba98">fedcba9<\/a>/);
    assert.match(html, /<a href="https:\/\/github\.com\/ROCm\/madengine\/actions\/runs\/123456789">perf-pr run<\/a>/);
    assert.match(html, /baseline: artifact madengine-perf of run 123456000 \(main\)/);
    assert.match(html, /<li class="c-regressed">🔴 regressed <strong>2<\/strong><\/li>/);
    assert.match(html, /<p class="headline">⚠️ 2 regressions, ❌ 2 failed<\/p>/);
  });

  it('has the bar chart, the full table (nothing truncated) and one trend chart per series', () => {
    assert.match(html, /<svg [^>]*class="bar-chart"/);
    const big = reportFixture({ perClass: 400 });
    const bigHtml = renderHtmlReport(big);
    assert.equal([...bigHtml.matchAll(/<tr class="c-/g)].length, 2400);
    assert.match(bigHtml, /Largest 50 of 1,200 changes against the baseline/);
    assert.equal([...bigHtml.matchAll(/<g class="bar /g)].length, 50);
    assert.equal([...html.matchAll(/<figure>/g)].length, report.trends!.length);
    assert.match(html, /<figcaption>regressed-model-1 · throughput · gfx90a × 1, 1 node — regression from 2026-11-26<\/figcaption>/);
  });

  it('lists every merge problem and duplicate', () => {
    const problems = Array.from({ length: 8 }, (_, i) => ({ shard: `shard-${i}.csv`, line: i + 2, message: `bad row ${i}` }));
    const merged = renderHtmlReport(reportFixture({ merge: { problems } }));
    for (let i = 0; i < 8; i++) assert.match(merged, new RegExp(`<tr><td>shard-${i}\\.csv:${i + 2}</td><td>bad row ${i}</td></tr>`));
    assert.match(merged, /<td>regressed-model-0 \| throughput \| run 1<\/td><td>perf-gfx942\/perf\.csv:3<\/td><td>perf-gfx90a\/perf\.csv:7<\/td><td>yes<\/td>/);
  });

  it('says when there is no baseline, without a chart', () => {
    const none = renderHtmlReport(reportFixture({ baselineFound: false, trends: 0 }));
    assert.match(none, /<p class="note">No baseline found: no successful run of perf-nightly on main\./);
    assert.doesNotMatch(none, /class="bar-chart"/);
    assert.doesNotMatch(none, /id="trends"/);
  });

  it('escapes hostile values everywhere (autoescape, and the SVG)', () => {
    const hostile = renderHtmlReport(hostileReport());
    assertInert(hostile);
    assertSelfContained(hostile);
  });
});

function perfCsv(rows: Record<string, string>[]): string {
  return formatCsv([[...PERF_CSV_COLUMNS], ...rows.map((row) => PERF_CSV_COLUMNS.map((column) => row[column] ?? ''))]);
}

describe('csvToHtml (report to-html)', () => {
  const text = perfCsv([
    { model: 'dummy', n_gpus: '8', gpu_architecture: 'gfx942', performance: '120.5', metric: 'samples/s', status: 'SUCCESS' },
    { model: 'dummy', n_gpus: '8', gpu_architecture: 'gfx942', performance: '119.5', metric: 'samples/s', status: 'SUCCESS' },
    { model: 'dummy2', n_gpus: '8', gpu_architecture: 'gfx942', performance: '60', metric: 'samples/s', status: 'SUCCESS' },
    { model: 'broken', n_gpus: '8', gpu_architecture: 'gfx942', performance: '999', metric: 'samples/s', status: 'FAILURE' },
    { model: 'slow', n_gpus: '1', performance: '3.5', metric: 'ms', status: 'SUCCESS' },
  ]);

  it('renders every row and column as a table', () => {
    const html = csvToHtml(text, 'perf');
    assert.match(html, /<title>perf<\/title>/);
    assert.equal([...html.matchAll(/<tr><td>/g)].length, 5);
    assert.equal([...html.matchAll(/<th>/g)].length, PERF_CSV_COLUMNS.length);
    assert.match(html, /<td>broken<\/td>/);
    assertSelfContained(html);
  });

  it('charts the mean performance per model, one chart per metric, SUCCESS rows only', () => {
    const html = csvToHtml(text, 'perf');
    const charts = html.split('<section class="chart">').slice(1);
    assert.equal(charts.length, 2);
    assert.match(charts[0]!, /<h2>samples\/s<\/h2>/);
    assert.equal([...charts[0]!.matchAll(/<rect /g)].length, 2, 'dummy and dummy2; the FAILURE row is left out');
    assert.match(charts[0]!, /<title>dummy · gfx942 × 8: 120\.0 samples\/s \(mean of 2 rows\)<\/title>/);
    assert.match(charts[1]!, /<h2>ms<\/h2>/);
  });

  it('renders a CSV without perf columns as a plain table', () => {
    const html = csvToHtml('a,b\n1,2\n', 'other');
    assert.doesNotMatch(html, /<svg/);
    assert.match(html, /<tr><td>1<\/td><td>2<\/td><\/tr>/);
  });

  it('rejects an empty CSV and a malformed one, naming it', () => {
    assert.throws(
      () => csvToHtml('', 'perf.csv'),
      (error: unknown) => error instanceof ConfigError && /perf\.csv: the CSV is empty/.test(error.message),
    );
    assert.throws(
      () => csvToHtml('a,b\n1,2,3\n', 'perf.csv'),
      (error: unknown) => error instanceof ConfigError && error.line === 2 && /perf\.csv: row has 3 fields/.test(error.message),
    );
  });

  it('escapes hostile values', () => {
    const html = csvToHtml(perfCsv([{ model: HOSTILE, performance: '1', metric: HOSTILE, status: 'SUCCESS' }]), HOSTILE);
    assertInert(html);
    assertSelfContained(html);
  });
});

describe('csvDigestHtml (report to-email)', () => {
  it('renders an <h2>{stem}</h2> and a table per CSV, in the given order, styled inline', () => {
    const html = csvDigestHtml([
      { name: 'run/perf_b.csv', text: 'model,status\nx,SUCCESS\ny,FAILURE\n' },
      { name: 'perf_a.csv', text: 'model\nz\n' },
      { name: 'empty.csv', text: '' },
    ]);
    const stems = [...html.matchAll(/<h2 [^>]*>([^<]*)<\/h2>/g)].map((match) => match[1]);
    assert.deepEqual(stems, ['perf_b', 'perf_a', 'empty']);
    assert.doesNotMatch(html, /<style/, 'mail clients drop <style>: styles are inline');
    assert.match(html, /<table [^>]*style="border-collapse:collapse;/);
    assert.match(html, /<tr style="background:#ffebe9;"><td [^>]*>y<\/td>/, 'a FAILURE row stands out');
    assert.match(html, /<tr style="background:#ffffff;"><td [^>]*>x<\/td>/);
    assert.match(html, /\(empty file\)/);
    assertSelfContained(html);
  });

  it('escapes hostile names and values, and names a malformed file', () => {
    const html = csvDigestHtml([{ name: `${HOSTILE}.csv`, text: formatCsv([['model'], [HOSTILE]]) }]);
    assertInert(html);
    assert.throws(() => csvDigestHtml([{ name: 'bad.csv', text: 'a\n"open\n' }]), /bad\.csv: unterminated quoted field/);
  });
});
