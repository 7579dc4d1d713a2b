import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runActionBundle } from '../helpers/action-runner.ts';
import { repoRoot } from '../helpers/node.ts';

const hub = path.join(repoRoot, 'examples/mad');

test('discover: every model of the example hub as JSON, a count and a summary table', async () => {
  const run = await runActionBundle('discover', { inputs: { hub } });
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  const models = JSON.parse(run.outputs.models!) as { name: string; n_gpus: string }[];
  assert.equal(run.outputs.count, String(models.length));
  assert.equal(models.length, 8);
  assert.deepEqual(
    models.slice(0, 2).map((m) => m.name),
    ['dummy', 'dummy_fp16'],
  );
  assert.match(run.summary, /<table>/);
  assert.match(run.summary, /dummy3\/model4/);
});

test('discover: tags select (newline- or comma-separated, madengine syntax)', async () => {
  const run = await runActionBundle('discover', { inputs: { hub, tags: 'dummy2/all\ndummy:batch-size=32' } });
  assert.equal(run.exitCode, 0, run.stdout);
  const models = JSON.parse(run.outputs.models!) as { name: string; args: string }[];
  // Tags select in the order they are given, as madengine does.
  assert.deepEqual(
    models.map((m) => m.name),
    ['dummy2/model1', 'dummy2/model2', 'dummy'],
  );
  assert.equal(models[2]!.args, ' --batch-size 32');
});

test('discover: a malformed catalogue fails the step with an annotation on the file and line', async () => {
  const broken = await mkdtemp(path.join(tmpdir(), 'madengine-broken-hub-'));
  await cp(hub, broken, { recursive: true });
  await writeFile(path.join(broken, 'models.json'), '[\n  {"name": "x",}\n]\n');
  const run = await runActionBundle('discover', { inputs: { hub: broken } });
  assert.equal(run.exitCode, 1);
  assert.ok(
    run.annotations.some((a) => /^::error file=.*models\.json,line=2,col=\d+::/.test(a)),
    run.annotations.join('\n'),
  );
});

test('discover: a tag that selects nothing and a bad additional-context fail with clear messages', async () => {
  const unknown = await runActionBundle('discover', { inputs: { hub, tags: 'nonexistent_model' } });
  assert.equal(unknown.exitCode, 1);
  assert.match(unknown.stdout, /nonexistent_model/);
  const badContext = await runActionBundle('discover', { inputs: { hub, 'additional-context': '{"gpu_vendor": "INTEL"' } });
  assert.equal(badContext.exitCode, 1);
  assert.match(badContext.stdout, /additional-context/);
});
