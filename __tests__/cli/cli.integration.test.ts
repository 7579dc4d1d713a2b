/** The CLI surface: help, version, every documented exit code, detect. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { cliFromSource, repoRoot } from '../helpers/node.ts';
import { parseCsv } from '../helpers/csv.ts';
import { requireInfra } from '../helpers/infra.ts';

const madengine = (...args: string[]) => spawnSync(process.execPath, [...cliFromSource, ...args], { encoding: 'utf8', cwd: repoRoot });

test('help lists every command; --version prints the version; no arguments prints help', () => {
  const help = madengine('--help');
  assert.equal(help.status, 0);
  for (const command of ['discover', 'build', 'run', 'detect']) assert.match(help.stdout, new RegExp(`^  ${command} `, 'm'));
  assert.match(madengine('--version').stdout, /^madengine version \d+\.\d+\.\d+/);
  assert.match(madengine().stdout, /Usage: madengine/);
});

test('usage errors exit 4 (invalid arguments) with a message', () => {
  const unknown = madengine('frobnicate');
  assert.equal(unknown.status, 4);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  const badOption = madengine('run', '--no-such-option');
  assert.equal(badOption.status, 4);
  const badTimeout = madengine('run', '--tags', 'dummy', '--timeout', 'soon', '--hub', 'examples/mad');
  assert.equal(badTimeout.status, 4);
  assert.match(badTimeout.stderr, /--timeout soon: expected a whole number of seconds/);
  const nothing = madengine('run', '--hub', 'examples/mad');
  assert.equal(nothing.status, 4);
  assert.match(nothing.stderr, /Either a manifest file or tags are required/);
});

test('detect reports the machine and the MAD_* variables models get', () => {
  const detect = madengine('detect', '--json');
  assert.equal(detect.status, 0, detect.stderr);
  const info = JSON.parse(detect.stdout) as { gpuVendor: string; gpuCount: number; env: Record<string, string>; notes: string[] };
  assert.ok(['AMD', 'NVIDIA', 'NONE'].includes(info.gpuVendor));
  assert.equal(info.env.MAD_GPU_VENDOR, info.gpuVendor);
  assert.equal(info.env.MAD_SYSTEM_NGPUS, String(info.gpuCount));
  assert.ok(info.notes.length > 0, 'detection says what it tried');
  assert.match(madengine('detect').stdout, /^GPU vendor\s+(AMD|NVIDIA|NONE)$/m);
});

/** A hub with the given models (n_gpus 0, Dockerfile docker/dummy unless given) and their scripts under scripts/t/. */
async function hubWith(models: object[], scripts: Record<string, string>): Promise<string> {
  const hub = await mkdtemp(path.join(tmpdir(), 'madengine-cli-hub-'));
  await mkdir(path.join(hub, 'scripts/t'), { recursive: true });
  for (const [name, body] of Object.entries(scripts)) await writeFile(path.join(hub, 'scripts/t', name), body);
  const full = models.map((m) => ({ dockerfile: 'docker/dummy', n_gpus: '0', tags: ['t'], args: '', ...m }));
  await writeFile(path.join(hub, 'models.json'), JSON.stringify(full));
  return hub;
}

const host = ['-c', '{"executor": "host"}'];

