import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LogScanner } from '../../../src/core/perf/log-scan.ts';
import { ToolLineFilter } from '../../../src/core/perf/tool-lines.ts';
import { scanLogText } from '../../helpers/log-scan.ts';

/** The same text pushed one byte at a time: every chunk boundary falls everywhere once. */
function scanBytewise(text: string): ReturnType<LogScanner['end']> {
  const scanner = new LogScanner();
  for (const byte of Buffer.from(text)) scanner.push(Buffer.from([byte]));
  return scanner.end();
}

function filterBytewise(text: string): string {
  const filter = new ToolLineFilter();
  const parts = [...Buffer.from(text)].map((byte) => filter.push(Buffer.from([byte])));
  return Buffer.concat([...parts, filter.end()]).toString();
}

// The run script's banner quotes the args (issue 9 item 8).
const BANNER_LOG = [
  "=== madengine: model script: bash './run.sh' --note FAILED --x 'performance: 0 none'",
  'training...',
  'performance: 42.5 samples_per_second',
  '',
  'Test Duration: 1.000000 seconds',
  '=== madengine: model script exited with status 0',
  '',
].join('\n');

describe("log scan: the tool's own lines", () => {
  test('args echoed in the banner neither fail a good run nor replace its performance', () => {
    for (const scan of [scanLogText(BANNER_LOG), scanBytewise(BANNER_LOG)]) {
      assert.equal(scan.errorPattern, undefined);
      assert.equal(scan.performance, '42.5');
      assert.equal(scan.metric, 'samples_per_second');
    }
  });

  test("the model's own output is still scanned, on the line after a tool line too", () => {
    const log = '=== madengine: pre-script x.sh\nTraceback (most recent call last)\n';
    assert.equal(scanLogText(log).errorPattern, 'Traceback (most recent call last)');
    assert.equal(scanBytewise('=== madengine: a\nperformance: 7 ms\n').performance, '7');
  });

  test('only lines starting with the whole prefix are dropped, at any chunk boundary', () => {
    const text = '=== made it\n=== madengine: gone FAILED\nx === madengine: kept\n=== madengine:no space\n=== madengine: last';
    const expected = '=== made it\nx === madengine: kept\n=== madengine:no space\n';
    assert.equal(filterBytewise(text), expected);
    const filter = new ToolLineFilter();
    assert.equal(Buffer.concat([filter.push(Buffer.from(text)), filter.end()]).toString(), expected);
  });

  test('a log ending inside a partial prefix keeps those bytes (model output)', () => {
    assert.equal(filterBytewise('ok\n=== mad'), 'ok\n=== mad');
  });
});
