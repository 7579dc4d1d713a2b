import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openRunLog } from '../../../src/engines/host/run-output.ts';
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
