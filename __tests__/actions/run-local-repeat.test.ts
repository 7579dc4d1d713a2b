/** run-local with `repeat` and `warmup` (from source, host executor): one summary line and perf.csv row per sample. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runActionBundle } from '../helpers/action-runner.ts';
import { readPerfCsv } from '../helpers/csv.ts';
import { repoRoot } from '../helpers/node.ts';

test('run-local repeat 2, warmup 1: the job summary has a Sample column, perf.csv one row per sample, outputs count the samples', async () => {
  const workspace = await mkdtemp(path.join(tmpdir(), 'madengine-run-local-repeat-'));
  try {
    await cp(path.join(repoRoot, 'examples/mad'), path.join(workspace, 'hub'), { recursive: true });
    const run = await runActionBundle('run-local', {
      fromSource: true,
      workspace,
      inputs: { hub: 'hub', tags: 'dummy', 'additional-context': '{"executor": "host"}', repeat: '2', warmup: '1', 'upload-artifact': 'false' },
    });
    assert.equal(run.exitCode, 0, run.stdout + run.stderr);
    assert.equal(run.outputs.succeeded, '2');
    const { rows } = await readPerfCsv(path.join(workspace, 'perf.csv'));
    assert.deepEqual(
      rows.map((row) => [row.model, row.sample, row.performance]),
      [
        ['dummy', '1', '42.5'],
        ['dummy', '2', '42.5'],
      ],
    );
    assert.match(run.summary, /<tr><th>Model<\/th><th>Sample<\/th><th>Status<\/th>/, run.summary);
    assert.match(run.summary, /<tr><td>dummy<\/td><td>1<\/td><td>SUCCESS<\/td>.*<tr><td>dummy<\/td><td>2<\/td><td>SUCCESS<\/td>/, run.summary);
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
});
