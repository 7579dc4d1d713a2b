/**
 * Benchmark: appending to perf.csv (issue 9 item 12). 20 rows appended one by one (like 20 models)
 * to an empty perf.csv and to a 400,000-row one; target: the large file costs at most 1.5x the
 * empty one in time, and memory stays flat.
 *
 *   node --import tsx bench/perf-csv.ts         (BENCH_PERFCSV_ROWS=400000, BENCH_PERFCSV_OLD=1)
 *
 * The large file is built once, outside the timing, and copied before each measurement; every
 * measurement runs in a fresh child process, so its time and peak RSS are its own. With
 * BENCH_PERFCSV_OLD=1 (the default) the same run also measures the algorithm this replaced (read,
 * parse and rewrite the whole file on every append), taken from git history; on the large file it
 * does only a few appends (each rewrites ~180 MB) and reports the time per append.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFile, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchResult } from './harness.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NEW_MODULE = join(ROOT, 'src/core/perf/perf-csv.ts');
/** The last commit with the rewrite-every-append algorithm. */
const OLD_REV = 'a4a99a4';
const APPENDS = 20;

interface ChildReport {
  appends: number;
  ms: number;
  /** user + system CPU time of the appends (less disturbed by other load than wall time). */
  cpuMs: number;
  rssBeforeMiB: number;
  peakRssMiB: number;
}

/** A realistic row: every known column, image names, digests and timestamps (~450 bytes). */
function row(i: number, columns: readonly string[]): Record<string, string> {
  const hex = (seed: number, length: number): string => {
    let out = '';
    for (let x = Math.imul(seed + 1, 2654435761) >>> 0; out.length < length; x = Math.imul(x ^ (x >>> 15), 2246822519) >>> 0)
      out += x.toString(16).padStart(8, '0');
    return out.slice(0, length);
  };
  const values: Record<string, string> = {
    model: `org/model_${i % 5000}`,
    n_gpus: '8',
    nnodes: '1',
    gpus_per_node: '8',
    training_precision: i % 2 ? 'bf16' : 'fp16',
    args: '--batch-size 32 --seq-len 2048',
    tags: 'pyt,llm,training',
    docker_file: 'docker/pyt_huggingface.ubuntu.amd.Dockerfile',
    base_docker: 'rocm/pytorch:rocm6.4_ubuntu22.04_py3.10_pytorch_release_2.6.0',
    docker_sha: `sha256:${hex(i, 64)}`,
    docker_image: `ci-org_model_${i % 5000}_pyt_huggingface.ubuntu.amd`,
    git_commit: hex(i + 7, 40),
    machine_name: `node-${i % 64}`,
    deployment_type: 'local',
    launcher: 'docker',
    gpu_architecture: 'gfx942',
    performance: String(1000 + (i % 9000) + 0.5),
    metric: 'samples_per_second',
    status: 'SUCCESS',
    build_duration: '12.5',
    test_duration: '301.25',
    build_number: String(i),
    executor: 'docker',
    image_digest: `sha256:${hex(i + 3, 64)}`,
    run_id: `${hex(i + 11, 8)}-${hex(i + 13, 4)}-${hex(i + 17, 4)}`,
    started_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
  };
  return Object.fromEntries(columns.map((name) => [name, values[name] ?? '']));
}

async function buildLargeFile(path: string, rows: number): Promise<number> {
  const { KNOWN_COLUMNS } = await import(pathToFileURL(NEW_MODULE).href);
  const { formatCsvRow } = await import(pathToFileURL(join(ROOT, 'src/core/util/csv.ts')).href);
  const handle = await open(path, 'w');
  try {
    await handle.write(formatCsvRow(KNOWN_COLUMNS));
    for (let i = 0; i < rows; i += 10_000) {
      let chunk = '';
      for (let j = i; j < Math.min(rows, i + 10_000); j++) chunk += formatCsvRow(Object.values(row(j, KNOWN_COLUMNS)));
      await handle.write(chunk);
    }
  } finally {
    await handle.close();
  }
  return (await stat(path)).size;
}

/** The replaced perf-csv.ts from git history, importable from `dir`; undefined when git cannot give it. */
async function oldModule(dir: string): Promise<string | undefined> {
  let source: string;
  try {
    source = execFileSync('git', ['show', `${OLD_REV}:src/core/perf/perf-csv.ts`], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
  const absolute = source.replace(/from '\.\.\/([^']+)'/g, (_, rel: string) => `from ${JSON.stringify(pathToFileURL(join(ROOT, 'src/core', rel)).href)}`);
  const path = join(dir, 'perf-csv-old.ts');
  await writeFile(path, absolute);
  return path;
}

async function childMain(module: string, path: string, appends: number): Promise<void> {
  const { appendPerfRows, KNOWN_COLUMNS } = await import(pathToFileURL(module).href);
  const rows = Array.from({ length: appends }, (_, i) => row(1_000_000 + i, KNOWN_COLUMNS));
  const rssBefore = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (const r of rows) await appendPerfRows(path, [r]);
  const used = process.cpuUsage(cpu);
  const report: ChildReport = {
    appends,
    ms: performance.now() - start,
    cpuMs: (used.user + used.system) / 1000,
    rssBeforeMiB: rssBefore / 1024 / 1024,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(report));
}

function runChild(module: string, path: string, appends: number): Promise<ChildReport> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', self, '--child', module, path, String(appends)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (data: Buffer) => (out += data.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as ChildReport) : reject(new Error(`bench child exited with ${code}`))));
  });
}

