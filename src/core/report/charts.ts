/**
 * Inline SVG charts for the HTML report: no scripts, no external references, every text XML-escaped,
 * tooltips as <title>. Coordinates are rounded to 0.1 so the output is small and the same everywhere.
 */
import { capText, escapeXml } from './escape.ts';
import { formatGpu, formatNumber, formatSigned, isWorse } from './format.ts';
import type { ChangeClass, ComparisonEntry, Direction, TrendSeries } from './types.ts';

export const COLORS = {
  worse: '#cf222e',
  better: '#1a7f37',
  /** Within the threshold (or not significant): the direction shows, faintly. */
  worseMinor: '#ff8182',
  betterMinor: '#6fdd8b',
  line: '#0969da',
  axis: '#57606a',
  grid: '#d0d7de',
  text: '#1f2328',
} as const;

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

/** The `limit` entries with the largest |relativeChange| (those without one left out), ties in the given order. */
export function topByChange(entries: readonly ComparisonEntry[], limit: number): ComparisonEntry[] {
  return entries
    .map((entry, index) => ({ entry, index, size: Math.abs(entry.relativeChange ?? Number.NaN) }))
    .filter((item) => Number.isFinite(item.size))
    .sort((a, b) => b.size - a.size || a.index - b.index)
    .slice(0, limit)
    .map((item) => item.entry);
}

