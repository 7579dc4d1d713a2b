/**
 * Benchmark: scanning a large run log for the performance line and error patterns.
 * Target: at least 200 MB/s, peak memory flat and under 100 MB, on a 1 GiB log.
 *
 *   node --import tsx bench/perf-parse.ts          (BENCH_LOG_MB=1024 by default)
 *
 * The log is mostly realistic noise (training steps, tqdm bars with \r and block characters, NCCL,
 * HF dicts, warnings, rocBLAS lines), with one 1/32-size run without any line break and the
 * performance line near the end, so every matcher and the long-line path do their full work.
 * Each measurement runs in a fresh child process so its peak RSS (`resourceUsage().maxRSS`) is its own.
 * Baselines in the same run: draining the file with fs.createReadStream, and `grep -c performance:`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { scanLogFile } from '../src/core/perf/log-scan.ts';

import type { BenchResult } from './harness.ts';

const MiB = 1024 * 1024;
const PERF_LINE = 'performance: 14164.5 samples_per_second';

function noiseLine(i: number): string {
  const r = Math.imul(i + 1, 2654435761) >>> 0;
  switch (r % 8) {
    case 0:
      return `[2024-05-01 12:${String(r % 60).padStart(2, '0')}:01,123] INFO: step ${i}/100000 | loss ${((r % 1000) / 333).toFixed(4)} | lr 1.0e-04 | grad_norm 0.87 | tokens/s ${r % 99999}.6`;
    case 1:
      return `Epoch 3: ${r % 100}%|████▌     | ${r % 1000}/1000 [01:23<01:42, 5.38it/s, loss=0.${r % 1000}]\r`;
    case 2:
      return `node-1:${r % 9999}:1234 [${r % 8}] NCCL INFO Channel ${r % 32}/32 : 0 1 2 3 4 5 6 7 via P2P/IPC/read`;
    case 3:
      return `{'loss': ${((r % 1000) / 100).toFixed(4)}, 'grad_norm': 1.${r % 100}, 'learning_rate': 4.99e-05, 'epoch': 0.${r % 100}}`;
    case 4:
      return `/usr/local/lib/python3.10/dist-packages/torch/nn/modules/module.py:1511: UserWarning: The given buffer is not writable (step ${r})`;
    case 5:
      return `rocBLAS info: hipblasLt matmul m=${r % 4096} n=4096 k=4096 dtype=bf16 time_us=${r % 777}.25 gflops=${r % 99999}`;
    case 6:
      return `  File "/workspace/train.py", line ${r % 900}, in forward: hidden = self.mlp(self.norm(x)) # shape [${r % 64}, 4096]`;
    default:
      return `W0501 12:00:0${r % 10}.123 ${r % 99999} torch/distributed/run.py:${r % 800}] Setting OMP_NUM_THREADS=1 for each process (perf ${r % 7} ok)`;
  }
}

/** Writes a log of `mb` MiB; returns its size in bytes. */
async function writeLog(path: string, mb: number): Promise<number> {
  const blocks: Buffer[] = [];
  let line = 0;
  for (let b = 0; b < 8; b++) {
    let text = '';
    while (text.length < 4 * MiB) text += `${noiseLine(line++)}\n`;
    blocks.push(Buffer.from(text));
  }
  const longRun = Buffer.from('step 1234 | loss 0.1234 | lr 3e-4 | tokens 2048 '.repeat(Math.ceil((mb * MiB) / 32 / 48)));
  const total = mb * MiB;
  const handle = await open(path, 'w');
  let written = 0;
  let block = 0;
  let longDone = false;
  try {
    const write = async (data: Buffer): Promise<void> => {
      await handle.write(data);
      written += data.length;
    };
    while (written < total - 8 * MiB) {
      if (!longDone && written >= total / 2) {
        await write(longRun); // one huge line without any break
        await write(Buffer.from('\n'));
        longDone = true;
        continue;
      }
      await write(blocks[block++ % blocks.length]!);
    }
    await write(Buffer.from(`${PERF_LINE}\n`));
    while (written < total) await write(blocks[block++ % blocks.length]!.subarray(0, Math.min(4 * MiB, total - written)));
  } finally {
    await handle.close();
  }
  return written;
}