test('exit codes as documented: 0 ok, 1 unreadable hub, 3 failed model, 4 bad arguments (issue 9 item 17)', async () => {
  const hub = path.join(repoRoot, 'examples/mad');
  assert.equal(madengine('discover', '--hub', hub).status, 0);

  const broken = await mkdtemp(path.join(tmpdir(), 'madengine-cli-broken-'));
  await writeFile(path.join(broken, 'models.json'), '[{"name": "x",}]');
  const unreadable = madengine('discover', '--hub', broken);
  assert.equal(unreadable.status, 1, unreadable.stderr);
  assert.match(unreadable.stderr, /models\.json:1:\d+: invalid JSON/);

  const noMatch = madengine('discover', '--hub', hub, '--tags', 'dumy');
  assert.equal(noMatch.status, 4, 'a tag that selects nothing is an invalid argument');
  assert.match(noMatch.stderr, /No models found for the tag 'dumy' \(did you mean 'dummy'\?\)/);
  const buildNothing = madengine('build', '--hub', hub);
  assert.equal(buildNothing.status, 4, buildNothing.stderr);
  assert.match(buildNothing.stderr, /pass --tags/);

  const out = await mkdtemp(path.join(tmpdir(), 'madengine-cli-out-'));
  const missingData = madengine('run', '--hub', hub, '--tags', 'dummy', ...host, '-o', path.join(out, 'perf.csv'), '--data-config', 'missing.json');
  assert.equal(missingData.status, 4, missingData.stderr);
  assert.match(missingData.stderr, /--data-config missing\.json: file not found/);
  await assert.rejects(readFile(path.join(out, 'perf.csv')), 'nothing ran');

  const failing = await hubWith([{ name: 'fails', scripts: 'scripts/t/fail.sh' }], { 'fail.sh': 'echo boom; exit 7\n' });
  const runFailed = madengine('run', '--hub', failing, '--tags', 'fails', ...host, '-o', path.join(out, 'fail.csv'));
  assert.equal(runFailed.status, 3, runFailed.stderr + runFailed.stdout);
  assert.match(runFailed.stdout, /0 succeeded, 1 failed/);
});

test('exit code 2: a selected model without a matching Dockerfile is a build failure (issue 9 item 17)', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const hub = await hubWith([{ name: 'ghost', dockerfile: 'docker/ghost', scripts: 'scripts/t/ok.sh' }], { 'ok.sh': 'echo "performance: 1 x"\n' });
  const out = await mkdtemp(path.join(tmpdir(), 'madengine-cli-out-'));
  const build = madengine('build', '--hub', hub, '--tags', 'ghost', '-m', path.join(out, 'm.json'));
  assert.equal(build.status, 2, build.stderr);
  assert.match(build.stderr, /model ghost has no Dockerfile: no file matches docker\/ghost\.\*/);
});

test("multiple_results: a model that writes no file fails instead of reporting the previous model's numbers (issue 9 item 10)", async () => {
  const hub = await hubWith(
    [
      { name: 'writes', scripts: 'scripts/t/writes.sh', multiple_results: 'perf_shared.csv' },
      { name: 'writes_none', scripts: 'scripts/t/none.sh', multiple_results: 'perf_shared.csv' },
    ],
    { 'writes.sh': 'printf "model,performance,metric\\na,999,x\\n" > perf_shared.csv\n', 'none.sh': 'echo "no results today"\n' },
  );
  const out = await mkdtemp(path.join(tmpdir(), 'madengine-cli-out-'));
  const run = madengine('run', '--hub', hub, '--tags', 't', ...host, '-o', path.join(out, 'perf.csv'));
  assert.equal(run.status, 3, run.stderr + run.stdout);
  const [header, ...rows] = parseCsv(await readFile(path.join(out, 'perf.csv'), 'utf8'));
  const byModel = Object.fromEntries(rows.map((row) => [row[header!.indexOf('model')], Object.fromEntries(header!.map((k, i) => [k, row[i] ?? '']))]));
  assert.equal(byModel.writes_a?.status, 'SUCCESS');
  assert.equal(byModel.writes_a?.performance, '999');
  assert.equal(byModel.writes_none?.status, 'FAILURE');
  assert.match(byModel.writes_none?.reason ?? '', /multiple_results file 'perf_shared\.csv' was not written by this run/);
  assert.equal(Object.keys(byModel).filter((name) => name.startsWith('writes_none_')).length, 0, "no rows with the other model's numbers");
});

test('a malformed perf.csv fails `run --tags` before anything is built (exit 4, naming the file)', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  // The model cannot even be built: were the build first, this would exit 2 for the missing Dockerfile.
  const hub = await hubWith([{ name: 'ghost', dockerfile: 'docker/ghost', scripts: 'scripts/t/ok.sh' }], { 'ok.sh': 'echo "performance: 1 x"\n' });
  const out = await mkdtemp(path.join(tmpdir(), 'madengine-cli-out-'));
  const perf = path.join(out, 'perf.csv');
  await writeFile(perf, 'model,status\n"unterminated,SUCCESS\n');
  const run = madengine('run', '--hub', hub, '--tags', 'ghost', '-o', perf, '--manifest-output', path.join(out, 'm.json'), '-c', '{"executor": "docker"}');
  assert.equal(run.status, 4, run.stderr);
  assert.match(run.stderr, /perf\.csv/);
  assert.doesNotMatch(run.stderr, /no Dockerfile/);
  assert.equal(await readFile(perf, 'utf8'), 'model,status\n"unterminated,SUCCESS\n');
});

