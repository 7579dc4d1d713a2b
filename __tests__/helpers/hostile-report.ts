/**
 * A report whose every text field is attacker data (what a fork's perf.csv and run can put there), for
 * the escaping tests of every renderer.
 */
import type { Report } from '../../src/core/report/types.ts';
import { reportFixture } from './report-fixture.ts';

/** Tags, a comment, a mention, an issue reference, links, an image, backticks, a pipe, a CRLF and a bidi override. */
export const HOSTILE =
  '<b>x</b> | a\\| @evil #77 `tick` </details><!-- <img src=x onerror=alert(1)> ![i](https://t.example/x.png) [l](javascript:alert(1)) *b* _i_ &amp;\r\nnext line \u202eevil';

export function hostileReport(): Report {
  const report = reportFixture({ perClass: 2, model: () => HOSTILE, reason: () => HOSTILE, trends: 3 });
  for (const entry of report.comparison.entries) {
    entry.id = HOSTILE;
    for (const key of Object.keys(entry.key) as (keyof typeof entry.key)[]) entry.key[key] = HOSTILE;
    for (const side of [entry.head, entry.base]) {
      if (side === undefined) continue;
      side.failures = [HOSTILE];
      side.machines = [HOSTILE];
      side.imageDigests = [HOSTILE];
    }
  }
  for (const series of report.trends ?? []) {
    series.id = HOSTILE;
    for (const key of Object.keys(series.key) as (keyof typeof series.key)[]) series.key[key] = HOSTILE;
    for (const point of series.points) {
      point.runId = HOSTILE;
      point.sha = HOSTILE;
      point.date = HOSTILE;
    }
  }
  report.meta = {
    title: HOSTILE,
    repository: HOSTILE,
    headSha: HOSTILE,
    baseSha: HOSTILE,
    runUrl: HOSTILE,
    workflow: HOSTILE,
    pullRequest: 7,
    baseline: HOSTILE,
    generatedAt: HOSTILE,
    fullReportUrl: HOSTILE,
  };
  report.merge = {
    shards: [{ name: HOSTILE, rows: 3 }],
    problems: [{ shard: HOSTILE, line: 2, message: HOSTILE }],
    duplicates: [{ identity: HOSTILE, kept: { shard: HOSTILE, line: 1 }, dropped: [{ shard: HOSTILE, line: 2 }], conflicting: true }],
  };
  return report;
}
