/**
 * build-push, run-local and the one-step action through the runner protocol, with the real
 * Docker engine and registry (scripts/test-infra.sh) and @actions/artifact against the local
 * results-service fake. Includes the chain discover -> build-push -> run-local without glue.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { runActionBundle } from '../helpers/action-runner.ts';
import { startResultsService, type ResultsService } from '../helpers/results-service.ts';
import { requireInfra } from '../helpers/infra.ts';
import { repoRoot } from '../helpers/node.ts';
import { parseCsv } from '../helpers/csv.ts';

let service: ResultsService;
let work: string;

before(async () => {
  service = await startResultsService({ runId: '4242', jobId: '7' });
  work = await mkdtemp(path.join(tmpdir(), 'madengine-actions-'));
});
after(async () => {
  await service.close();
  const leftovers = execFileSync('docker', ['ps', '-aq', '--filter', 'label=org.madengine.run-id'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  if (leftovers.length) execFileSync('docker', ['rm', '-f', ...leftovers], { stdio: 'ignore' });
  await rm(work, { recursive: true, force: true });
});

/** A workspace holding a copy of the example hub (stamped so builds are real). */
async function workspaceWithHub(name: string): Promise<string> {
  const dir = path.join(work, name);
  await cp(path.join(repoRoot, 'examples/mad'), path.join(dir, 'hub'), { recursive: true });
  await writeFile(path.join(dir, 'hub/docker/stamp.txt'), `${name} ${Date.now()}\n`);
  return dir;
}

async function perfRows(file: string): Promise<Record<string, string>[]> {
  const [header, ...rows] = parseCsv(await readFile(file, 'utf8'));
  return rows.map((row) => Object.fromEntries(header!.map((name, i) => [name, row[i] ?? ''])));
}

test('chain: discover -> build-push (push + manifest artifact) -> run-local (artifact download, perf.csv artifact)', async (t) => {
  const infra = await requireInfra(t, { docker: true, registries: true });
  if (!infra) return;
  const ws = await workspaceWithHub('chain');
  const discover = await runActionBundle('discover', { workspace: ws, inputs: { hub: 'hub', tags: 'dummies' } });
  assert.equal(discover.exitCode, 0, discover.stdout);

  const build = await runActionBundle('build-push', {
    workspace: ws,
    env: service.env,
    inputs: { hub: 'hub', models: discover.outputs.models!, registry: infra.registry, 'upload-artifact': 'manifest' },
  });
  assert.equal(build.exitCode, 0, build.stdout);
  const images = JSON.parse(build.outputs.images!) as { image: string; registry_image: string; digest: string }[];
  assert.ok(images.length >= 3);
  assert.ok(images.every((i) => i.registry_image.startsWith(`${infra.registry}/`) && /^sha256:/.test(i.digest)));
  assert.equal(build.outputs.failed, '0');
  assert.ok(service.artifacts().some((a) => a.name === 'manifest'));

  // A later job of the same run, on a "GPU runner": nothing but the artifact name is passed along.
  const runner = await workspaceWithHub('chain-runner');
  const run = await runActionBundle('run-local', {
    workspace: runner,
    env: service.envFor('8'),
    inputs: { hub: 'hub', 'manifest-artifact': 'manifest', 'artifact-name': 'perf-cell-1' },
  });
  assert.equal(run.exitCode, 0, run.stdout);
  assert.equal(run.outputs.failed, '0');
  assert.ok(Number(run.outputs.succeeded) >= 3);
  assert.equal(run.outputs['artifact-name'], 'perf-cell-1');
  const rows = await perfRows(run.outputs['perf-csv']!);
  assert.ok(rows.some((r) => r.model === 'dummy' && r.performance === '42.5' && r.status === 'SUCCESS'));
  assert.ok(service.artifacts().some((a) => a.name === 'perf-cell-1' && a.files?.includes('perf.csv')));
  assert.match(run.summary, /madengine run: \d+ succeeded, 0 failed/);
});

test('run-local: a failed model fails the step unless continue-on-failure; artifact names are unique per cell', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const ws = await workspaceWithHub('failing');
  const models = JSON.parse(await readFile(path.join(ws, 'hub/models.json'), 'utf8')) as object[];
  models.push({ name: 'boom', dockerfile: 'docker/dummy', scripts: 'scripts/dummy/boom.sh', n_gpus: '0', tags: ['boom'], args: '' });
  await writeFile(path.join(ws, 'hub/models.json'), JSON.stringify(models));
  await writeFile(path.join(ws, 'hub/scripts/dummy/boom.sh'), 'echo "Traceback (most recent call last):"\nexit 1\n');
  const failing = await runActionBundle('run-local', {
    workspace: ws,
    env: service.env,
    inputs: { hub: 'hub', tags: 'boom', 'additional-context': '{"executor": "host"}' },
  });
  assert.equal(failing.exitCode, 1);
  assert.match(failing.stdout, /1 model run\(s\) failed/);
  const tolerant = await runActionBundle('run-local', {
    workspace: ws,
    env: service.env,
    inputs: { hub: 'hub', tags: 'boom', 'additional-context': '{"executor": "host"}', 'continue-on-failure': 'true', output: 'second/perf.csv' },
  });
  assert.equal(tolerant.exitCode, 0, tolerant.stdout);
  assert.equal(tolerant.outputs.failed, '1');
  assert.notEqual(failing.outputs['artifact-name'], undefined);
});