test('executor auto with no Docker daemon refuses a manifest of container images instead of running their scripts on the host', async () => {
  const hub = await hubWith([{ name: 'm', scripts: 'scripts/t/ok.sh' }], { 'ok.sh': 'echo "performance: 1 x"\n' });
  const out = await mkdtemp(path.join(tmpdir(), 'madengine-cli-out-'));
  const manifest = path.join(out, 'build_manifest.json');
  const image = 'ci-m_dummy';
  await writeFile(
    manifest,
    JSON.stringify({
      built_images: {
        [image]: { docker_image: image, dockerfile: 'docker/dummy.Dockerfile', base_docker: '', docker_sha: 'sha256:00', build_duration: 0, model: 'm' },
      },
      built_models: { [image]: { name: 'm', scripts: 'scripts/t/ok.sh', n_gpus: '0', dockerfile: 'docker/dummy', tags: ['t'], args: '' } },
      context: {},
    }),
  );
  const noDaemon = { ...process.env, DOCKER_HOST: `unix://${path.join(out, 'no-daemon.sock')}` };
  const run = (...extra: string[]) =>
    spawnSync(process.execPath, [...cliFromSource, 'run', '--hub', hub, '-m', manifest, '-o', path.join(out, 'perf.csv'), ...extra], {
      encoding: 'utf8',
      cwd: out,
      env: noDaemon,
    });
  const refused = run();
  assert.equal(refused.status, 3, refused.stderr);
  assert.match(refused.stderr, /lists container images \(ci-m_dummy\), but no Docker daemon answers \(executor auto\)/);
  const asked = run('-c', '{"executor": "host"}');
  assert.equal(asked.status, 0, asked.stderr);
  assert.match(await readFile(path.join(out, 'perf.csv'), 'utf8'), /SUCCESS/);
});

test("perf.csv inside the hub's run_directory is refused before anything runs (every model run deletes that directory)", async () => {
  const hub = await hubWith([{ name: 'm', scripts: 'scripts/t/ok.sh' }], { 'ok.sh': 'echo "performance: 1 x"\n' });
  const inside = path.join(hub, 'run_directory', 'perf.csv');
  const run = madengine('run', '--hub', hub, '--tags', 'm', '-o', inside, ...host);
  assert.equal(run.status, 4, run.stderr);
  assert.match(run.stderr, /perf CSV .*run_directory\/perf\.csv is inside the hub's run_directory .*which every model run deletes and recreates/);
});

test('a second `run --tags` on a busy hub is refused before it builds anything', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const hub = await hubWith([{ name: 'ghost', dockerfile: 'docker/ghost', scripts: 'scripts/t/ok.sh' }], { 'ok.sh': 'echo "performance: 1 x"\n' });
  // A live run holds the hub: this test process, as far as the lock can tell.
  const lock = { pid: process.pid, host: hostname(), started: new Date().toISOString(), token: 'held-by-test', data: { runId: 'other-run' } };
  await writeFile(path.join(hub, 'run_directory.lock'), JSON.stringify(lock));
  const out = await mkdtemp(path.join(tmpdir(), 'madengine-cli-out-'));
  const run = madengine(
    'run',
    '--hub',
    hub,
    '--tags',
    'ghost',
    '-o',
    path.join(out, 'perf.csv'),
    '--manifest-output',
    path.join(out, 'm.json'),
    '-c',
    '{"executor": "docker"}',
  );
  assert.equal(run.status, 3, run.stderr);
  assert.match(run.stderr, /is in use by run other-run/);
  // Were the build first, the missing Dockerfile would have been reported (exit 2) and a manifest written.
  assert.doesNotMatch(run.stderr, /no Dockerfile/);
  assert.equal(existsSync(path.join(out, 'm.json')), false);
});