/** Axis end: the smallest 1, 2 or 5 × 10^k at or above `value` (at least 1). */
export function niceMax(value: number): number {
  if (!(value > 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

const r = (n: number): string => String(Math.round(n * 10) / 10);

function barColor(changeClass: ChangeClass, worse: boolean): string {
  if (changeClass === 'regressed') return COLORS.worse;
  if (changeClass === 'improved') return COLORS.better;
  return worse ? COLORS.worseMinor : COLORS.betterMinor;
}

/** "model · metric · gfx942 × 8, 1 node" */
export function entryLabel(entry: { key: ComparisonEntry['key'] }): string {
  return `${entry.key.model} · ${entry.key.metric} · ${formatGpu(entry.key)}`;
}

interface Bar {
  label: string;
  value: number;
  fill: string;
  /** Tooltip. */
  title: string;
  /** Printed right of the plot. */
  valueText: string;
  className: string;
}

/** Horizontal bars from zero over [low, high], a label left of each and its value right of the plot. */
function horizontalBarsSvg(
  bars: readonly Bar[],
  low: number,
  high: number,
  ticks: readonly { at: number; text: string }[],
  title: string,
  className: string,
): string {
  const row = 22;
  const labelWidth = 380;
  const plotWidth = 480;
  const valueWidth = 100;
  const top = 30;
  const width = labelWidth + plotWidth + valueWidth;
  const height = top + bars.length * row + 10;
  const x = (value: number): number => labelWidth + ((value - low) / (high - low || 1)) * plotWidth;
  const zero = x(0);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="${className}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ${FONT} font-size="12" role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title>`,
  ];
  for (const tick of ticks) {
    parts.push(
      `<line x1="${r(x(tick.at))}" y1="${top - 6}" x2="${r(x(tick.at))}" y2="${height - 6}" stroke="${tick.at === 0 ? COLORS.axis : COLORS.grid}" stroke-width="${tick.at === 0 ? 1.5 : 1}"/>`,
      `<text x="${r(x(tick.at))}" y="${top - 12}" text-anchor="middle" fill="${COLORS.axis}">${escapeXml(tick.text)}</text>`,
    );
  }
  bars.forEach((bar, index) => {
    const y = top + index * row;
    const end = x(bar.value);
    parts.push(
      `<g class="${bar.className}">`,
      `<title>${escapeXml(bar.title)}</title>`,
      `<text x="${labelWidth - 8}" y="${r(y + row / 2 + 4)}" text-anchor="end" fill="${COLORS.text}">${escapeXml(capText(bar.label, 56))}</text>`,
      `<rect x="${r(Math.min(zero, end))}" y="${r(y + 4)}" width="${r(Math.max(1, Math.abs(end - zero)))}" height="${row - 8}" fill="${bar.fill}"/>`,
      `<text x="${labelWidth + plotWidth + 8}" y="${r(y + row / 2 + 4)}" fill="${COLORS.text}">${escapeXml(bar.valueText)}</text>`,
      `</g>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * A horizontal bar per entry that has a relative change (in the given order): left of the zero axis
 * for a decrease, right for an increase; red when the change is for the worse (by the metric's
 * direction), green when for the better, full colour for regressed/improved. '' when nothing to draw.
 */
export function barChartSvg(entries: readonly ComparisonEntry[]): string {
  const shown = entries.filter((entry) => entry.relativeChange !== undefined && Number.isFinite(entry.relativeChange));
  if (shown.length === 0) return '';
  const max = niceMax(Math.max(...shown.map((entry) => Math.abs(entry.relativeChange!))));
  const bars = shown.map((entry): Bar => {
    const change = entry.relativeChange!;
    return {
      label: entryLabel(entry),
      value: change,
      fill: barColor(entry.class, isWorse(entry.direction, change)),
      title: `${entry.id}: ${formatSigned(change)} % (${entry.class}) — ${entry.reason}`,
      valueText: `${formatSigned(change)} %`,
      className: `bar bar-${entry.class}`,
    };
  });
  const ticks = [-max, -max / 2, 0, max / 2, max].map((at) => ({ at, text: `${formatSigned(at)} %` }));
  return horizontalBarsSvg(bars, -max, max, ticks, 'Relative change against the baseline (%)', 'bar-chart');
}

/** Horizontal bars of plain values (to-html: performance per model), in one colour, from zero. '' when empty. */
export function valueBarsSvg(values: readonly { label: string; value: number; title: string }[], title: string): string {
  const shown = values.filter((value) => Number.isFinite(value.value));
  if (shown.length === 0) return '';
  const low = Math.min(0, ...shown.map((value) => value.value));
  const high = Math.max(0, ...shown.map((value) => value.value));
  const bars = shown.map((value): Bar => ({ ...value, fill: COLORS.line, valueText: formatNumber(value.value), className: 'bar' }));
  const ticks = [...new Set([low, 0, high])].map((at) => ({ at, text: formatNumber(at) }));
  return horizontalBarsSvg(bars, low, high, ticks, title, 'value-chart');
}

function directionNote(direction: Direction): string {
  return direction === 'higher' ? 'higher is better' : 'lower is better';
}

/**
 * One model's history: a line through its points (oldest left), a tooltip per point, and where the
 * current regression began (series.regressionStart) a red marker, a dashed line and a label; the line
 * from there on is red. '' for a series without points.
 */
export function trendSvg(series: TrendSeries): string {
  const points = series.points;
  if (points.length === 0) return '';
  const width = 360;
  const height = 150;
  const left = 56;
  const right = 14;
  const top = 22;
  const bottom = 30;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const means = points.map((point) => point.mean);
  let low = Math.min(...means);
  let high = Math.max(...means);
  const pad = high === low ? Math.abs(high) * 0.05 || 1 : (high - low) * 0.1;
  low -= pad;
  high += pad;
  const x = (i: number): number => left + (points.length === 1 ? plotWidth / 2 : (i * plotWidth) / (points.length - 1));
  const y = (v: number): number => top + plotHeight - ((v - low) / (high - low)) * plotHeight;
  const start =
    series.regressionStart !== undefined && series.regressionStart >= 0 && series.regressionStart < points.length ? series.regressionStart : undefined;
  const path = (from: number, to: number): string =>
    points
      .slice(from, to + 1)
      .map((point, i) => `${r(x(from + i))},${r(y(point.mean))}`)
      .join(' ');
  const day = (date: string): string => date.slice(0, 10);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="trend" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ${FONT} font-size="11" role="img" aria-label="${escapeXml(`Trend of ${series.id}`)}">`,
    `<title>${escapeXml(`${series.id} (${directionNote(series.direction)})`)}</title>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" stroke="${COLORS.axis}"/>`,
    `<line x1="${left}" y1="${top + plotHeight}" x2="${width - right}" y2="${top + plotHeight}" stroke="${COLORS.axis}"/>`,
    `<text x="${left - 4}" y="${r(y(high - pad) + 4)}" text-anchor="end" fill="${COLORS.axis}">${escapeXml(formatNumber(high - pad))}</text>`,
    `<text x="${left - 4}" y="${r(y(low + pad) + 4)}" text-anchor="end" fill="${COLORS.axis}">${escapeXml(formatNumber(low + pad))}</text>`,
    `<text x="${left}" y="${height - 10}" fill="${COLORS.axis}">${escapeXml(day(points[0]!.date))}</text>`,
    `<text x="${width - right}" y="${height - 10}" text-anchor="end" fill="${COLORS.axis}">${escapeXml(day(points[points.length - 1]!.date))}</text>`,
  ];
  if (start !== undefined) {
    const at = x(start);
    parts.push(
      `<line class="regression-start" x1="${r(at)}" y1="${top}" x2="${r(at)}" y2="${top + plotHeight}" stroke="${COLORS.worse}" stroke-dasharray="4 3"/>`,
      `<text x="${r(at)}" y="${top - 8}" text-anchor="${start > (points.length - 1) / 2 ? 'end' : 'start'}" fill="${COLORS.worse}">${escapeXml(`regression from ${day(points[start]!.date)}`)}</text>`,
    );
  }
  const lineEnd = start === undefined ? points.length - 1 : Math.max(0, start - 1);
  if (points.length > 1 && lineEnd > 0) parts.push(`<polyline points="${path(0, lineEnd)}" fill="none" stroke="${COLORS.line}" stroke-width="2"/>`);
  if (start !== undefined) {
    const from = Math.max(0, start - 1);
    if (points.length - 1 > from) parts.push(`<polyline points="${path(from, points.length - 1)}" fill="none" stroke="${COLORS.worse}" stroke-width="2"/>`);
  }
  points.forEach((point, i) => {
    const marker = i === start;
    const tip = [
      day(point.date),
      point.sha === undefined ? undefined : point.sha.slice(0, 7),
      `run ${point.runId}`,
      `mean ${formatNumber(point.mean)}`,
      `${point.samples} samples`,
    ]
      .filter((part) => part !== undefined)
      .join(' · ');
    parts.push(
      `<circle cx="${r(x(i))}" cy="${r(y(point.mean))}" r="${marker ? 5 : 3}" fill="${marker || (start !== undefined && i > start) ? COLORS.worse : COLORS.line}"><title>${escapeXml(tip)}</title></circle>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