test('run-local: a cancelled job leaves no container; the post step removes what a killed run left', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const ws = await workspaceWithHub('cancel');
  const models = JSON.parse(await readFile(path.join(ws, 'hub/models.json'), 'utf8')) as object[];
  models.push({ name: 'sleeper', dockerfile: 'docker/dummy', scripts: 'scripts/dummy/sleep.sh', n_gpus: '0', tags: ['sleeper'], args: '' });
  await writeFile(path.join(ws, 'hub/models.json'), JSON.stringify(models));
  await writeFile(path.join(ws, 'hub/scripts/dummy/sleep.sh'), 'sleep 120\n');
  let started = false;
  const main = await runActionBundle('run-local', {
    workspace: ws,
    env: service.env,
    inputs: { hub: 'hub', tags: 'sleeper', 'upload-artifact': 'false' },
    cancelWhen: /running sleeper/,
    killAfterMs: 90_000,
    onStdout: (text) => {
      if (!started && /running sleeper/.test(text)) started = true;
    },
  });
  // The harness sends SIGINT like a runner cancelling the job; the run stops its container itself.
  assert.match(main.stdout, /cancelled/);
  assert.equal(
    execFileSync('docker', ['ps', '-aq', '--filter', `label=org.madengine.run-id=${main.state['run-id']}`], { encoding: 'utf8' }).trim(),
    '',
    'main removed its container on cancel',
  );
  assert.ok(started, main.stdout);
  assert.notEqual(main.exitCode, 0);
  assert.ok(main.state['run-id'], 'main saved its run id for the post step');

  // Simulate what a hard-killed main leaves: a container labelled with the run id, then run post.
  const runId = main.state['run-id']!;
  execFileSync(
    'docker',
    ['run', '-d', '--label', `org.madengine.run-id=${runId}`, '--name', `madengine-orphan-${process.pid}`, 'madengine/example-base:latest', 'sleep', '300'],
    { stdio: 'ignore' },
  );
  const post = await runActionBundle('run-local', { workspace: ws, state: { isPost: 'true', 'run-id': runId }, inputs: { hub: 'hub' } });
  assert.equal(post.exitCode, 0, post.stdout);
  assert.match(post.stdout, /removed container .* left by run/);
  const left = execFileSync('docker', ['ps', '-aq', '--filter', `label=org.madengine.run-id=${runId}`], { encoding: 'utf8' }).trim();
  assert.equal(left, '');
});

test('bad input fails with clear messages: missing inputs, malformed JSON, a missing artifact, half a login', async () => {
  const ws = await workspaceWithHub('bad');
  const noInputs = await runActionBundle('run-local', { workspace: ws, inputs: { hub: 'hub' } });
  assert.equal(noInputs.exitCode, 1);
  assert.match(noInputs.stdout, /::error::give 'manifest', 'manifest-artifact' or 'tags'/);
  const badJson = await runActionBundle('build-push', { workspace: ws, inputs: { hub: 'hub', models: '[{"name": ' } });
  assert.equal(badJson.exitCode, 1);
  assert.match(badJson.stdout, /input 'models' is not valid JSON/);
  const missing = await runActionBundle('run-local', { workspace: ws, env: service.env, inputs: { hub: 'hub', 'manifest-artifact': 'no-such-manifest' } });
  assert.equal(missing.exitCode, 1);
  assert.match(missing.stdout, /artifact 'no-such-manifest' was not found in this workflow run/);
  const halfLogin = await runActionBundle('build-push', { workspace: ws, inputs: { hub: 'hub', registry: 'ghcr.io/o', username: 'u' } });
  assert.equal(halfLogin.exitCode, 1);
  assert.match(halfLogin.stdout, /'username' and 'password' go together/);
});

test('one-step action: discover + build + run + report on the example hub, password inputs never echoed', async (t) => {
  if (!(await requireInfra(t, { docker: true }))) return;
  const ws = await workspaceWithHub('one-step');
  await writeFile(path.join(ws, 'hub/credential.json'), JSON.stringify({ PRIVATE_HUB: { username: 'bot', password: 'hunter2-xyz' } }));
  const run = await runActionBundle('madengine', {
    workspace: ws,
    env: { ...service.env, MAD_SECRETS_HF_TOKEN: 'hf-abc-123' },
    inputs: { hub: 'hub', tags: 'dummy2/all', 'artifact-name': 'perf-one-step' },
  });
  assert.equal(run.exitCode, 0, run.stdout);
  assert.match(run.stdout, /^::add-mask::hunter2-xyz$/m, 'credential.json values are masked before any work');
  assert.match(run.stdout, /^::add-mask::hf-abc-123$/m, 'MAD_SECRETS* values are masked');
  assert.equal(run.outputs.succeeded, '2');
  assert.match(run.summary, /dummy2\/model1/);
  assert.ok(service.artifacts().some((a) => a.name === 'perf-one-step'));
});
