/**
 * Staging (issue 9): a model run's log and collected result files live in its private directory
 * until it has been judged, then are published under their madengine names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { createStaging, publishAbandonedStaging } from '../../../src/core/run/staging.ts';
import { runPhase, type RunPhaseOptions } from '../../../src/core/run/run-phase.ts';
import type { Executor, ModelRunSpec } from '../../../src/core/run/executor.ts';
import { parseCsvTable } from '../../../src/core/util/csv.ts';
import { runPhaseOptions } from '../../helpers/run-phase-options.ts';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'staging-'));
  try {
    await fn(path.join(dir, 'out'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync('true');
  assert.ok(child.pid);
  return child.pid;
}

const hostTag = hostname().replace(/[^A-Za-z0-9.]/g, '_');

test('publish moves every staged file into the output dir under its name and removes the staging dir', async () => {
  await withDir(async (out) => {
    await mkdir(out);
    await writeFile(path.join(out, 'results.csv'), 'old\n');
    const staging = await createStaging(out);
    assert.equal(path.dirname(staging.dir), out);
    assert.match(path.basename(staging.dir), new RegExp(`^\\.madengine-staging-${hostTag.replaceAll('.', '\\.')}-${process.pid}-[0-9a-f]+$`));
    await writeFile(path.join(staging.dir, 'results.csv'), 'mine\n');
    await writeFile(path.join(staging.dir, 'm.host.run.live.log'), 'log\n');
    assert.equal(staging.published(`bad file ${staging.dir}/results.csv`), `bad file ${out}/results.csv`);
    assert.deepEqual(await staging.publish(), []);
    assert.deepEqual((await readdir(out)).sort(), ['m.host.run.live.log', 'results.csv']);
    assert.equal(await readFile(path.join(out, 'results.csv'), 'utf8'), 'mine\n');
  });
});

test('a dead process staging dir is published at the next run phase start; live ones, other hosts and newer files are left alone', async () => {
  await withDir(async (out) => {
    const dead = path.join(out, `.madengine-staging-${hostTag}-${deadPid()}-0123456789ab`);
    const live = path.join(out, `.madengine-staging-${hostTag}-${process.pid}-0123456789ab`);
    await mkdir(out);
    const elsewhere = path.join(out, `.madengine-staging-some_other_host-${deadPid()}-0123456789ab`);
    for (const dir of [dead, live, elsewhere]) await mkdir(dir);
    await writeFile(path.join(dead, 'm.host.run.live.log'), 'partial log of the killed run\n');
    await writeFile(path.join(dead, 'later.csv'), 'stale\n');
    await writeFile(path.join(out, 'later.csv'), 'a later run\n');
    const past = new Date(Date.now() - 3_600_000);
    await utimes(path.join(dead, 'later.csv'), past, past);
    await writeFile(path.join(live, 'x.csv'), 'running\n');
    await writeFile(path.join(elsewhere, 'y.csv'), 'other host\n');

    const result = await publishAbandonedStaging(out);
    assert.deepEqual(result.problems, []);
    assert.equal(result.published.length, 1);
    assert.match(result.published[0]!, /published the files of an interrupted run \(process \d+\) from /);
    assert.equal(await readFile(path.join(out, 'm.host.run.live.log'), 'utf8'), 'partial log of the killed run\n');
    assert.equal(await readFile(path.join(out, 'later.csv'), 'utf8'), 'a later run\n', 'an older leftover never replaces a newer file');
    const left = (await readdir(out)).sort();
    assert.deepEqual(left, [path.basename(elsewhere), path.basename(live), 'later.csv', 'm.host.run.live.log'].sort());
  });
});

/** A run phase options object for one multiple_results model of a hub next to `out`, on a fake executor. */
async function phaseOptions(out: string, executor: Executor, logged: string[]): Promise<RunPhaseOptions> {
  const log = (m: string) => void logged.push(m);
  const hub = `${out}-hub`;
  await mkdir(path.join(hub, 'scripts/m'), { recursive: true });
  await writeFile(path.join(hub, 'scripts/m/run.sh'), 'true\n');
  return runPhaseOptions({
    output: path.join(out, 'perf.csv'),
    hubDir: hub,
    executor,
    logger: { info: log, warn: log, error: log, debug: () => {}, group: (_title, fn) => fn() },
    manifest: {
      built_images: { img: { docker_image: 'img', dockerfile: 'docker/none' } },
      built_models: { img: { name: 'm', n_gpus: '0', scripts: 'scripts/m/run.sh', multiple_results: 'results.csv' } },
    } as unknown as RunPhaseOptions['manifest'],
  });
}

