/** runProcess timeouts (issue 9 item 13). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runProcess } from '../../../src/core/exec/process.ts';

test('a 30-day timeout does not kill a short process (Node would fire a > 24.8-day timer after 1 ms)', async () => {
  const result = await runProcess('sh', ['-c', 'sleep 0.2; echo done'], { timeoutMs: 2_592_000 * 1000 });
  assert.equal(result.timedOut, false);
  assert.equal(result.exitCode, 0);
  assert.equal(result.stdout, 'done\n');
});
