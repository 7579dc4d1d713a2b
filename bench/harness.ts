/** Shared bench helpers: time whole commands (median wall time, peak RSS) and print results. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The same measurement for the in-run baseline, when there is one. */
  baseline?: number;
  ratio?: number;
  note?: string;
}

const TIME = '/usr/bin/time';

/** Runs `command` `runs` times; median wall ms and max peak RSS (MiB, via /usr/bin/time when present). */
export function timeCommand(
  command: string,
  args: readonly string[],
  options: { runs?: number; cwd?: string; env?: NodeJS.ProcessEnv; allowFailure?: boolean } = {},
): { ms: number; rssMiB: number } {
  const runs = options.runs ?? 5;
  const times: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const useTime = existsSync(TIME);
    const started = process.hrtime.bigint();
    const result = useTime
      ? spawnSync(TIME, ['-f', '%M', command, ...args], { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 1 << 30 })
      : spawnSync(command, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 1 << 30 });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (result.status !== 0 && !options.allowFailure) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr.slice(-2000)}`);
    if (useTime) rss = Math.max(rss, Number(result.stderr.trim().split('\n').pop()) / 1024);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, rssMiB: rss };
}

export function printResults(title: string, results: readonly BenchResult[]): void {
  console.log(`\n## ${title}`);
  for (const r of results) {
    const base = r.baseline !== undefined ? ` (baseline ${r.baseline.toFixed(1)} ${r.unit}, ratio ${r.ratio?.toFixed(2)})` : '';
    console.log(`- ${r.name}: ${r.value.toFixed(1)} ${r.unit}${base}${r.note ? ` — ${r.note}` : ''}`);
  }
}