/** Copies and fsyncs, so the timed appends' own fsyncs do not pay for flushing the copy. */
async function copyFileSynced(source: string, target: string): Promise<void> {
  await copyFile(source, target);
  const handle = await open(target, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

interface Case {
  module: string;
  /** The file to append to, copied afresh for each measurement; undefined: a new, empty perf.csv. */
  source: string | undefined;
  appends: number;
}

/**
 * `runs` measurements of each case, interleaved, each on a fresh copy; every copy of a round is made
 * (and fsynced) before any of its children runs, so the copying disturbs all cases alike. Per case:
 * the median wall time, the median CPU time and the largest peak RSS.
 */
async function measureCases(dir: string, cases: readonly Case[], runs: number): Promise<ChildReport[]> {
  const reports: ChildReport[][] = cases.map(() => []);
  for (let i = 0; i < runs; i++) {
    const paths = cases.map((_, c) => join(dir, `target-${c}.csv`));
    for (const [c, { source }] of cases.entries()) if (source) await copyFileSynced(source, paths[c]!);
    try {
      for (const [c, { module, appends }] of cases.entries()) reports[c]!.push(await runChild(module, paths[c]!, appends));
    } finally {
      for (const path of paths) await rm(path, { force: true });
    }
  }
  const median = (values: number[]): number => values.sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  return reports.map((list) => ({
    ...list[0]!,
    ms: median(list.map((r) => r.ms)),
    cpuMs: median(list.map((r) => r.cpuMs)),
    rssBeforeMiB: median(list.map((r) => r.rssBeforeMiB)),
    peakRssMiB: Math.max(...list.map((r) => r.peakRssMiB)),
  }));
}

export async function benchPerfCsv(): Promise<BenchResult[]> {
  const rowCount = Number(process.env.BENCH_PERFCSV_ROWS ?? 400_000);
  if (!Number.isInteger(rowCount) || rowCount < 1000) throw new Error(`BENCH_PERFCSV_ROWS must be an integer >= 1000, got ${process.env.BENCH_PERFCSV_ROWS}`);
  const dir = await mkdtemp(join(tmpdir(), 'madengine-bench-perfcsv-'));
  try {
    const large = join(dir, 'large.csv');
    const bytes = await buildLargeFile(large, rowCount);
    const size = `${rowCount.toLocaleString('en')} rows, ${(bytes / 1024 / 1024).toFixed(0)} MiB`;
    const runs = 7;
    const [empty, big] = (await measureCases(
      dir,
      [
        { module: NEW_MODULE, source: undefined, appends: APPENDS },
        { module: NEW_MODULE, source: large, appends: APPENDS },
      ],
      runs,
    )) as [ChildReport, ChildReport];
    const delta = (r: ChildReport): number => Math.max(0, r.peakRssMiB - r.rssBeforeMiB);
    const results: BenchResult[] = [
      {
        name: `${APPENDS} appends, one row each, to a ${size} perf.csv`,
        value: big.ms,
        unit: 'ms',
        baseline: empty.ms,
        ratio: big.ms / empty.ms,
        note: `target <= 1.5; baseline: the same ${APPENDS} appends to an empty perf.csv; median of ${runs}, interleaved`,
      },
      {
        name: 'CPU time (user + system) of those appends',
        value: big.cpuMs,
        unit: 'ms',
        baseline: empty.cpuMs,
        ratio: big.cpuMs / empty.cpuMs,
        note: 'the same runs; less disturbed than wall time by other load on the machine',
      },
      {
        name: 'peak RSS of that process (growth during the appends)',
        value: big.peakRssMiB,
        unit: 'MiB',
        baseline: empty.peakRssMiB,
        ratio: big.peakRssMiB / empty.peakRssMiB,
        note: `flat; growth ${delta(big).toFixed(1)} MiB vs ${delta(empty).toFixed(1)} MiB on the empty file`,
      },
    ];
    const old = process.env.BENCH_PERFCSV_OLD === '0' ? undefined : await oldModule(dir);
    if (old) {
      const oldAppends = Number(process.env.BENCH_PERFCSV_OLD_APPENDS ?? 2);
      const [oldEmpty, oldBig] = (await measureCases(
        dir,
        [
          { module: old, source: undefined, appends: APPENDS },
          { module: old, source: large, appends: oldAppends },
        ],
        1,
      )) as [ChildReport, ChildReport];
      results.push(
        {
          name: `old algorithm (${OLD_REV}, rewrite per append): ${APPENDS} appends to an empty perf.csv`,
          value: oldEmpty.ms,
          unit: 'ms',
          baseline: empty.ms,
          ratio: oldEmpty.ms / empty.ms,
          note: 'baseline: the new code on the same empty file',
        },
        {
          name: `old algorithm: time per append to the ${size} perf.csv (${oldAppends} appends)`,
          value: oldBig.ms / oldAppends,
          unit: 'ms',
          baseline: big.ms / APPENDS,
          ratio: oldBig.ms / oldAppends / (big.ms / APPENDS),
          note: `baseline: the new code per append; ${APPENDS} appends would take ~${(((oldBig.ms / oldAppends) * APPENDS) / 1000).toFixed(0)} s`,
        },
        {
          name: 'old algorithm: peak RSS on the large file',
          value: oldBig.peakRssMiB,
          unit: 'MiB',
          baseline: big.peakRssMiB,
          ratio: oldBig.peakRssMiB / big.peakRssMiB,
          note: 'baseline: the new code on the same file',
        },
      );
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [flag, module, path, appends] = process.argv.slice(2);
  if (flag === '--child' && module !== undefined && path !== undefined && appends !== undefined) {
    await childMain(module, path, Number(appends));
  } else {
    const { printResults } = await import('./harness.ts');
    printResults('perf.csv appends (issue 9)', await benchPerfCsv());
  }
}
