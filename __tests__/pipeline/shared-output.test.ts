/**
 * Concurrent runs from different hubs into one output directory (`-o same/perf.csv`, issue 9): their
 * models have the same names, so the same log and result file names. Real CLI processes, host executor.
 * The models meet at barriers so every run is inside the same step at once; each run's rows must still
 * carry its own hub's values, and each published file must be one run's whole file.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliFromSource } from '../helpers/node.ts';
import { readPerfCsv } from '../helpers/csv.ts';

const RUNS = 6;
let work: string;

/** Waits until every run has touched `<step>-<hub>` (bounded, so a run that never came cannot hang the others). */
function barrier(step: string): string {
  return [`touch "$BARRIER/${step}-$1"`, `for _ in $(seq 1 1200); do [ "$(ls "$BARRIER" | grep -c '^${step}-')" -ge ${RUNS} ] && break; sleep 0.05; done`].join(
    '\n',
  );
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'madengine-shared-out-'));
  await mkdir(path.join(work, 'barrier'));
  for (let i = 0; i < RUNS; i++) {
    const hub = path.join(work, `hub-${i}`);
    await mkdir(path.join(hub, 'scripts/s'), { recursive: true });
    // $1 is the hub's name (the model's args); its values differ per hub: 10<i>.5 and 20<i>.5.
    const logModel = ['echo "begin $1"', barrier('opened'), `echo "performance: 10${i}.5 samples_per_second"`, barrier('printed'), 'echo "end $1"'];
    const csvModel = ['echo "begin $1"', `printf 'model,performance,metric,hub\\nr,20${i}.5,x,%s\\n' "$1" > results.csv`, barrier('written'), 'echo "end $1"'];
    await writeFile(path.join(hub, 'scripts/s/log.sh'), `${logModel.join('\n')}\n`);
    await writeFile(path.join(hub, 'scripts/s/csv.sh'), `${csvModel.join('\n')}\n`);
    const model = (name: string, script: string, extra: object = {}) => ({
      name,
      dockerfile: 'docker/none',
      scripts: `scripts/s/${script}`,
      n_gpus: '0',
      tags: ['shared'],
      args: `hub-${i}`,
      ...extra,
    });
    await writeFile(path.join(hub, 'models.json'), JSON.stringify([model('logperf', 'log.sh'), model('multi', 'csv.sh', { multiple_results: 'results.csv' })]));
  }
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

function runCli(hub: string, out: string): Promise<{ code: number | null; stderr: string }> {
  const context = { executor: 'host', docker_env_vars: { BARRIER: path.join(work, 'barrier') } };
  const cli = spawn(
    process.execPath,
    [...cliFromSource, 'run', '--tags', 'shared', '--hub', hub, '-o', path.join(out, 'perf.csv'), '--timeout', '0', '-c', JSON.stringify(context)],
    { cwd: out, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => cli.once('exit', (code) => resolve({ code, stderr })));
}

/** The one hub whose run wrote `text` whole: its begin and end, and no other hub's marker. */
function wholeLogOf(text: string): string {
  const hubs = [...new Set([...text.matchAll(/\bhub-\d+\b/g)].map((match) => match[0]))];
  assert.equal(hubs.length, 1, `one run's log only:\n${text}`);
  const hub = hubs[0]!;
  assert.match(text, new RegExp(`^begin ${hub}$[\\s\\S]*^end ${hub}$`, 'm'), `the whole log of ${hub}:\n${text}`);
  return hub;
}

test(
  'concurrent runs from different hubs into one output dir: every row carries its own hub values, every published log is one whole run',
  { timeout: 300_000 },
  async () => {
    const out = path.join(work, 'out');
    await mkdir(out);
    const runs = await Promise.all(Array.from({ length: RUNS }, (_, i) => runCli(path.join(work, `hub-${i}`), out)));
    for (const [i, run] of runs.entries()) assert.equal(run.code, 0, `run of hub-${i}: ${run.stderr}`);

    const { rows } = await readPerfCsv(path.join(out, 'perf.csv'));
    assert.equal(rows.length, 2 * RUNS);
    for (let i = 0; i < RUNS; i++) {
      const mine = rows.filter((row) => row.args === `hub-${i}`);
      assert.deepEqual(
        mine.map((row) => [row.model, row.status, row.performance, row.hub ?? '']).sort(),
        [
          ['logperf', 'SUCCESS', `10${i}.5`, ''],
          ['multi_r', 'SUCCESS', `20${i}.5`, `hub-${i}`],
        ],
        `rows of hub-${i}`,
      );
    }

    wholeLogOf(await readFile(path.join(out, 'logperf.host.run.live.log'), 'utf8'));
    wholeLogOf(await readFile(path.join(out, 'multi.host.run.live.log'), 'utf8'));
    // The published results.csv is one run's copy, whole.
    const published = await readFile(path.join(out, 'results.csv'), 'utf8');
    const hub = /,x,(hub-\d+)\n$/.exec(published)?.[1];
    assert.ok(hub, published);
    assert.equal(published, `model,performance,metric,hub\nr,20${hub.slice(4)}.5,x,${hub}\n`);
    assert.deepEqual(
      (await readdir(out)).filter((name) => name.startsWith('.madengine-staging-')),
      [],
    );
  },
);
