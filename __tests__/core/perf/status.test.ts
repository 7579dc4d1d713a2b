import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunError } from '../../../src/core/errors.ts';
import { checkMultipleResults, readMultipleResults, resolveMultipleResultsPath } from '../../../src/core/perf/multiple.ts';
import { collectMetricsFromEnv, decideStatus } from '../../../src/core/perf/status.ts';

describe('decideStatus (compat §3.8)', () => {
  it('SUCCESS with a performance value and no error', () => {
    assert.deepEqual(decideStatus({ scan: { performance: '42.5' } }), { status: 'SUCCESS', reason: '' });
  });

  it('SKIPPED and session failures keep their reason', () => {
    assert.deepEqual(decideStatus({ skipped: 'skip_gpu_arch matches gfx942', scan: { performance: '1' } }), {
      status: 'SKIPPED',
      reason: 'skip_gpu_arch matches gfx942',
    });
    assert.deepEqual(decideStatus({ failure: 'timed out after 60 s', scan: { performance: '1' } }), {
      status: 'FAILURE',
      reason: 'timed out after 60 s',
    });
    assert.equal(decideStatus({ failure: '' }).reason, 'the run failed');
  });

  it('an error line fails the run even with performance (madengine v2.1 order)', () => {
    assert.deepEqual(
      decideStatus({
        scan: { performance: '10', errorPattern: 'Traceback (most recent call last)', errorLine: 'Traceback (most recent call last):' },
      }),
      { status: 'FAILURE', reason: "error pattern 'Traceback (most recent call last)' at: Traceback (most recent call last):" },
    );
  });

  it('explains a missing or N/A performance', () => {
    assert.deepEqual(decideStatus({ scan: {} }), {
      status: 'FAILURE',
      reason: "no performance line in the log (expected 'performance: <number> <metric>')",
    });
    assert.deepEqual(decideStatus({ scan: { performance: 'N/A' } }), { status: 'FAILURE', reason: 'performance is N/A' });
    assert.equal(decideStatus({}).status, 'FAILURE');
  });

  it('worker nodes (MAD_COLLECT_METRICS=false) succeed without performance, but not with errors', () => {
    const worker = decideStatus({ scan: {}, collectMetrics: false });
    assert.equal(worker.status, 'SUCCESS');
    assert.match(worker.reason, /worker node/);
    assert.equal(decideStatus({ scan: { errorPattern: 'FAILED', errorLine: 'FAILED' }, collectMetrics: false }).status, 'FAILURE');
    assert.equal(collectMetricsFromEnv({ MAD_COLLECT_METRICS: 'FALSE' }), false);
    assert.equal(collectMetricsFromEnv({ MAD_COLLECT_METRICS: 'true' }), true);
    assert.equal(collectMetricsFromEnv({}), true);
  });

  it('multiple_results: the CSV check decides, not the log performance', () => {
    assert.deepEqual(decideStatus({ scan: {}, multipleResults: { path: '/x/perf_dummy.csv' } }), { status: 'SUCCESS', reason: '' });
    assert.deepEqual(decideStatus({ scan: { performance: '5' }, multipleResults: { reason: 'file missing' } }), {
      status: 'FAILURE',
      reason: 'file missing',
    });
  });
});

