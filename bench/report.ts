/**
 * Benchmark: collect-perf's computation (issue 10). Targets: merging 200 perf.csv shards of 500 rows
 * each in under 1 s and 200 MB, comparing 2,000 keys with 10 samples on each side in under 1 s.
 *
 *   node --import tsx bench/report.ts          (BENCH_REPORT_RUNS=3 fresh processes per measure)
 *
 * Everything is generated in memory (realistic rows: every known column, digests, timestamps) by each
 * child process, then measured there once, cold, like an action run: wall and CPU time, peak RSS above
 * the RSS before the measured call, and heap retained by the result after a GC. Baselines in the same
 * run, on the same bytes/rows: parseCsvTable over every shard (the plain parse the merge builds on), and
 * grouping the rows by key with a mean per key (the least a comparison must do).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compareRuns } from '../src/core/report/compare.ts';
import { mergeShards } from '../src/core/report/merge.ts';
import { KNOWN_COLUMNS, type PerfRow } from '../src/core/perf/perf-csv.ts';
import { formatCsvRow, parseCsvTable } from '../src/core/util/csv.ts';
import type { BenchResult } from './harness.ts';

const SHARDS = 200;
const ROWS_PER_SHARD = 500;
const KEYS = 2000;
const SAMPLES = 10;
const MiB = 1024 * 1024;

type Mode = 'merge' | 'parse' | 'compare' | 'group';

interface ChildReport {
  ms: number;
  cpuMs: number;
  peakRssDeltaMiB: number;
  retainedHeapMiB: number;
  /** What the call produced (rows merged, entries compared), checked by the parent. */
  count: number;
}

function hex(seed: number, length: number): string {
  let out = '';
  for (let x = Math.imul(seed + 1, 2654435761) >>> 0; out.length < length; x = Math.imul(x ^ (x >>> 15), 2246822519) >>> 0)
    out += x.toString(16).padStart(8, '0');
  return out.slice(0, length);
}

/** One matrix cell's perf.csv: 500 models' rows as run_local writes them. */
function shardText(shard: number): string {
  const runId = `${hex(shard, 8)}-1`;
  let text = formatCsvRow(KNOWN_COLUMNS);
  for (let r = 0; r < ROWS_PER_SHARD; r++) {
    const i = shard * ROWS_PER_SHARD + r;
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
      git_commit: hex(shard + 7, 40),
      machine_name: `node-${shard % 64}`,
      deployment_type: 'local',
      launcher: 'docker',
      gpu_architecture: shard % 2 ? 'gfx942' : 'gfx90a',
      performance: String(1000 + (i % 9000) + 0.5),
      metric: 'samples_per_second',
      status: 'SUCCESS',
      build_duration: '12.5',
      test_duration: '301.25',
      build_number: String(shard),
      executor: 'docker',
      image_digest: `sha256:${hex(i + 3, 64)}`,
      run_id: runId,
      started_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    };
    text += formatCsvRow(KNOWN_COLUMNS.map((name) => values[name] ?? ''));
  }
  // A flat copy: the concatenated string would otherwise be a rope, flattened inside the timed call.
  return Buffer.from(text).toString();
}

/** 2,000 keys x 10 samples per side; every 7th key 10 % slower on head, every 11th noisy. */
function compareRows(head: boolean): PerfRow[] {
  const rows: PerfRow[] = [];
  for (let k = 0; k < KEYS; k++) {
    const metric = k % 3 === 0 ? 'latency_ms' : 'samples_per_second';
    const level = 100 + (k % 50) * (head && k % 7 === 0 ? 0.9 : 1);
    for (let s = 0; s < SAMPLES; s++) {
      const noise = (((Math.imul(k * SAMPLES + s + (head ? 7 : 0), 2654435761) >>> 0) / 4294967296) * 2 - 1) * (k % 11 === 0 ? 0.3 : 0.01);
      rows.push({
        model: `org/model_${k}`,
        metric,
        gpu_architecture: 'gfx942',
        n_gpus: '8',
        nnodes: '1',
        deployment_type: 'local',
        performance: (level * (1 + noise)).toFixed(3),
        status: 'SUCCESS',
        machine_name: `node-${k % 8}`,
        image_digest: `sha256:${hex(k, 64)}`,
        sample: String(s + 1),
      });
    }
  }
  return rows;
}

/** The comparison baseline: rows grouped by key, one mean per key. */
function groupMeans(rows: readonly PerfRow[]): Map<string, number> {
  const sums = new Map<string, { sum: number; count: number }>();
  for (const row of rows) {
    const key = `${row.model}|${row.metric}|${row.gpu_architecture}|${row.n_gpus}|${row.nnodes}|${row.deployment_type}`;
    const entry = sums.get(key) ?? { sum: 0, count: 0 };
    entry.sum += Number(row.performance);
    entry.count++;
    sums.set(key, entry);
  }
  return new Map([...sums].map(([key, { sum, count }]) => [key, sum / count]));
}

