/**
 * HTML renderings: the full collect-perf report (one self-contained file: inline CSS and SVG, no
 * script, no network, a CSP that forbids both), and madengine's `report to-html` (a CSV as a table,
 * compat §6, with a chart of performance) and `report to-email` (every CSV as <h2> + table, inline styles).
 */
import { ConfigError } from '../errors.ts';
import { CsvSyntaxError, parseCsvTable, type CsvTable } from '../util/csv.ts';
import { barChartSvg, entryLabel, topByChange, trendSvg, valueBarsSvg } from './charts.ts';
import { formatCount, formatGpu, formatNumber } from './format.ts';
import { renderReportTemplate } from './templates.ts';
import type { Report } from './types.ts';
import { reportView } from './view.ts';

/** Bars in the report's chart: the largest changes (the table lists everything). */
export const HTML_CHART_MAX_BARS = 50;

export function renderHtmlReport(report: Report): string {
  const view = reportView(report);
  const withChange = report.comparison.entries.filter((entry) => entry.relativeChange !== undefined).length;
  const top = topByChange(report.comparison.entries, HTML_CHART_MAX_BARS);
  const trends = (report.trends ?? []).filter((series) => series.points.length > 0);
  return renderReportTemplate('report.html.njk', {
    ...view,
    barChart: barChartSvg(top),
    chartTitle: top.length < withChange ? `Largest ${top.length} of ${formatCount(withChange)} changes against the baseline` : 'Change against the baseline',
    rowCount: formatCount(view.rows.length),
    trends: trends.map((series) => {
      const start = series.regressionStart === undefined ? undefined : series.points[series.regressionStart];
      return { label: entryLabel(series), svg: trendSvg(series), regressionFrom: start === undefined ? null : start.date.slice(0, 10) };
    }),
    trendPoints: Math.max(0, ...trends.map((series) => series.points.length)),
    shards: report.merge.shards.map((shard) => ({ name: shard.name, rows: formatCount(shard.rows) })),
  });
}

/** `report to-html`: the CSV as a table, with one bar chart per metric of the SUCCESS rows' performance. */
export function csvToHtml(csvText: string, title: string): string {
  const table = parseCsv(csvText, title);
  if (table.columns.length === 0) throw new ConfigError(`${title}: the CSV is empty (no header row); nothing to render`);
  return renderReportTemplate('csv.html.njk', {
    title,
    columns: table.columns,
    rows: table.rows.map((row) => table.columns.map((column) => row[column] ?? '')),
    charts: performanceCharts(table),
  });
}

/** `report to-email`: one `<h2>{stem}</h2>` and table per CSV, in the given order, styled inline for mail clients. */
export function csvDigestHtml(files: readonly { name: string; text: string }[]): string {
  return renderReportTemplate('digest.html.njk', {
    title: 'Run results',
    files: files.map((file) => {
      const table = parseCsv(file.text, file.name);
      return {
        stem: stem(file.name),
        columns: table.columns,
        rows: table.rows.map((row) => ({
          background: (row.status ?? '').trim().toUpperCase() === 'FAILURE' ? '#ffebe9' : '#ffffff',
          values: table.columns.map((column) => row[column] ?? ''),
        })),
      };
    }),
  });
}

/** "dir/perf_mi300.csv" -> "perf_mi300" */
function stem(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  return base.toLowerCase().endsWith('.csv') ? base.slice(0, -4) : base;
}

function parseCsv(text: string, name: string): CsvTable {
  try {
    return parseCsvTable(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new ConfigError(`${name}: ${error.message}`, { line: error.line, column: error.column, cause: error });
    throw error;
  }
}

/** Per metric, the mean performance of each model (and GPU topology) over its SUCCESS rows. */
function performanceCharts(table: CsvTable): { metric: string; svg: string }[] {
  if (!table.columns.includes('model') || !table.columns.includes('performance')) return [];
  const byMetric = new Map<string, Map<string, { label: string; values: number[] }>>();
  for (const row of table.rows) {
    if ((row.status ?? '').trim().toUpperCase() !== 'SUCCESS') continue;
    const text = (row.performance ?? '').trim();
    const value = text === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(value)) continue;
    const metric = (row.metric ?? '').trim() || '(no metric)';
    const key = {
      model: row.model ?? '',
      gpu_architecture: row.gpu_architecture ?? '',
      n_gpus: row.n_gpus ?? '',
      nnodes: row.nnodes ?? '',
      deployment_type: row.deployment_type ?? '',
    };
    const hasGpu = key.gpu_architecture !== '' || key.n_gpus !== '';
    const label = hasGpu ? `${key.model} · ${formatGpu({ ...key, metric })}` : key.model;
    const models = byMetric.get(metric) ?? new Map<string, { label: string; values: number[] }>();
    byMetric.set(metric, models);
    const series = models.get(label) ?? { label, values: [] };
    models.set(label, series);
    series.values.push(value);
  }
  return [...byMetric].map(([metric, models]) => ({
    metric,
    svg: valueBarsSvg(
      [...models.values()].map((series) => {
        const mean = series.values.reduce((a, b) => a + b, 0) / series.values.length;
        return { label: series.label, value: mean, title: `${series.label}: ${formatNumber(mean)} ${metric} (mean of ${series.values.length} rows)` };
      }),
      `performance (${metric}), mean of SUCCESS rows`,
    ),
  }));
}