describe('multiple_results (compat §3.9)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perf-multiple-test-'));
    await mkdir(join(dir, 'scripts', 'dummy'), { recursive: true });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const location = (): { cwd: string; modelDir: string } => ({ cwd: dir, modelDir: 'scripts/dummy' });
  /** A run that started before every file of these tests was written. */
  const anyRun = { startedAtMs: 0, collected: [] };

  it('resolves cwd first, then the model directory', async () => {
    await writeFile(join(dir, 'scripts', 'dummy', 'only_in_model.csv'), 'model,performance,metric\n');
    assert.equal(await resolveMultipleResultsPath('only_in_model.csv', location()), join(dir, 'scripts', 'dummy', 'only_in_model.csv'));
    await writeFile(join(dir, 'only_in_model.csv'), 'model,performance,metric\n');
    assert.equal(await resolveMultipleResultsPath(' only_in_model.csv ', location()), join(dir, 'only_in_model.csv'));
    assert.equal(await resolveMultipleResultsPath('absent.csv', location()), undefined);
  });

  it('turns each row into a perf row with extra columns and exact values', async () => {
    const path = join(dir, 'perf_dummy.csv');
    await writeFile(path, ' model , temperature,performance, metric\n1,70,123,samples_per_sec\n2,71,,samples_per_sec\n3,72,N/A,x\n');
    const rows = await readMultipleResults(path, 'dummy_multi', { model: 'dummy_multi', n_gpus: '1', status: 'SUCCESS' });
    assert.equal(rows.length, 3);
    assert.deepEqual(rows[0], {
      model: 'dummy_multi_1',
      n_gpus: '1',
      status: 'SUCCESS',
      temperature: '70',
      performance: '123',
      metric: 'samples_per_sec',
    });
    assert.equal(rows[1]!.status, 'FAILURE');
    assert.match(rows[1]!.reason!, /no performance value in .*perf_dummy\.csv line 3/);
    assert.equal(rows[2]!.status, 'FAILURE'); // pandas reads "N/A" as NaN
    assert.equal(rows[2]!.performance, 'N/A');
  });

  it('names the file and the missing columns', async () => {
    const path = join(dir, 'bad.csv');
    await writeFile(path, 'name,perf\na,1\n');
    await assert.rejects(readMultipleResults(path, 'm', {}), (error: unknown) => {
      assert.ok(error instanceof RunError);
      assert.equal(error.file, path);
      assert.match(error.message, /bad\.csv is missing the 'model', 'performance', 'metric' columns/);
      return true;
    });
    const broken = join(dir, 'broken.csv');
    await writeFile(broken, 'model,performance,metric\n"a,1,x\n');
    await assert.rejects(readMultipleResults(broken, 'm', {}), /broken\.csv is not valid CSV: unterminated quoted field at line 2/);
  });

  it('checks the file for the run status', async () => {
    await writeFile(join(dir, 'empty_perf.csv'), 'model,performance,metric\na, ,x\n');
    await writeFile(join(dir, 'no_perf.csv'), 'model,metric\na,x\n');
    await writeFile(join(dir, 'good.csv'), 'model,performance,metric\na,,x\nb,5,x\n');
    assert.deepEqual(await checkMultipleResults('good.csv', location(), anyRun), { path: join(dir, 'good.csv') });
    assert.match((await checkMultipleResults('empty_perf.csv', location(), anyRun)).reason!, /no row with a performance value/);
    assert.match((await checkMultipleResults('no_perf.csv', location(), anyRun)).reason!, /no 'performance' column \(columns: model, metric\)/);
    assert.match((await checkMultipleResults('nope.csv', location(), anyRun)).reason!, /'nope\.csv' not found \(looked in /);
  });

  it('never reads a file an earlier model left: a model that wrote none fails, naming the stale file (issue 9 item 10)', async () => {
    const stale = join(dir, 'perf_shared.csv');
    await writeFile(stale, 'model,performance,metric\na,999,x\n');
    // The previous model's copy is a day old when this model starts, and this run collected nothing.
    const old = new Date(Date.now() - 86_400_000);
    await utimes(stale, old, old);
    const check = await checkMultipleResults('perf_shared.csv', location(), { startedAtMs: Date.now(), collected: [] });
    assert.equal(check.path, undefined);
    assert.match(check.reason!, /multiple_results file 'perf_shared\.csv' was not written by this run \(the model started at .*perf_shared\.csv \(modified /);
    // The same file counts when this run's executor collected it, or when it is newer than the start.
    assert.deepEqual(await checkMultipleResults('perf_shared.csv', location(), { startedAtMs: Date.now(), collected: [stale] }), { path: stale });
    assert.deepEqual(await checkMultipleResults('perf_shared.csv', location(), { startedAtMs: old.getTime(), collected: [] }), { path: stale });
  });

  it('never reads a file in the published-to dir (another run may have put it there, even just now), but names it', async () => {
    const staging = join(dir, 'staging-of-this-run');
    await mkdir(staging, { recursive: true });
    const other = join(dir, 'perf_other.csv');
    await writeFile(other, 'model,performance,metric\na,999,x\n');
    const check = await checkMultipleResults(
      'perf_other.csv',
      { cwd: staging, modelDir: join(dir, 'no_model_dir'), publishedTo: dir },
      { startedAtMs: 0, collected: [other] },
    );
    assert.equal(check.path, undefined);
    assert.match(
      check.reason!,
      /'perf_other\.csv' was not written by this run .*found only files left by an earlier model or another run: .*perf_other\.csv \(modified /,
    );
    await writeFile(join(staging, 'perf_other.csv'), 'model,performance,metric\na,1,x\n');
    assert.deepEqual(await checkMultipleResults('perf_other.csv', { cwd: staging, modelDir: join(dir, 'no_model_dir'), publishedTo: dir }, anyRun), {
      path: join(staging, 'perf_other.csv'),
    });
  });

  it('skips a stale copy in cwd for a fresh file in the model directory', async () => {
    const stale = join(dir, 'perf_both.csv');
    const fresh = join(dir, 'scripts', 'dummy', 'perf_both.csv');
    await writeFile(stale, 'model,performance,metric\na,999,x\n');
    await writeFile(fresh, 'model,performance,metric\na,1,x\n');
    const old = new Date(Date.now() - 86_400_000);
    await utimes(stale, old, old);
    const startedAtMs = Date.now() - 3_600_000;
    await utimes(fresh, new Date(startedAtMs + 1000), new Date(startedAtMs + 1000));
    assert.deepEqual(await checkMultipleResults('perf_both.csv', location(), { startedAtMs, collected: [] }), { path: fresh });
  });
});