test('a run is judged from its own staged log and copies, even when another run writes the same names meanwhile', async () => {
  await withDir(async (out) => {
    const seen: ModelRunSpec[] = [];
    const executor: Executor = {
      kind: 'host',
      cleanup: async () => {},
      run: async (spec) => {
        seen.push(spec);
        await writeFile(spec.logFile, 'mine: whole log\n');
        const copy = path.join(spec.outputDir, 'results.csv');
        await writeFile(copy, 'model,performance,metric\na,1.5,x\n');
        // Another hub's run, sharing the output dir, lands its copy and log under the same names now.
        await writeFile(path.join(out, 'results.csv'), 'model,performance,metric\nb,999,y\n');
        await writeFile(path.join(out, path.basename(spec.logFile)), 'other run\n');
        return { exitCode: 0, timedOut: false, cancelled: false, durationSeconds: 1, modelDir: path.join(out, 'gone'), collected: [copy] };
      },
    };
    // A run killed earlier (kill -9) left its staging dir: the run phase publishes it first.
    const killed = path.join(out, `.madengine-staging-${hostTag}-${deadPid()}-0123456789ab`);
    await mkdir(killed, { recursive: true });
    await writeFile(path.join(killed, 'k.host.run.live.log'), 'partial log of the killed run\n');
    const logged: string[] = [];
    const phase = await runPhase(await phaseOptions(out, executor, logged));
    assert.equal(await readFile(path.join(out, 'k.host.run.live.log'), 'utf8'), 'partial log of the killed run\n');
    assert.ok(
      logged.some((line) => line.startsWith('published the files of an interrupted run')),
      logged.join('\n'),
    );
    assert.equal(phase.results[0]!.status, 'SUCCESS', phase.results[0]!.reason);
    assert.deepEqual(
      phase.results[0]!.rows.map((row) => [row.model, row.performance]),
      [['m_a', '1.5']],
    );
    assert.equal(path.dirname(path.dirname(seen[0]!.logFile)), out);
    assert.equal(path.dirname(seen[0]!.logFile), seen[0]!.outputDir);
    // Published: this run's files under the madengine names, no staging dir left.
    assert.equal(await readFile(path.join(out, 'm.host.run.live.log'), 'utf8'), 'mine: whole log\n');
    assert.match(await readFile(path.join(out, 'results.csv'), 'utf8'), /a,1\.5,x/);
    assert.deepEqual(
      (await readdir(out)).filter((name) => name.startsWith('.madengine-staging-')),
      [],
    );
    const { rows } = parseCsvTable(await readFile(path.join(out, 'perf.csv'), 'utf8'));
    assert.deepEqual(
      rows.map((row) => row.performance),
      ['1.5'],
    );
  });
});

test('a failing or throwing executor still publishes its files and leaves no staging dir; messages name the published paths', async () => {
  await withDir(async (out) => {
    const executor: Executor = {
      kind: 'host',
      cleanup: async () => {},
      run: async (spec) => {
        await writeFile(spec.logFile, 'partial\n');
        await writeFile(path.join(spec.outputDir, 'results.csv'), 'no,columns\n');
        throw new Error(`daemon gone while reading ${path.join(spec.outputDir, 'results.csv')}`);
      },
    };
    const phase = await runPhase(await phaseOptions(out, executor, []));
    assert.equal(phase.results[0]!.status, 'FAILURE');
    assert.equal(phase.results[0]!.reason, `daemon gone while reading ${path.join(out, 'results.csv')}`);
    assert.equal(await readFile(path.join(out, 'm.host.run.live.log'), 'utf8'), 'partial\n');
    assert.deepEqual(
      (await readdir(out)).filter((name) => name.startsWith('.madengine-staging-')),
      [],
    );
  });
  await withDir(async (out) => {
    const executor: Executor = {
      kind: 'host',
      cleanup: async () => {},
      run: async (spec) => {
        await writeFile(spec.logFile, '');
        const copy = path.join(spec.outputDir, 'results.csv');
        await writeFile(copy, 'model,performance,metric\na,,x\n');
        return { exitCode: 0, timedOut: false, cancelled: false, durationSeconds: 1, modelDir: path.join(out, 'gone'), collected: [copy] };
      },
    };
    const phase = await runPhase(await phaseOptions(out, executor, []));
    assert.equal(phase.results[0]!.status, 'FAILURE');
    assert.equal(phase.results[0]!.reason, `multiple_results file ${path.join(out, 'results.csv')} has no row with a performance value`);
  });
});
