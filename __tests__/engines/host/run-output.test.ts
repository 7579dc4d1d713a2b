import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { collectResults, openRunLog } from '../../../src/engines/host/run-output.ts';
import { Redactor } from '../../../src/core/secrets/redactor.ts';
import { scanLogFile } from '../../../src/core/perf/log-scan.ts';

test('an executor note never continues the model line it interrupts, and a multi-line message stays one scanned-out tool line', async () => {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'run-output-')), 'run.live.log');
  const log = await openRunLog(file);
  log.write(Buffer.from('performance: 12.5 samples_per_second')); // no newline: the model was killed mid-line
  log.note('pull of x failed: Error: denied\nRuntimeError: second line of the daemon message');
  await log.close();
  const text = await readFile(file, 'utf8');
  assert.equal(
    text,
    'performance: 12.5 samples_per_second\n=== madengine: pull of x failed: Error: denied\\nRuntimeError: second line of the daemon message\n',
  );
  const scan = await scanLogFile(file);
  assert.equal(scan.performance, '12.5');
  assert.equal(scan.metric, 'samples_per_second');
  assert.equal(scan.errorLine, undefined, 'the tool line is not scanned for errors');
});

test('collected result files are copied through the redactor, also where a secret spans two read chunks of the copy', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'collect-'));
  try {
    const modelDir = path.join(root, 'run_directory');
    const outputDir = path.join(root, 'out');
    await mkdir(modelDir);
    const secret = 'hunter2-token-value';
    // fs read streams read 64 KiB chunks: one secret straddles the first boundary, one the second.
    const chunk = 64 * 1024;
    const head = 'model,performance,metric\n' + 'a'.repeat(chunk - 25 - 7);
    const middle = 'b'.repeat(chunk - 11 - secret.length + 7);
    const content = `${head}${secret}${middle}${secret},tail\n${secret.slice(0, 6)}\n`;
    assert.ok(content.indexOf(secret) < chunk && content.indexOf(secret) + secret.length > chunk, 'a secret spans the first chunk boundary');
    const second = content.indexOf(secret, chunk);
    assert.ok(second < 2 * chunk && second + secret.length > 2 * chunk, 'a secret spans the second chunk boundary');
    await writeFile(path.join(modelDir, 'perf_results.csv'), content);
    await writeFile(path.join(modelDir, 'big_trace.csv'), secret.repeat(50_000));
    await writeFile(path.join(modelDir, 'other.txt'), secret);

    const copied = await collectResults(modelDir, ['perf_results.csv', '*_trace.csv'], outputDir, new Redactor([secret]));
    assert.deepEqual(copied, [path.join(outputDir, 'big_trace.csv'), path.join(outputDir, 'perf_results.csv')]);
    assert.equal(await readFile(path.join(outputDir, 'perf_results.csv'), 'utf8'), content.replaceAll(secret, '***'));
    assert.equal(await readFile(path.join(outputDir, 'big_trace.csv'), 'utf8'), '***'.repeat(50_000));
    // Without secrets the copy is byte for byte.
    const plain = await collectResults(modelDir, ['perf_results.csv'], path.join(root, 'plain'), new Redactor([]));
    assert.equal(await readFile(plain[0]!, 'utf8'), content);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
