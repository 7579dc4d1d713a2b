import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogScanner, scanLogFile } from '../../../src/core/perf/log-scan.ts';
import { scanLogText } from '../../helpers/log-scan.ts';
import type { LogScan } from '../../../src/core/perf/log-scan.ts';
import { MAX_CAPTURE_BYTES } from '../../../src/core/perf/perf-pattern.ts';
import { Utf8Cleaner, dropIllFormed } from '../../../src/core/perf/utf8.ts';

/** Performance/metric only, scanning with the error scan off. */
function perf(text: string | Buffer): [string, string] | undefined {
  const scan = scanLogText(text, { scanErrors: false });
  return scan.performance === undefined ? undefined : [scan.performance, scan.metric!];
}

/** Deterministic pseudo-random chunk sizes. */
function* randomSizes(seed: number, max: number): Generator<number> {
  let state = seed;
  for (;;) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    yield 1 + (state % max);
  }
}

function scanInChunks(bytes: Buffer, sizes: Iterator<number>): LogScan {
  const scanner = new LogScanner();
  let offset = 0;
  while (offset < bytes.length) {
    const size = sizes.next().value as number;
    scanner.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return scanner.end();
}

describe('performance regex vectors (compat §3.7)', () => {
  const matches: [string, string, string][] = [
    ['performance: 12345 samples_per_second', '12345', 'samples_per_second'],
    ['performance: 100.5 samples_per_second', '100.5', 'samples_per_second'],
    ['performance: 1.23e+4 samples_per_second', '1.23e+4', 'samples_per_second'],
    ['performance: 1.23e-4 samples_per_second', '1.23e-4', 'samples_per_second'],
    ['performance: 0 samples_per_second', '0', 'samples_per_second'],
    ['performance: 123 metric123', '123', 'metric123'],
    ['performance: 123 _metric', '123', '_metric'],
    ['performance: 14164/s samples_per_second', '14164', 'samples_per_second'],
    ['performance: 14164.5/s, samples_per_second', '14164.5', 'samples_per_second'],
    ['performance: 100.5, samples_per_second', '100.5', 'samples_per_second'],
    ['performance: 123,/s metric', '123', 'metric'],
    ['performance: 123, /s metric', '123', 'metric'],
    ['performance: 1.23E+4 samples_per_second', '1.23E+4', 'samples_per_second'],
    ['performance: +123.45 samples_per_second', '+123.45', 'samples_per_second'],
    ['performance: -123.45 samples_per_second', '-123.45', 'samples_per_second'],
    ['performance: .5 samples_per_second', '.5', 'samples_per_second'],
    ['performance: 1234.5 samples/sec', '1234.5', 'samples/sec'],
    ['performance: 500.0/s tokens/sec', '500.0', 'tokens/sec'],
    ['performance: 7\nfoo', '7', 'foo'],
    ['performance: 123 samples_per_second (simulated)', '123', 'samples_per_second'],
    ['performance: 3 /s', '3', '/s'],
  ];
  for (const [text, performance, metric] of matches) {
    it(`matches ${JSON.stringify(text)}`, () => {
      assert.deepEqual(perf(text), [performance, metric]);
    });
  }

  const nonMatches = [
    'performance: 100.5',
    'throughput: 100.5 samples_per_second',
    'performance: N/A samples_per_second',
    'performance:5 x',
    'performance: 5e x', // incomplete exponent leaves "e" where the rest of the pattern cannot start
    'performance: 12,,x',
    'performance: 1.2.3 x',
    '',
  ];
  for (const text of nonMatches) {
    it(`does not match ${JSON.stringify(text)}`, () => {
      assert.equal(perf(text), undefined);
    });
  }

  it('finer points of the alternatives, checked against Python re', () => {
    assert.deepEqual(perf('performance: 3 / x'), ['3', '/']);
    assert.deepEqual(perf('performance: 3 /s1 x'), ['3', '/s1']);
    assert.deepEqual(perf('performance: 3/s x'), ['3', 'x']);
    assert.equal(perf('performance: 3/s,x y'), undefined); // ',' after '/s' needs blanks before group 2
    assert.equal(perf('performance: 3/s1 x'), undefined); // no blank before '/', so no fallback
    assert.equal(perf('performance: 3 ,/s x'), undefined); // ',' may only follow the number directly
    assert.equal(perf('performance: 3,/s ,, x'), undefined);
    assert.deepEqual(perf('performance: 5., x'), ['5.', 'x']);
    assert.deepEqual(perf('performance: 5.e3 x'), ['5.e3', 'x']);
    assert.deepEqual(perf('performance:\t\n 9 \u00a0metric,rest'), ['9', 'metric']);
  });

  it('takes the FIRST match in the log', () => {
    assert.deepEqual(perf('performance: 1 a\nperformance: 2 b\n'), ['1', 'a']);
    assert.deepEqual(perf('performance: x\nperformance: 2 b\n'), ['2', 'b']);
  });

  it('finds a match that starts inside a failed attempt', () => {
    assert.deepEqual(perf('performance: 5/performance: 6 x'), ['6', 'x']);
    assert.deepEqual(perf('performance:performance: 6 x'), ['6', 'x']);
  });
});

describe('HuggingFace fallback', () => {
  it('reads train_samples_per_second in dict and assignment forms', () => {
    assert.deepEqual(perf("{'train_runtime': 10.1, 'train_samples_per_second': 4.23, 'epoch': 1.0}"), ['4.23', 'samples_per_second']);
    assert.deepEqual(perf('  train_samples_per_second =     31.337\n'), ['31.337', 'samples_per_second']);
    assert.deepEqual(perf('train_samples_per_second: 1e+3,'), ['1e+3', 'samples_per_second']);
  });

  it('is only used when no performance line exists anywhere', () => {
    assert.deepEqual(perf("'train_samples_per_second': 4.23\nperformance: 99 tokens\n"), ['99', 'tokens']);
    const scan = scanLogText("'train_samples_per_second': 4.23\n", { scanErrors: false });
    assert.equal(scan.performanceSource, 'huggingface');
  });

  it('needs a separator and a digit', () => {
    assert.equal(perf('train_samples_per_second4.2'), undefined);
    assert.equal(perf("train_samples_per_second: 'fast'"), undefined);
    assert.deepEqual(perf('train_samples_per_second: x train_samples_per_second=7'), ['7', 'samples_per_second']);
  });
});

describe('malformed and unusual input', () => {
  it('handles CRLF line endings', () => {
    assert.deepEqual(perf('loading\r\nperformance: 42.5 samples_per_second\r\ndone\r\n'), ['42.5', 'samples_per_second']);
    assert.deepEqual(perf('performance: 42\r\nfoo'), ['42', 'foo']);
  });

  it('keeps unicode metrics and treats unicode blanks as Python does', () => {
    assert.deepEqual(perf('performance: 12 échantillons/s'), ['12', 'échantillons/s']);
    assert.deepEqual(perf('performance: 12 😀,x'), ['12', '😀']);
    assert.deepEqual(perf('performance:\u3000 12\u2003tok'), ['12', 'tok']);
    assert.deepEqual(perf('performance: 12\u0085tok'), ['12', 'tok']); // NEL is \s in Python
    assert.deepEqual(perf('performance: 12\x1ftok'), ['12', 'tok']); // so is U+001F
    assert.equal(perf('performance:\uFEFF12 tok'), undefined); // BOM is not \s in Python (it is in JS)
    assert.deepEqual(perf('performance: 12 \uFEFFtok'), ['12', '\uFEFFtok']);
  });

  it('keeps huge numbers exactly as written', () => {
    const digits = '9'.repeat(400);
    assert.deepEqual(perf(`performance: ${digits}.5e-999999 x`), [`${digits}.5e-999999`, 'x']);
  });

  it('drops invalid UTF-8 bytes like errors="ignore"', () => {
    const bytes = Buffer.concat([Buffer.from('perf'), Buffer.from([0xff]), Buffer.from('ormance: 1'), Buffer.from([0xe2, 0x82]), Buffer.from('2 x')]);
    assert.deepEqual(perf(bytes), ['12', 'x']);
  });

  it('finds the line after a 1 MB line without newline', () => {
    const noise = 'x'.repeat(1024 * 1024);
    assert.deepEqual(perf(`${noise}\nperformance: 5 tokens_per_second\n`), ['5', 'tokens_per_second']);
    assert.deepEqual(perf(`${noise} performance: 5 tokens_per_second`), ['5', 'tokens_per_second']);
  });

  it('finds the line before a 1 MB line without newline, and bounds a huge metric', () => {
    const noise = 'y'.repeat(1024 * 1024);
    assert.deepEqual(perf(`performance: 5 tokens_per_second\n${noise}`), ['5', 'tokens_per_second']);
    const [performance, metric] = perf(`performance: 5 ${noise}`)!;
    assert.equal(performance, '5');
    assert.equal(metric.length, MAX_CAPTURE_BYTES);
  });

  it('follows blanks that span megabytes', () => {
    assert.deepEqual(perf(`performance:${' '.repeat(3_000_000)}\n7\n${'\t'.repeat(100_000)}ms`), ['7', 'ms']);
  });
});

describe('chunking never changes the result', () => {
  const corpus = [
    'noise line one\r\nmore noise ',
    'performance: 5/performance: 6 x\n',
    "{'train_samples_per_second': 4.23}\n",
    'performance: 14164.5/s, samples_per_second\n',
    'perf\u00e9rmance: 9 x performance:\u00a0\u00a0+1.5e-3 /ms , ok😀 more\n',
    'Traceback (most recent call last)\n',
    'performance: 3 /s',
  ];
  for (let i = 0; i < corpus.length; i++) {
    const text = corpus.slice(i).join('') + corpus.slice(0, i).join('');
    it(`rotation ${i}: byte by byte and random chunk sizes agree`, () => {
      const bytes = Buffer.from(text);
      const whole = scanLogText(bytes);
      assert.notEqual(whole.performance, undefined);
      assert.deepEqual(
        scanInChunks(
          bytes,
          (function* () {
            for (;;) yield 1;
          })(),
        ),
        whole,
      );
      for (let seed = 1; seed <= 20; seed++) assert.deepEqual(scanInChunks(bytes, randomSizes(seed, 17)), whole);
    });
  }
});

describe('Utf8Cleaner', () => {
  it('drops exactly the ill-formed bytes and never splits a character', () => {
    const bytes = Buffer.from([0x61, 0xe2, 0x82, 0x62, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98, 0x80, 0xc0, 0xaf, 0x63]);
    assert.equal(dropIllFormed(bytes).toString('utf8'), 'ab😀c');
    const cleaner = new Utf8Cleaner();
    const out = [...bytes].map((byte) => cleaner.push(Buffer.from([byte])));
    cleaner.end();
    assert.equal(Buffer.concat(out).toString('utf8'), 'ab😀c');
  });
});

describe('scanLogFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perf-parse-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('streams a multi-megabyte file across read-buffer boundaries', async () => {
    const path = join(dir, 'run.live.log');
    const filler = 'step 1 | loss 0.5\n'.repeat(120_000);
    // Straddles the 1 MiB read boundary.
    const pad = 'z'.repeat(1024 * 1024 - (filler.length % (1024 * 1024)) - 7);
    await writeFile(path, `${filler}${pad}\nperformance: 321 img/s\nSystemExit ok?\n`);
    const scan = await scanLogFile(path);
    assert.equal(scan.performance, '321');
    assert.equal(scan.metric, 'img/s');
    assert.equal(scan.errorPattern, 'SystemExit');
    assert.equal(scan.errorLine, 'SystemExit ok?');
    assert.ok(scan.bytes > 2_000_000);
  });
});
