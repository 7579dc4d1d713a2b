/**
 * run-local's post step after a main step that was killed (issue 9 item 14): it stops the host model
 * processes the run recorded in its run-dir lock, removes the run directory and frees the hub; a lock
 * of another run, or of a live process, is left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { post } from '../../src/actions/run-local/main.ts';
import { lockRunDirectory } from '../../src/core/run/run-dir-lock.ts';
import { memoryLogger } from '../helpers/logger.ts';
import { processGone, waitFor } from '../helpers/processes.ts';

const lockModule = fileURLToPath(new URL('../../src/core/run/run-dir-lock.ts', import.meta.url));

/**
 * A main step killed mid-model: a child that takes the hub's lock for `runId`, starts a model process
 * group that does not watch its parent (the watchdog's own test is elsewhere), records it, makes the
 * run directory, and dies by SIGKILL. Resolves with the model's pid.
 */
function killedMainStep(hub: string, runId: string): Promise<number> {
  const code = `
    import { spawn } from 'node:child_process';
    import { mkdirSync } from 'node:fs';
    import { lockRunDirectory } from ${JSON.stringify(lockModule)};
    const [hub, runId] = process.argv.slice(1);
    const lock = await lockRunDirectory(hub, { runId, logger: console });
    const model = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    await lock.recordProcessGroup(model.pid);
    mkdirSync(hub + '/run_directory');
    process.stdout.write(String(model.pid));
    process.kill(process.pid, 'SIGKILL');`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, hub, runId], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (_code, signal) => (signal === 'SIGKILL' && out ? resolve(Number(out)) : reject(new Error(`child ended with ${signal}: ${out}`))));
  });
}

async function postStep(runId: string, hubDir: string, keepAlive = false, output = path.join(hubDir, 'out', 'perf.csv')): Promise<string[]> {
  const logger = memoryLogger();
  process.env['STATE_run-id'] = runId;
  try {
    await post({ keepAlive, hubDir, output }, logger);
  } finally {
    delete process.env['STATE_run-id'];
  }
  return logger.lines;
}

test(
  'post step: the host model of a killed main step is stopped, its run directory removed, the hub freed (keep-alive too)',
  { timeout: 180_000 },
  async () => {
    const hub = await mkdtemp(path.join(tmpdir(), 'madengine-post-'));
    const modelPid = await killedMainStep(hub, 'run-killed');
    assert.ok(!processGone(modelPid), 'the model outlived its main step');

    // Another run's post step leaves it alone.
    await postStep('run-other', hub);
    assert.ok(!processGone(modelPid));

    const lines = await postStep('run-killed', hub, true);
    await waitFor(() => processGone(modelPid) || undefined);
    assert.ok(!existsSync(path.join(hub, 'run_directory')));
    assert.ok(!existsSync(path.join(hub, 'run_directory.lock')));
    assert.ok(
      lines.some((line) => line.startsWith('warn: run run-killed (process ') && line.includes(`ended without releasing hub ${hub}`)),
      lines.join('\n'),
    );
    assert.ok(lines.some((line) => line.includes(`stopped the host model processes (process group ${modelPid})`)));
  },
);

test('post step: the lock of a live run is left alone', { timeout: 180_000 }, async () => {
  const hub = await mkdtemp(path.join(tmpdir(), 'madengine-post-'));
  await mkdir(path.join(hub, 'run_directory'));
  const lock = await lockRunDirectory(hub, { runId: 'run-live', logger: memoryLogger() });
  await postStep('run-live', hub);
  assert.ok(existsSync(path.join(hub, 'run_directory.lock')));
  assert.ok(existsSync(path.join(hub, 'run_directory')));
  await lock.release();
});

test("post step: a killed run's staging directory is published, so its log gets its documented name", async () => {
  const hub = await mkdtemp(path.join(tmpdir(), 'madengine-post-'));
  const out = path.join(hub, 'out');
  const deadPid = spawnSync('true').pid!; // exited: as dead as a killed main step
  const staging = path.join(out, `.madengine-staging-${hostname().replace(/[^A-Za-z0-9.]/g, '_')}-${deadPid}-0123456789ab`);
  await mkdir(staging, { recursive: true });
  await writeFile(path.join(staging, 'm.host.run.live.log'), 'the log of the killed run\n');
  const lines = await postStep('run-killed', hub, false, path.join(out, 'perf.csv'));
  assert.equal(await readFile(path.join(out, 'm.host.run.live.log'), 'utf8'), 'the log of the killed run\n', lines.join('\n'));
  assert.ok(!existsSync(staging));
});
