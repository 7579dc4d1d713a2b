/**
 * One streaming pass over a model's run log: the performance value (compat §3.7) and the first
 * error line (compat §3.8), in constant memory whatever the log's size or line lengths. The tool's
 * own `=== madengine: ` lines are not scanned (they quote the args; difference 32).
 *
 *   const scanner = new LogScanner(options);
 *   for await (const chunk of stream) scanner.push(chunk);
 *   const scan = scanner.end();
 */
import { open } from 'node:fs/promises';
import { ErrorLineScanner } from './error-scan.ts';
import type { ErrorScanOptions } from './error-scan.ts';
import { HuggingFaceMatcher, PerformanceMatcher } from './perf-pattern.ts';
import { ToolLineFilter } from './tool-lines.ts';
import { Utf8Cleaner } from './utf8.ts';

export interface LogScanOptions extends ErrorScanOptions {
  /** false disables the error scan (madengine's `log_error_pattern_scan: false`). Default true. */
  scanErrors?: boolean;
}

export interface LogScan {
  /** group 1 of the first performance line, as written ("1.23E+4"); or the HuggingFace value. */
  performance?: string;
  /** group 2 of that line; "samples_per_second" for the HuggingFace fallback. */
  metric?: string;
  /** Which rule found the performance. */
  performanceSource?: 'performance-line' | 'huggingface';
  /** The error pattern found on `errorLine`. */
  errorPattern?: string;
  /** The first log line that counts as an error, trimmed (an excerpt if over 500 bytes). */
  errorLine?: string;
  /** Bytes read. */
  bytes: number;
}

export class LogScanner {
  private readonly utf8 = new Utf8Cleaner();
  private readonly toolLines = new ToolLineFilter();
  private readonly performance = new PerformanceMatcher();
  private readonly huggingFace = new HuggingFaceMatcher();
  private readonly errors: ErrorLineScanner | null;
  private bytes = 0;
  private ended = false;

  constructor(options: LogScanOptions = {}) {
    const patterns = options.errorPatterns;
    const scan = options.scanErrors !== false && (patterns === undefined || patterns.length > 0);
    this.errors = scan ? new ErrorLineScanner(options) : null;
  }

  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error('LogScanner.push() after end()');
    this.bytes += chunk.byteLength;
    this.scan(this.toolLines.push(this.utf8.push(chunk)));
  }

  private scan(text: Buffer): void {
    if (text.length === 0) return;
    if (!this.performance.done) {
      this.performance.push(text);
      // The fallback only matters while no performance line has been seen.
      if (!this.performance.done && !this.huggingFace.done) this.huggingFace.push(text);
    }
    if (this.errors !== null && !this.errors.done) this.errors.push(text);
  }

  end(): LogScan {
    if (!this.ended) {
      this.ended = true;
      this.utf8.end();
      this.scan(this.toolLines.end());
      this.performance.end();
      if (!this.performance.done) this.huggingFace.end();
      this.errors?.end();
    }
    const scan: LogScan = { bytes: this.bytes };
    const found = this.performance.result ?? this.huggingFace.result;
    if (found !== undefined) {
      scan.performance = found.performance;
      scan.metric = found.metric;
      scan.performanceSource = this.performance.result !== undefined ? 'performance-line' : 'huggingface';
    }
    const hit = this.errors?.hit;
    if (hit !== undefined) {
      scan.errorPattern = hit.pattern;
      scan.errorLine = hit.line;
    }
    return scan;
  }
}

const READ_SIZE = 1024 * 1024;

/** Streams a log file through a LogScanner, reusing one read buffer. */
export async function scanLogFile(path: string, options: LogScanOptions = {}): Promise<LogScan> {
  const scanner = new LogScanner(options);
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_SIZE);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_SIZE, null);
      if (bytesRead === 0) break;
      scanner.push(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return scanner.end();
}