interface ChildReport {
  ms: number;
  maxRssKiB: number;
  performance?: string;
  metric?: string;
  errorPattern?: string;
}

async function childMain(mode: string, path: string): Promise<void> {
  const start = performance.now();
  const report: ChildReport = { ms: 0, maxRssKiB: 0 };
  if (mode === 'scan') {
    const scan = await scanLogFile(path);
    report.performance = scan.performance;
    report.metric = scan.metric;
    report.errorPattern = scan.errorPattern;
  } else {
    await new Promise<void>((resolve, reject) => {
      createReadStream(path, { highWaterMark: MiB })
        .on('data', () => {})
        .on('end', resolve)
        .on('error', reject);
    });
  }
  report.ms = performance.now() - start;
  report.maxRssKiB = process.resourceUsage().maxRSS;
  process.stdout.write(JSON.stringify(report));
}

function runChild(mode: string, path: string): Promise<ChildReport> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', self, '--child', mode, path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (data: Buffer) => (out += data.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`bench child '${mode}' exited with ${code}`));
      else resolve(JSON.parse(out) as ChildReport);
    });
  });
}

function timeGrep(path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn('grep', ['-c', 'performance:', path], { stdio: 'ignore' });
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve(code === 0 || code === 1 ? performance.now() - start : undefined));
  });
}

export async function benchPerfParse(): Promise<BenchResult[]> {
  const mb = Number(process.env.BENCH_LOG_MB ?? 1024);
  if (!Number.isFinite(mb) || mb < 16) throw new Error(`BENCH_LOG_MB must be a number >= 16, got ${process.env.BENCH_LOG_MB}`);
  const dir = await mkdtemp(join(tmpdir(), 'madengine-bench-perf-'));
  try {
    const path = join(dir, 'run.live.log');
    const bytes = await writeLog(path, mb);
    const mbps = (ms: number): number => bytes / 1e6 / (ms / 1000);
    await runChild('drain', path); // warm the page cache so every run reads from memory
    const drain = await runChild('drain', path);
    const scan = await runChild('scan', path);
    const grepMs = await timeGrep(path);
    if (scan.performance !== '14164.5' || scan.metric !== 'samples_per_second' || scan.errorPattern !== undefined) {
      throw new Error(`scan found the wrong result: ${JSON.stringify(scan)}`);
    }
    const rssMiB = (kib: number): number => kib / 1024;
    const results: BenchResult[] = [
      {
        name: `scanLogFile throughput (${mb} MiB log)`,
        value: mbps(scan.ms),
        unit: 'MB/s',
        baseline: mbps(drain.ms),
        ratio: drain.ms / scan.ms,
        note: 'target >= 200 MB/s; baseline: fs.createReadStream drain of the same file',
      },
      {
        name: 'scanLogFile peak RSS',
        value: rssMiB(scan.maxRssKiB),
        unit: 'MiB',
        baseline: rssMiB(drain.maxRssKiB),
        ratio: scan.maxRssKiB / drain.maxRssKiB,
        note: 'target flat, < 100 MB; baseline: the drain process',
      },
    ];
    if (grepMs !== undefined) {
      results.push({
        name: 'grep -c performance: throughput',
        value: mbps(grepMs),
        unit: 'MB/s',
        baseline: mbps(scan.ms),
        ratio: scan.ms / grepMs,
        note: 'external baseline; ratio = grep speed / scanLogFile speed',
      });
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function printTable(results: BenchResult[]): void {
  const rows = results.map((r) => [
    r.name,
    `${r.value.toFixed(1)} ${r.unit}`,
    r.baseline === undefined ? '' : `${r.baseline.toFixed(1)} ${r.unit}`,
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
    r.note ?? '',
  ]);
  const header = ['benchmark', 'value', 'baseline', 'ratio', 'note'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [flag, mode, path] = process.argv.slice(2);
  if (flag === '--child' && mode !== undefined && path !== undefined) {
    await childMain(mode, path);
  } else {
    printTable(await benchPerfParse());
  }
}
