/** `madengine run --repeat 2 --warmup 1` on the bundled example hub (host executor): one row per measured run, warm-ups discarded. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliFromSource, repoRoot } from '../helpers/node.ts';
import { readPerfCsv } from '../helpers/csv.ts';

const madengine = (...args: string[]) => spawnSync(process.execPath, [...cliFromSource, ...args], { encoding: 'utf8', cwd: repoRoot });

test('run --repeat 2 --warmup 1: two rows per model with sample 1 and 2, every multiple_results row numbered, one log per run', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'madengine-cli-repeat-'));
  try {
    // A copy: the run takes the hub's run_directory, which other tests may be using in examples/mad.
    const hub = path.join(dir, 'hub');
    await cp(path.join(repoRoot, 'examples/mad'), hub, { recursive: true });
    const out = path.join(dir, 'out');
    const output = path.join(out, 'perf.csv');
    const run = madengine('run', '--hub', hub, '--tags', 'dummy,dummy_multi', '-c', '{"executor": "host"}', '--repeat', '2', '--warmup', '1', '-o', output);
    assert.equal(run.status, 0, run.stderr);

    const { rows } = await readPerfCsv(output);
    assert.deepEqual(
      rows.map((row) => [row.model, row.sample, row.status, row.performance]),
      [
        ['dummy', '1', 'SUCCESS', '42.5'],
        ['dummy', '2', 'SUCCESS', '42.5'],
        ['dummy_multi_1', '1', 'SUCCESS', '101.5'],
        ['dummy_multi_2', '1', 'SUCCESS', '202.5'],
        ['dummy_multi_3', '1', 'SUCCESS', '303.5'],
        ['dummy_multi_1', '2', 'SUCCESS', '101.5'],
        ['dummy_multi_2', '2', 'SUCCESS', '202.5'],
        ['dummy_multi_3', '2', 'SUCCESS', '303.5'],
      ],
    );
    assert.equal(new Set(rows.map((row) => row.run_id)).size, 1);
    const dummyStarts = rows.filter((row) => row.model === 'dummy').map((row) => row.started_at);
    assert.notEqual(dummyStarts[0], dummyStarts[1], 'each sample has its own start');

    assert.match(run.stderr + run.stdout, /^warm-up 1\/1 of dummy$/m);
    assert.match(run.stderr + run.stdout, /^SUCCESS dummy \(sample 2\/2\): 42\.5 samples_per_second$/m);
    assert.match(run.stdout, /^MODEL\s+SAMPLE\s+STATUS/m);
    assert.match(run.stdout, /^4 succeeded, 0 failed, 0 skipped/m);
    const logs = (await readdir(out)).filter((name) => name.startsWith('dummy.') && name.endsWith('.live.log'));
    assert.deepEqual(logs.sort(), ['dummy.host.sample1.run.live.log', 'dummy.host.sample2.run.live.log', 'dummy.host.warmup1.run.live.log']);

    const bad = madengine('run', '--hub', hub, '--tags', 'dummy', '-c', '{"executor": "host"}', '--repeat', '0', '-o', output);
    assert.equal(bad.status, 4, bad.stderr);
    assert.match(bad.stderr, /--repeat 0: expected a whole number from 1 to 1000/);
    const badWarmup = madengine('run', '--hub', hub, '--tags', 'dummy', '-c', '{"executor": "host"}', '--warmup', 'x', '-o', output);
    assert.equal(badWarmup.status, 4, badWarmup.stderr);
    assert.match(badWarmup.stderr, /--warmup "x": expected a whole number from 0 to 100/);
    assert.equal((await readPerfCsv(output)).rows.length, rows.length, 'refused runs add no row');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
