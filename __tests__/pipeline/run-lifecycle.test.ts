/**
 * Runs that never leak processes or collide (issue 9 item 14), with real CLI child processes on the
 * host executor: a CLI killed with SIGKILL takes its model down, a second run on the same hub is
 * refused while the first lives, and the run after a killed one cleans up its leftovers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliFromSource } from '../helpers/node.ts';
import { processGone, waitFor } from '../helpers/processes.ts';

let work: string;
let hub: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'madengine-lifecycle-'));
  hub = path.join(work, 'hub');
  await mkdir(path.join(hub, 'scripts/s'), { recursive: true });
  // The sleeper has no timeout and ignores nothing: only a kill ends it. It tells the test its pid.
  await writeFile(path.join(hub, 'scripts/s/sleeper.sh'), 'sleep 600 &\necho $! > "$LIFECYCLE_PIDS/sleep.pid"\nwait\n');
  await writeFile(path.join(hub, 'scripts/s/quick.sh'), 'echo "performance: 1 quick_units"\n');
  const model = (name: string, script: string) => ({ name, dockerfile: 'docker/none', scripts: `scripts/s/${script}`, n_gpus: '0', tags: [name], args: '' });
  await writeFile(path.join(hub, 'models.json'), JSON.stringify([model('sleeper', 'sleeper.sh'), model('quick', 'quick.sh')]));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The host executor passes listed variables only: the sleeper learns where to write its pid from the context. */
function hostContext(): Record<string, unknown> {
  return { executor: 'host', docker_env_vars: { LIFECYCLE_PIDS: path.join(work, 'pids') } };
}

function args(tag: string, out: string): string[] {
  return ['run', '--tags', tag, '--hub', hub, '-o', path.join(out, 'perf.csv'), '--timeout', '0', '-c', JSON.stringify(hostContext())];
}

test(
  'kill -9 of the CLI: its host model dies too; a second run meanwhile is refused; the next run takes over the stale lock',
  { timeout: 180_000 },
  async () => {
    const out = path.join(work, 'out');
    await mkdir(out, { recursive: true });
    const pids = path.join(work, 'pids');
    await mkdir(pids, { recursive: true });
    const cli = spawn(process.execPath, [...cliFromSource, ...args('sleeper', out)], {
      cwd: out,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let cliStderr = '';
    cli.stderr.on('data', (chunk: Buffer) => (cliStderr += chunk.toString()));
    const cliExit = new Promise((resolve) => cli.once('exit', resolve));
    const lockFile = path.join(hub, 'run_directory.lock');
    const sleepPidFile = path.join(pids, 'sleep.pid');
    // Started, and its process group recorded in the lock for a post step.
    const record = await waitFor(() => {
      if (!existsSync(sleepPidFile) || !existsSync(lockFile)) return undefined;
      const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number; data?: { runId?: string; pgid?: number } };
      return typeof lock.data?.pgid === 'number' ? lock : undefined;
    });
    assert.equal(record.pid, cli.pid, cliStderr);
    const sleepPid = Number(await readFile(sleepPidFile, 'utf8'));

    // A second run on the same hub fails at once, naming the first.
    const second = spawnSync(process.execPath, [...cliFromSource, ...args('quick', out)], { cwd: out, encoding: 'utf8' });
    assert.equal(second.status, 3, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(`hub ${hub} is in use by run ${record.data!.runId} \\(process ${cli.pid} on .*, started .*\\): two runs cannot share`),
    );
    assert.ok(!processGone(sleepPid), 'the refused run left the first one alone');

    cli.kill('SIGKILL');
    await cliExit;
    await waitFor(() => processGone(sleepPid) || undefined); // the test's own timeout is the limit
    assert.ok(existsSync(path.join(hub, 'run_directory')), 'the killed run left its run directory');

    // The next run finds the dead run's lock, cleans up, warns, and runs.
    const next = spawnSync(process.execPath, [...cliFromSource, ...args('quick', out)], { cwd: out, encoding: 'utf8' });
    assert.equal(next.status, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`warning: run ${record.data!.runId} \\(process ${cli.pid}, started .*\\) ended without releasing hub ${hub}`));
    assert.match(await readFile(path.join(out, 'perf.csv'), 'utf8'), /quick.*SUCCESS/);
    assert.ok(!existsSync(lockFile), 'released after the run');
    assert.ok(!existsSync(path.join(hub, 'run_directory')));
  },
);

test('the watchdog gives the model /dev/null as stdin (never the lifeline pipe of the tool)', { timeout: 180_000 }, async () => {
  const out = path.join(work, 'status');
  await mkdir(out, { recursive: true });
  await writeFile(
    path.join(hub, 'scripts/s/stdin.sh'),
    'if read -r line; then echo "read: $line"; else echo "stdin: eof"; fi\necho "performance: 2 x"\nexit 0\n',
  );
  const models = JSON.parse(await readFile(path.join(hub, 'models.json'), 'utf8')) as object[];
  await writeFile(
    path.join(hub, 'models.json'),
    JSON.stringify([...models, { name: 'stdin', dockerfile: 'docker/none', scripts: 'scripts/s/stdin.sh', n_gpus: '0', tags: ['stdin'], args: '' }]),
  );
  const run = spawnSync(process.execPath, [...cliFromSource, ...args('stdin', out)], { cwd: out, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(await readFile(path.join(out, 'stdin.host.run.live.log'), 'utf8'), /^stdin: eof$/m);
});
