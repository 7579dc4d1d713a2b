import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/errors.ts';
import { DEFAULT_ERROR_PATTERNS, resolveLogScanConfig } from '../../../src/core/perf/error-scan.ts';
import { LogScanner } from '../../../src/core/perf/log-scan.ts';
import { scanLogText } from '../../helpers/log-scan.ts';
import type { LogScanOptions } from '../../../src/core/perf/log-scan.ts';

function firstError(text: string | Buffer, options: LogScanOptions = {}): [string, string] | undefined {
  const scan = scanLogText(text, options);
  return scan.errorPattern === undefined ? undefined : [scan.errorPattern, scan.errorLine!];
}

describe('error pattern scan (compat §3.8)', () => {
  it('flags each default pattern', () => {
    for (const pattern of DEFAULT_ERROR_PATTERNS) {
      assert.deepEqual(firstError(`ok\n  something ${pattern} here  \nperformance: 1 x\n`), [pattern, `something ${pattern} here`]);
    }
  });

  it('reports the first error line in log order, and its first pattern in list order', () => {
    const log = 'fine\nValueError: bad\nTraceback (most recent call last)\n';
    assert.deepEqual(firstError(log), ['ValueError:', 'ValueError: bad']);
    assert.deepEqual(firstError('x FAILED RuntimeError: y\n'), ['RuntimeError:', 'x FAILED RuntimeError: y']);
  });

  it('finds nothing in a clean log', () => {
    assert.equal(firstError('epoch 1\nloss 0.1\nperformance: 3 samples_per_second\n'), undefined);
    assert.equal(firstError(''), undefined);
  });

  it('skips lines with a benign literal (built-in and user), anywhere on the line', () => {
    assert.equal(firstError('FutureWarning: ValueError: deprecated\n'), undefined);
    assert.equal(firstError('RuntimeError: x rpd_tracer: y\n'), undefined);
    assert.equal(firstError('RpcError: Running out of retries to initialize the metrics agent Exception: z\n'), undefined);
    assert.equal(firstError('ValueError: expected in this test\n', { benignPatterns: ['expected in this test'] }), undefined);
    assert.deepEqual(firstError('ValueError: other\n', { benignPatterns: ['expected in this test'] }), ['ValueError:', 'ValueError: other']);
  });

  it('applies the ROCProf benign regexes with their line-start anchors', () => {
    assert.equal(firstError('E20240501 12:00 generateRocpd.cpp:10] RuntimeError: x\n'), undefined);
    assert.equal(firstError('W12345678 simple_timer.cpp FAILED\n'), undefined);
    assert.equal(firstError('E12345678 tool.cpp FAILED\n'), undefined);
    assert.equal(firstError('[rocprofv3] FAILED to open\n'), undefined);
    // Not at the line start, or too few digits: not benign.
    assert.deepEqual(firstError(' E12345678 tool.cpp FAILED\n')?.[0], 'FAILED');
    assert.deepEqual(firstError('E1234567 tool.cpp FAILED\n')?.[0], 'FAILED');
    // The literal must come after the prefix (".*" starts after the 9 characters).
    assert.deepEqual(firstError('E1234tool.cpp FAILED\n')?.[0], 'FAILED');
  });

  it("ignores madengine's own meta lines (grep -q.*<pat> | Found error pattern.*<pat>)", () => {
    assert.equal(firstError("if grep -q 'FAILED' log; then\n"), undefined);
    assert.equal(firstError("Found error pattern 'RuntimeError:' in logs\n"), undefined);
    // The pattern must come after the meta text to be excused.
    assert.deepEqual(firstError('FAILED before grep -q\n')?.[0], 'FAILED');
    // Any pattern after the meta text is excused; one before it still counts.
    assert.equal(firstError('grep -q FAILED && echo ValueError: boom\n'), undefined);
    assert.deepEqual(firstError('ValueError: boom; grep -q FAILED\n')?.[0], 'ValueError:');
  });

  it('splits lines like str.splitlines (CR, CRLF, VT, FF, FS/GS/RS, NEL, LS, PS)', () => {
    for (const separator of ['\r', '\r\n', '\v', '\f', '\x1c', '\x1d', '\x1e', '\x85', '\u2028', '\u2029']) {
      assert.equal(firstError(`FutureWarning${separator}ValueError: x`)?.[1], 'ValueError: x', JSON.stringify(separator));
    }
    // U+001F is whitespace but not a line boundary.
    assert.equal(firstError('FutureWarning\x1fValueError: x'), undefined);
  });

  it('uses custom patterns instead of the defaults', () => {
    const options = { errorPatterns: ['NCCL WARN', 'segfault'] };
    assert.equal(firstError('Traceback (most recent call last)\n', options), undefined);
    assert.deepEqual(firstError('ok\nnode1 NCCL WARN timeout\n', options), ['NCCL WARN', 'node1 NCCL WARN timeout']);
    assert.deepEqual(firstError('Ünïcode segfault ✗\n', options), ['segfault', 'Ünïcode segfault ✗']);
  });

  it('can be switched off', () => {
    assert.equal(firstError('Traceback (most recent call last)\n', { scanErrors: false }), undefined);
  });

  it('rejects empty patterns and patterns with line breaks', () => {
    assert.throws(() => new LogScanner({ errorPatterns: [''] }), ConfigError);
    assert.throws(() => new LogScanner({ errorPatterns: ['a\nb'] }), /line break/);
    assert.throws(() => new LogScanner({ benignPatterns: [''] }), /log_error_benign_patterns/);
  });

  it('judges a line far longer than the kept window exactly, in constant memory', () => {
    const mb = 'x'.repeat(1024 * 1024);
    assert.deepEqual(firstError(`${mb}ValueError: late${mb}\nnext`)?.[0], 'ValueError:');
    // A benign literal 2 MB after the error still excuses the whole line.
    assert.equal(firstError(`ValueError: early${mb}${mb}FutureWarning${mb}\n`), undefined);
    // Meta exclusion across megabytes.
    assert.equal(firstError(`grep -q ${mb}${mb}FAILED`), undefined);
    // The excerpt is bounded and marked as cut.
    const line = firstError(`${mb}RuntimeError: deep inside${mb}`)![1];
    assert.ok(line.length < 600, `excerpt length ${line.length}`);
    assert.match(line, /^…x+RuntimeError: deep insidex+…$/);
  });

  it('gives the same verdict for any chunking, with short or long-line handling', () => {
    const text = Buffer.from(
      'ok\r\nFutureWarning FAILED\r\nE12345678 x generateRocpd.cpp RuntimeError:\ngrep -q FAILED\n' +
        'ValueError: real one, Found error pattern FAILED\nAssertionError: later\n',
    );
    const expected = firstError(text);
    assert.deepEqual(expected, ['ValueError:', 'ValueError: real one, Found error pattern FAILED']);
    for (const lineCap of [undefined, 0, 3, 20]) {
      for (const size of [1, 2, 3, 5, 7, 13]) {
        const scanner = new LogScanner({ lineCap });
        for (let i = 0; i < text.length; i += size) scanner.push(text.subarray(i, i + size));
        const scan = scanner.end();
        assert.equal(scan.errorPattern, expected[0], `lineCap ${lineCap} size ${size}`);
        if (lineCap === undefined) assert.equal(scan.errorLine, expected[1]);
      }
    }
  });

  it('reads the last line without a terminator', () => {
    assert.deepEqual(firstError('ok\nImportError: no module'), ['ImportError:', 'ImportError: no module']);
  });
});

