import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { COLORS, barChartSvg, niceMax, topByChange, trendSvg, valueBarsSvg } from '../../../src/core/report/charts.ts';
import type { TrendSeries } from '../../../src/core/report/types.ts';
import { HOSTILE, hostileReport } from '../../helpers/hostile-report.ts';
import { reportFixture } from '../../helpers/report-fixture.ts';

/** Attributes of every <rect> in an SVG. */
function rects(svg: string): Record<string, string>[] {
  return [...svg.matchAll(/<rect ([^>]*)\/>/g)].map(([, attributes]) =>
    Object.fromEntries([...attributes!.matchAll(/([\w-]+)="([^"]*)"/g)].map(([, k, v]) => [k!, v!])),
  );
}

const SVG_ELEMENTS = new Set(['svg', 'title', 'g', 'line', 'text', 'rect', 'polyline', 'circle']);

/** Nothing that runs or fetches: only drawing elements, no event handler, no reference (text is escaped, so every `<` opens a real tag). */
function assertStatic(svg: string): void {
  for (const [, name, attributes] of svg.matchAll(/<\/?([a-zA-Z]+)([^>]*)>/g)) {
    assert.ok(SVG_ELEMENTS.has(name!), `element <${name}>`);
    const names = [...attributes!.matchAll(/([\w:-]+)="[^"]*"/g)].map(([, attribute]) => attribute!);
    assert.equal(
      attributes!
        .replace(/\s*([\w:-]+)="[^"]*"/g, '')
        .replace(/\/$/, '')
        .trim(),
      '',
      `stray attribute text in <${name}${attributes}>`,
    );
    for (const attribute of names) assert.ok(!/^on|href$/i.test(attribute), `attribute ${attribute}`);
  }
  assert.doesNotMatch(svg, /url\(/);
}

describe('topByChange', () => {
  it('takes the largest |change|, leaving out entries without one, ties in the given order', () => {
    const entries = reportFixture().comparison.entries;
    const top = topByChange(entries, 3);
    assert.deepEqual(
      top.map((entry) => entry.relativeChange!.toFixed(1)),
      ['-9.7', '7.8', '-6.0'],
    );
    const tied = [entries[0]!, { ...entries[0]!, id: 'second' }];
    assert.deepEqual(
      topByChange(tied, 2).map((entry) => entry.id),
      [entries[0]!.id, 'second'],
    );
    assert.equal(topByChange(entries, 100).length, 6, 'failed, missing and new have no change');
  });

  it('niceMax rounds up to 1, 2 or 5 × 10^k', () => {
    assert.deepEqual([0, 0.5, 1, 1.5, 3, 7, 10, 11, 45, 51].map(niceMax), [1, 1, 1, 2, 5, 10, 10, 20, 50, 100]);
  });
});

describe('barChartSvg', () => {
  const entries = reportFixture().comparison.entries;
  const svg = barChartSvg(entries);

  it('draws one bar per entry with a change: red for worse, green for better, from the zero axis', () => {
    const bars = rects(svg);
    assert.equal(bars.length, 6);
    const zero = svg.match(/<line x1="([\d.]+)"[^>]*stroke="#57606a"/)![1];
    // In entry order: regressed ×2, improved ×2, unchanged throughput -2.0 % (worse), unchanged latency -1.5 % (better).
    assert.deepEqual(
      bars.map((bar) => bar.fill),
      [COLORS.worse, COLORS.worse, COLORS.better, COLORS.better, COLORS.worseMinor, COLORS.betterMinor],
    );
    // Regressed throughput (-9.7 %): red, ending at the zero axis (it lies left of it).
    const regressed = svg.split('<g ').find((part) => part.includes('regressed-model-1'))!;
    const [bar] = rects(`<g ${regressed}`);
    assert.equal(bar!.fill, COLORS.worse);
    assert.equal(Math.round(Number(bar!.x) + Number(bar!.width)), Math.round(Number(zero)));
    // Improved latency (-5.5 %, lower is better): green although the change is negative.
    const improvedLatency = svg.split('<g ').find((part) => part.includes('improved-model-0 · latency_ms'))!;
    assert.equal(rects(`<g ${improvedLatency}`)[0]!.fill, COLORS.better);
    // Improved throughput (+7.8 %): green, starting at the zero axis.
    const improved = rects(`<g ${svg.split('<g ').find((part) => part.includes('improved-model-1'))!}`)[0]!;
    assert.equal(improved.fill, COLORS.better);
    assert.equal(Math.round(Number(improved.x)), Math.round(Number(zero)));
  });

  it('labels axis ticks and values, with a tooltip per bar', () => {
    assert.match(svg, />-10\.0 %<\/text>/);
    assert.match(svg, />\+10\.0 %<\/text>/);
    assert.match(svg, />-9\.7 %<\/text>/);
    assert.match(svg, /<title>regressed-model-1 \| throughput \| gfx90a \| 1 \| 1 \| local: -9\.7 % \(regressed\)/);
    assertStatic(svg);
  });

  it('is empty when no entry has a change', () => {
    assert.equal(barChartSvg(reportFixture({ baselineFound: false }).comparison.entries), '');
  });

  it('escapes every text', () => {
    const hostile = barChartSvg(hostileReport().comparison.entries);
    assert.ok(hostile.includes('&lt;b&gt;'));
    assert.ok(!hostile.includes('<b>') && !hostile.includes('<img') && !hostile.includes('<!--'));
    assertStatic(hostile);
  });
});

describe('valueBarsSvg', () => {
  it('draws bars from zero, all in one colour, with the values printed', () => {
    const svg = valueBarsSvg(
      [
        { label: 'a', value: 10, title: 'a: 10' },
        { label: 'b', value: 40, title: 'b: 40' },
      ],
      'performance (samples/s)',
    );
    const [a, b] = rects(svg);
    assert.equal(a!.x, b!.x);
    assert.equal(Number(b!.width), 4 * Number(a!.width));
    assert.match(svg, />40\.00<\/text>/);
    assert.equal(valueBarsSvg([{ label: 'x', value: Number.NaN, title: '' }], 't'), '');
  });
});

describe('trendSvg', () => {
  const series: TrendSeries = reportFixture().trends![0]!;

  it('draws the points oldest first with a tooltip each, and marks where the regression began', () => {
    const svg = trendSvg(series);
    assert.equal(series.regressionStart, 6);
    const circles = [...svg.matchAll(/<circle cx="([\d.]+)" cy="[\d.]+" r="(\d)" fill="([^"]+)"><title>([^<]*)<\/title>/g)];
    assert.equal(circles.length, 8);
    const xs = circles.map((c) => Number(c[1]));
    assert.deepEqual(
      xs,
      [...xs].sort((p, q) => p - q),
    );
    assert.equal(circles[6]![2], '5', 'a larger marker at the start of the regression');
    assert.equal(circles[6]![3], COLORS.worse);
    assert.equal(circles[0]![3], COLORS.line);
    assert.match(circles[0]![4]!, /^2026-11-20 · 0000000 · run 123456000 · mean [\d.]+ · 3 samples$/);
    assert.match(svg, /class="regression-start"/);
    assert.match(svg, />regression from 2026-11-26<\/text>/);
    assertStatic(svg);
  });

  it('draws a series without a regression in one colour, a single point, and nothing for no points', () => {
    const calm = trendSvg({ ...series, regressionStart: undefined });
    assert.doesNotMatch(calm, /regression/);
    assert.doesNotMatch(calm, new RegExp(`fill="${COLORS.worse}"`));
    const one = trendSvg({ ...series, regressionStart: undefined, points: series.points.slice(0, 1) });
    assert.equal([...one.matchAll(/<circle/g)].length, 1);
    assert.equal(trendSvg({ ...series, points: [] }), '');
  });

  it('escapes every text', () => {
    const svg = trendSvg(hostileReport().trends![0]!);
    assert.ok(svg.includes('&lt;b&gt;'));
    assert.ok(!svg.includes(HOSTILE.slice(0, 8)));
    assertStatic(svg);
  });
});