async function childMain(mode: Mode): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run the child with --expose-gc');
  const shards =
    mode === 'merge' || mode === 'parse' ? Array.from({ length: SHARDS }, (_, s) => ({ name: `perf-cell-${s}/perf.csv`, text: shardText(s) })) : [];
  const head = mode === 'compare' || mode === 'group' ? compareRows(true) : [];
  const base = mode === 'compare' || mode === 'group' ? compareRows(false) : [];
  gc();
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  const cpu = process.cpuUsage();
  const start = performance.now();
  let output: unknown;
  let count: number;
  if (mode === 'merge') {
    const merged = mergeShards(shards);
    [output, count] = [merged, merged.rows.length];
  } else if (mode === 'parse') {
    const tables = shards.map((shard) => parseCsvTable(shard.text));
    [output, count] = [tables, tables.reduce((sum, table) => sum + table.rows.length, 0)];
  } else if (mode === 'compare') {
    const result = compareRuns(head, base, { threshold: 5, confidence: 0.95 });
    [output, count] = [result, result.entries.length];
  } else {
    const heads = groupMeans(head);
    const bases = groupMeans(base);
    [output, count] = [[heads, bases], [...heads.keys()].filter((key) => bases.has(key)).length];
  }
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const peakRss = process.resourceUsage().maxRSS * 1024;
  gc();
  const retained = process.memoryUsage().heapUsed - heapBefore;
  if (output === undefined) throw new Error('no output'); // keeps the output alive up to the measurement
  const report: ChildReport = {
    ms,
    cpuMs: (used.user + used.system) / 1000,
    peakRssDeltaMiB: Math.max(0, peakRss - rssBefore) / MiB,
    retainedHeapMiB: retained / MiB,
    count,
  };
  process.stdout.write(JSON.stringify(report));
}

function runChild(mode: Mode): Promise<ChildReport> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (data: Buffer) => (out += data.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as ChildReport) : reject(new Error(`bench child '${mode}' exited with ${code}`))));
  });
}

/** Median by wall time of `runs` fresh processes per mode, the modes interleaved so load hits them alike. */
async function measure(modes: readonly Mode[], runs: number): Promise<Record<string, ChildReport>> {
  const reports: Record<string, ChildReport[]> = {};
  for (let r = 0; r < runs; r++) for (const mode of modes) (reports[mode] ??= []).push(await runChild(mode));
  return Object.fromEntries(
    Object.entries(reports).map(([mode, list]) => {
      const sorted = [...list].sort((a, b) => a.ms - b.ms);
      return [mode, { ...sorted[Math.floor(sorted.length / 2)]!, peakRssDeltaMiB: Math.max(...list.map((report) => report.peakRssDeltaMiB)) }];
    }),
  );
}

export async function benchReport(): Promise<BenchResult[]> {
  const runs = Number(process.env.BENCH_REPORT_RUNS ?? 3);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_REPORT_RUNS must be a whole number >= 1, got ${process.env.BENCH_REPORT_RUNS}`);
  const r = await measure(['merge', 'parse', 'compare', 'group'], runs);
  const merge = r.merge!;
  const parse = r.parse!;
  const compare = r.compare!;
  const group = r.group!;
  if (merge.count !== SHARDS * ROWS_PER_SHARD || parse.count !== merge.count) throw new Error(`merge kept ${merge.count} rows, parse read ${parse.count}`);
  if (compare.count !== KEYS || group.count !== KEYS) throw new Error(`compare gave ${compare.count} entries, grouping ${group.count} keys`);
  const shape = `${SHARDS} shards x ${ROWS_PER_SHARD} rows`;
  return [
    {
      name: `mergeShards, ${shape}, wall (median of ${runs})`,
      value: merge.ms,
      unit: 'ms',
      baseline: parse.ms,
      ratio: merge.ms / parse.ms,
      note: 'target < 1 s; baseline: parseCsvTable of every shard',
    },
    { name: 'mergeShards CPU time (user + system)', value: merge.cpuMs, unit: 'ms', baseline: parse.cpuMs, ratio: merge.cpuMs / parse.cpuMs },
    {
      name: 'mergeShards peak RSS above the RSS before the call (max of runs)',
      value: merge.peakRssDeltaMiB,
      unit: 'MiB',
      baseline: parse.peakRssDeltaMiB,
      ratio: merge.peakRssDeltaMiB / parse.peakRssDeltaMiB,
      note: 'target < 200 MB',
    },
    {
      name: 'heap retained by the merged result',
      value: merge.retainedHeapMiB,
      unit: 'MiB',
      baseline: parse.retainedHeapMiB,
      ratio: merge.retainedHeapMiB / parse.retainedHeapMiB,
      note: 'baseline: the parsed tables',
    },
    {
      name: `compareRuns, ${KEYS} keys x ${SAMPLES} samples per side, wall (median of ${runs})`,
      value: compare.ms,
      unit: 'ms',
      baseline: group.ms,
      ratio: compare.ms / group.ms,
      note: 'target < 1 s; baseline: group by key + mean per key',
    },
    { name: 'compareRuns CPU time (user + system)', value: compare.cpuMs, unit: 'ms', baseline: group.cpuMs, ratio: compare.cpuMs / group.cpuMs },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [flag, mode] = process.argv.slice(2);
  if (flag === '--child' && (mode === 'merge' || mode === 'parse' || mode === 'compare' || mode === 'group')) {
    await childMain(mode);
  } else {
    const { printResults } = await import('./harness.ts');
    printResults('collect-perf computation', await benchReport());
  }
}
