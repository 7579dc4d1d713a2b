import { LogScanner, type LogScan, type LogScanOptions } from '../../src/core/perf/log-scan.ts';

/** Scans a whole text in one push, as scanLogFile does chunk by chunk. */
export function scanLogText(text: string | Uint8Array, options: LogScanOptions = {}): LogScan {
  const scanner = new LogScanner(options);
  scanner.push(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
  return scanner.end();
}
