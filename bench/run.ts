/**
 * `npm run bench`: every benchmark, printed as Markdown for bench/README.md. Needs `npm run build`
 * (benchmarks go through the CLI bundle) and, for build/run, the infrastructure of scripts/test-infra.sh.
 * BENCH_ONLY=discover,build,run,parse,actions,perfcsv,report,slurm picks a subset.
 */
import { benchDiscover } from './discover.ts';
import { benchBuild } from './build.ts';
import { benchRunModels } from './run-models.ts';
import { benchPerfParse } from './perf-parse.ts';
import { benchActions } from './actions.ts';
import { benchPerfCsv } from './perf-csv.ts';
import { benchReport } from './report.ts';
import { benchSlurm } from './slurm.ts';
import { type BenchResult, printResults } from './harness.ts';

const suites: Record<string, [string, () => Promise<BenchResult[]>]> = {
  discover: ['Discovery (issue: foundation)', benchDiscover],
  build: ['Build (issue: build)', benchBuild],
  run: ['Run (issue: run locally)', benchRunModels],
  parse: ['Log parsing (issue: run locally)', benchPerfParse],
  actions: ['Actions (issue: GitHub Actions)', benchActions],
  perfcsv: ['perf.csv appends (issue 9: results never wrong or lost)', benchPerfCsv],
  report: ['collect-perf merge and compare (issue 10)', benchReport],
  slurm: ['deploy-slurm: wait and submit (issue 11)', benchSlurm],
};

const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
console.log(`# bench ${new Date().toISOString()} on ${process.version}, ${(await import('node:os')).cpus().length} cores`);
for (const [key, [title, run]] of Object.entries(suites)) {
  if (only && !only.includes(key)) continue;
  printResults(title, await run());
}
