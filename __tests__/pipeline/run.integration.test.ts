/**
 * `madengine run` end to end through the CLI: the example hub on both executors, failure
 * statuses, timeouts, SIGTERM, and bad input. Needs the Docker engine of scripts/test-infra.sh.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cliFromSource, repoRoot } from '../helpers/node.ts';
import { requireInfra } from '../helpers/infra.ts';
import { parseCsv } from '../helpers/csv.ts';
import { detectSystem } from '../../src/core/gpu/detect.ts';

let work: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'madengine-run-it-'));
});
after(async () => {
  const leftovers = execFileSync('docker', ['ps', '-aq', '--filter', 'label=org.madengine.run-id'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  if (leftovers.length) execFileSync('docker', ['rm', '-f', ...leftovers], { stdio: 'ignore' });
  await rm(work, { recursive: true, force: true });
});

function madengine(args: string[], cwd: string) {
  return spawnSync(process.execPath, [...cliFromSource, ...args], { cwd, encoding: 'utf8', timeout: 240_000 });
}

async function rowsOf(file: string): Promise<Record<string, string>[]> {
  const [header, ...rows] = parseCsv(await readFile(file, 'utf8'));
  return rows.map((row) => Object.fromEntries(header!.map((name, i) => [name, row[i] ?? ''])));
}

const expected: Record<string, string> = {
  dummy: '42.5',
  dummy_fp16: '85.0',
  dummy_ctx: '0',
  'dummy2/model1': '10.5',
  'dummy2/model2': '10.5',
  'dummy3/model3': '7.25',
  'dummy3/model4': '7.25',
  dummy_multi_1: '101.5',
  dummy_multi_2: '202.5',
  dummy_multi_3: '303.5',
};

for (const executor of ['docker', 'host'] as const) {
  test(`example hub with the ${executor} executor: every model SUCCESS with its value`, async (t) => {
    if (executor === 'docker' && !(await requireInfra(t, { docker: true }))) return;
    const out = path.join(work, `example-${executor}`);
    await mkdir(out, { recursive: true });
    const run = madengine(
      [
        'run',
        '--tags',
        'all',
        '--hub',
        path.join(repoRoot, 'examples/mad'),
        '-o',
        path.join(out, 'perf.csv'),
        '--manifest-output',
        path.join(out, 'build_manifest.json'),
        '-c',
        JSON.stringify({ executor }),
      ],
      out,
    );
    assert.equal(run.status, 0, run.stderr + run.stdout);
    const rows = await rowsOf(path.join(out, 'perf.csv'));
    const byModel = Object.fromEntries(rows.map((r) => [r.model, r]));
    for (const [model, performance] of Object.entries(expected)) {
      assert.equal(byModel[model]?.status, 'SUCCESS', `${model}: ${byModel[model]?.reason}`);
      assert.equal(byModel[model]?.performance, performance, model);
    }
    assert.ok(rows.every((r) => r.executor === executor));
    assert.equal(byModel.dummy?.metric, 'samples_per_second');
    assert.match(run.stdout, /succeeded, 0 failed/);
  });
}

async function failureHub(): Promise<string> {
  const hub = path.join(work, 'failures');
  await cp(path.join(repoRoot, 'examples/mad/docker'), path.join(hub, 'docker'), { recursive: true });
  await mkdir(path.join(hub, 'scripts/f'), { recursive: true });
  const scripts: Record<string, string> = {
    'na.sh': 'echo "performance: N/A samples_per_second"\n',
    'traceback.sh': 'echo "performance: 12 samples_per_second"\necho "Traceback (most recent call last):"\necho "RuntimeError: boom"\n',
    'sleep.sh': 'sleep 60\necho "performance: 1 samples_per_second"\n',
    'ok.sh': 'echo "performance: 5 items_per_second"\n',
  };
  for (const [name, body] of Object.entries(scripts)) await writeFile(path.join(hub, 'scripts/f', name), body);
  const model = (name: string, script: string, extra: object = {}) => ({
    name,
    dockerfile: 'docker/dummy',
    scripts: `scripts/f/${script}`,
    n_gpus: '0',
    tags: ['f', name],
    args: '',
    ...extra,
  });
  await writeFile(
    path.join(hub, 'models.json'),
    JSON.stringify([
      model('f_ok', 'ok.sh'),
      model('f_na', 'na.sh'),
      model('f_traceback', 'traceback.sh'),
      model('f_sleep', 'sleep.sh', { timeout: 3 }),
      model('f_escape', '../../../etc/passwd.sh'),
      model('f_gpu', 'ok.sh', { n_gpus: '1' }),
    ]),
  );
  return hub;
}

test('N/A performance and a traceback after the performance line are FAILURE; a timeout is FAILURE and leaves no container', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const hub = await failureHub();
  const out = path.join(work, 'failures-out');
  await mkdir(out, { recursive: true });
  const started = Date.now();
  const run = madengine(
    ['run', '--tags', 'f_ok,f_na,f_traceback,f_sleep', '--hub', hub, '-o', path.join(out, 'perf.csv'), '--manifest-output', path.join(out, 'm.json')],
    out,
  );
  const elapsed = (Date.now() - started) / 1000;
  assert.equal(run.status, 3, run.stderr);
  const rows = Object.fromEntries((await rowsOf(path.join(out, 'perf.csv'))).map((r) => [r.model, r]));
  assert.equal(rows.f_ok?.status, 'SUCCESS');
  assert.equal(rows.f_ok?.metric, 'items_per_second');
  assert.equal(rows.f_na?.status, 'FAILURE');
  assert.equal(rows.f_traceback?.status, 'FAILURE');
  assert.match(rows.f_traceback?.reason ?? '', /Traceback|RuntimeError/);
  assert.equal(rows.f_sleep?.status, 'FAILURE');
  assert.match(rows.f_sleep?.reason ?? '', /timed out after 3 s/);
  assert.ok(elapsed < 50, `the 60 s sleeper was stopped by its 3 s timeout (run took ${elapsed}s)`);
  const left = execFileSync('docker', ['ps', '-aq', '--filter', 'name=container_ci-f_'], { encoding: 'utf8' }).trim();
  assert.equal(left, '', 'no container is left behind');
});

test('SIGTERM during a run: no container left, earlier rows kept, exit non-zero', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const hub = await failureHub();
  const out = path.join(work, 'sigterm-out');
  await mkdir(out, { recursive: true });
  const child = spawn(
    process.execPath,
    [
      ...cliFromSource,
      'run',
      '--tags',
      'f_ok,f_sleep',
      '--timeout',
      '0',
      '--hub',
      hub,
      '-o',
      path.join(out, 'perf.csv'),
      '--manifest-output',
      path.join(out, 'm.json'),
    ],
    { cwd: out },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
    if (/running f_sleep/.test(output) && !child.killed) setTimeout(() => child.kill('SIGTERM'), 1500);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.notEqual(code, 0, output);
  const rows = Object.fromEntries((await rowsOf(path.join(out, 'perf.csv'))).map((r) => [r.model, r]));
  assert.equal(rows.f_ok?.status, 'SUCCESS', 'the finished model keeps its row');
  assert.equal(rows.f_sleep?.status, 'FAILURE');
  assert.equal(rows.f_sleep?.reason, 'cancelled');
  const left = execFileSync('docker', ['ps', '-aq', '--filter', 'name=container_ci-f_sleep'], { encoding: 'utf8' }).trim();
  assert.equal(left, '', 'the cancelled container was removed');
});

test('bad input: a manifest that is not JSON, misses keys, names a missing image; a script outside the hub; bad env names', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const hub = await failureHub();
  const out = path.join(work, 'bad-out');
  await mkdir(out, { recursive: true });
  const manifest = path.join(out, 'bad.json');
  await writeFile(manifest, '{ not json');
  let run = madengine(['run', '--manifest-file', manifest, '--hub', hub], out);
  assert.equal(run.status, 4);
  assert.match(run.stderr, /bad\.json:1:3: invalid JSON/);

  await writeFile(manifest, JSON.stringify({ built_images: {} }));
  run = madengine(['run', '--manifest-file', manifest, '--hub', hub], out);
  assert.equal(run.status, 4);
  assert.match(run.stderr, /missing required key 'built_models'/);

  await writeFile(
    manifest,
    JSON.stringify({
      built_images: { 'ci-nope_missing': { docker_image: 'ci-nope_missing', dockerfile: 'docker/x' } },
      built_models: { 'ci-nope_missing': { name: 'nope', scripts: 'scripts/f/ok.sh', n_gpus: '0' } },
      context: {},
    }),
  );
  run = madengine(['run', '--manifest-file', manifest, '--hub', hub, '-o', path.join(out, 'perf.csv'), '-c', '{"executor": "docker"}'], out);
  assert.equal(run.status, 3);
  const rows = await rowsOf(path.join(out, 'perf.csv'));
  assert.equal(rows.at(-1)?.status, 'FAILURE');
  assert.match(rows.at(-1)?.reason ?? '', /ci-nope_missing/);

  run = madengine(['run', '--tags', 'f_ok', '--hub', hub, '-c', '{"docker_env_vars": {"BAD-NAME": "1"}}'], out);
  assert.equal(run.status, 4);
  assert.match(run.stderr, /BAD-NAME/);

  run = madengine(
    ['run', '--tags', 'f_escape', '--hub', hub, '-o', path.join(out, 'perf2.csv'), '--manifest-output', path.join(out, 'm.json'), '-c', '{"executor": "host"}'],
    out,
  );
  assert.notEqual(run.status, 0);
  const escape = (await rowsOf(path.join(out, 'perf2.csv'))).find((r) => r.model === 'f_escape');
  assert.equal(escape?.status, 'FAILURE');
  assert.match(escape?.reason ?? '', /outside|escapes|hub/);

  // Without a GPU, a model that needs one fails with that reason; n_gpus "0" models run anywhere.
  if ((await detectSystem()).gpuVendor !== 'NONE') return;
  run = madengine(
    ['run', '--tags', 'f_gpu', '--hub', hub, '-o', path.join(out, 'perf3.csv'), '--manifest-output', path.join(out, 'm.json'), '-c', '{"executor": "host"}'],
    out,
  );
  assert.equal(run.status, 3);
  const gpu = (await rowsOf(path.join(out, 'perf3.csv'))).find((r) => r.model === 'f_gpu');
  assert.equal(gpu?.status, 'FAILURE');
  assert.match(gpu?.reason ?? '', /needs 1 GPU\(s\) but no GPU was detected/);
});

test('model output reaches the terminal only with --live-output (madengine contract)', async () => {
  const out = path.join(work, 'live');
  await mkdir(out, { recursive: true });
  const args = ['run', '--tags', 'dummy', '--hub', path.join(repoRoot, 'examples/mad'), '-o', path.join(out, 'perf.csv'), '-c', '{"executor": "host"}'];
  const quiet = madengine(args, out);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.doesNotMatch(quiet.stdout, /performance: 42\.5 samples_per_second/);
  const live = madengine([...args, '--live-output'], out);
  assert.equal(live.status, 0, live.stderr);
  assert.match(live.stdout, /performance: 42\.5 samples_per_second/);
  assert.match(await readFile(path.join(out, 'dummy.host.run.live.log'), 'utf8'), /performance: 42\.5 samples_per_second/);
});

test('--data-config: a local data source is mounted read-only at MAD_DATAHOME; a custom one fetches into it first', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const hub = path.join(work, 'data-hub');
  await cp(path.join(repoRoot, 'examples/mad/docker'), path.join(hub, 'docker'), { recursive: true });
  await mkdir(path.join(hub, 'scripts/d'), { recursive: true });
  const source = path.join(work, 'dataset');
  await mkdir(source, { recursive: true });
  await writeFile(path.join(source, 'train.txt'), 'rows: 3\n');
  await writeFile(
    path.join(hub, 'scripts/d/read.sh'),
    'cat "$MAD_DATAHOME/train.txt" && touch "$MAD_DATAHOME/x" 2>/dev/null && echo writable; echo "performance: 3 rows_read"\n',
  );
  await writeFile(path.join(hub, 'scripts/d/fetch.sh'), 'echo "rows: 7" > train.txt\n');
  await writeFile(
    path.join(hub, 'data.json'),
    JSON.stringify({ local_set: { local: { path: source } }, fetched_set: { custom: { path: 'scripts/d/fetch.sh' } } }),
  );
  const model = (name: string, data: string) => ({
    name,
    dockerfile: 'docker/dummy',
    scripts: 'scripts/d/read.sh',
    n_gpus: '0',
    tags: ['data'],
    args: '',
    data,
  });
  await writeFile(path.join(hub, 'models.json'), JSON.stringify([model('reads_local', 'local_set'), model('reads_custom', 'fetched_set')]));
  const out = path.join(work, 'data-out');
  await mkdir(out, { recursive: true });
  const run = madengine(
    ['run', '--tags', 'data', '--hub', hub, '-o', path.join(out, 'perf.csv'), '--manifest-output', path.join(out, 'm.json'), '-c', '{"executor": "docker"}'],
    out,
  );
  assert.equal(run.status, 0, run.stderr + run.stdout);
  const rows = Object.fromEntries((await rowsOf(path.join(out, 'perf.csv'))).map((r) => [r.model, r]));
  assert.equal(rows.reads_local?.dataname, 'local_set');
  assert.equal(rows.reads_local?.data_provider_type, 'local');
  assert.equal(rows.reads_custom?.data_provider_type, 'custom');
  const localLog = await readFile(path.join(out, 'reads_local_dummy.ubuntu.amd.run.live.log'), 'utf8');
  assert.match(localLog, /rows: 3/);
  assert.doesNotMatch(localLog, /writable/, 'local data is mounted read-only');
  assert.match(await readFile(path.join(out, 'reads_custom_dummy.ubuntu.amd.run.live.log'), 'utf8'), /rows: 7/);
});

test("a manifest's registry_image is pulled on a machine that lacks it; a failed pull falls back to the local build", async (t) => {
  const infra = await requireInfra(t, { docker: true, registries: true });
  if (!infra) return;
  const hub = path.join(work, 'pull-hub');
  await cp(path.join(repoRoot, 'examples/mad'), hub, { recursive: true });
  await writeFile(path.join(hub, 'docker/stamp.txt'), `pull ${Date.now()}\n`);
  const out = path.join(work, 'pull-out');
  await mkdir(out, { recursive: true });
  const manifest = path.join(out, 'build_manifest.json');
  const build = spawnSync(process.execPath, [...cliFromSource, 'build', '--tags', 'dummy', '--hub', hub, '--registry', infra.registry, '-m', manifest], {
    cwd: out,
    encoding: 'utf8',
  });
  assert.equal(build.status, 0, build.stderr);
  const registryImage = `${infra.registry}/ci-dummy_dummy.ubuntu.amd`;
  // A "GPU runner" that never saw the build: neither the local name nor the registry tag exists.
  execFileSync('docker', ['rmi', '-f', 'ci-dummy_dummy.ubuntu.amd', registryImage], { stdio: 'ignore' });
  const run = madengine(['run', '--manifest-file', manifest, '--hub', hub, '-o', path.join(out, 'perf.csv'), '-c', '{"executor": "docker"}'], out);
  assert.equal(run.status, 0, run.stderr + run.stdout);
  const log = await readFile(path.join(out, 'dummy_dummy.ubuntu.amd.run.live.log'), 'utf8');
  assert.match(log, new RegExp(`pulling ${registryImage.replaceAll('.', '\\.')}`));

  // The registry is gone but the local build is there: it runs, and the log says so.
  const edited = JSON.parse(await readFile(manifest, 'utf8')) as { built_images: Record<string, { registry_image: string }> };
  edited.built_images['ci-dummy_dummy.ubuntu.amd']!.registry_image = '127.0.0.1:5999/nowhere/ci-dummy_dummy.ubuntu.amd';
  await writeFile(manifest, JSON.stringify(edited));
  execFileSync('docker', ['tag', registryImage, 'ci-dummy_dummy.ubuntu.amd']);
  const fallback = madengine(['run', '--manifest-file', manifest, '--hub', hub, '-o', path.join(out, 'perf2.csv'), '-c', '{"executor": "docker"}'], out);
  assert.equal(fallback.status, 0, fallback.stderr + fallback.stdout);
  assert.match(await readFile(path.join(out, 'dummy_dummy.ubuntu.amd.run.live.log'), 'utf8'), /running the local image ci-dummy_dummy\.ubuntu\.amd instead/);
});