describe('resolveLogScanConfig', () => {
  it('defaults to scanning with the default patterns', () => {
    assert.deepEqual(resolveLogScanConfig({}), {
      scanErrors: true,
      errorPatterns: [...DEFAULT_ERROR_PATTERNS],
      benignPatterns: [],
    });
  });

  it('reads the switch like madengine (false, "false", 0, "off", ...), context over model', () => {
    for (const value of [false, 'false', 'False', 0, '0', 'no', 'off', '']) {
      assert.equal(resolveLogScanConfig({ log_error_pattern_scan: value }).scanErrors, false, String(value));
    }
    for (const value of [true, 'true', 1, 'yes', 'on', 'maybe', null]) {
      assert.equal(resolveLogScanConfig({ log_error_pattern_scan: value }).scanErrors, true, String(value));
    }
    assert.equal(resolveLogScanConfig({ log_error_pattern_scan: false }, { log_error_pattern_scan: true }).scanErrors, true);
  });

  it('replaces patterns with a non-empty list (context wins) and joins benign lists', () => {
    const config = resolveLogScanConfig(
      { log_error_patterns: ['model-pattern'], log_error_benign_patterns: ['m1'] },
      { log_error_patterns: ['ctx-pattern'], log_error_benign_patterns: ['c1'] },
    );
    assert.deepEqual(config.errorPatterns, ['ctx-pattern']);
    assert.deepEqual(config.benignPatterns, ['m1', 'c1']);
    assert.deepEqual(resolveLogScanConfig({ log_error_patterns: [] }).errorPatterns, [...DEFAULT_ERROR_PATTERNS]);
  });

  it('names the key and the bad value', () => {
    assert.throws(
      () => resolveLogScanConfig({}, { log_error_patterns: 'FAILED' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /log_error_patterns \(additional context\) must be a list of non-empty strings/.test(error.message) &&
        error.message.includes('"FAILED"'),
    );
    assert.throws(() => resolveLogScanConfig({ log_error_benign_patterns: [1] }), /log_error_benign_patterns \(model\)/);
  });
});
