/**
 * The CLI's console output when the reader goes away or never reads (issue 9 item 15): real CLI
 * child processes on the host executor, so no daemon is needed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliFromSource } from '../helpers/node.ts';

let work: string;
let hub: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'madengine-console-'));
  hub = path.join(work, 'hub');
  await mkdir(path.join(hub, 'scripts/loud'), { recursive: true });
  // 24 MB of output, far more than a pipe and the live queue hold, then the result line.
  await writeFile(path.join(hub, 'scripts/loud/run.sh'), "head -c 24000000 /dev/zero | tr '\\0' 'x'\necho\necho 'performance: 7 loud_units'\n");
  // Enough models that discover's table outgrows a pipe buffer: `| head -1` closes it mid-write.
  const models = Array.from({ length: 1500 }, (_, i) => ({
    name: i === 0 ? 'loud' : `filler_model_with_a_long_name_${i}`,
    dockerfile: 'docker/none',
    scripts: 'scripts/loud/run.sh',
    n_gpus: '0',
    tags: i === 0 ? ['loud'] : ['filler'],
    args: '',
  }));
  await writeFile(path.join(hub, 'models.json'), JSON.stringify(models));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** `<madengine args> | head -1` in bash: the CLI's exit status, its stderr, and what head printed. */
function intoHeadOne(args: string[], cwd: string): { status: number; stderr: string; firstLine: string } {
  const script = '"$@" 2>"$MADENGINE_STDERR" | head -1; exit "${PIPESTATUS[0]}"';
  const stderrFile = path.join(cwd, `stderr-${args[0]}.txt`);
  const run = spawnSync('bash', ['-c', script, 'bash', process.execPath, ...cliFromSource, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, MADENGINE_STDERR: stderrFile },
  });
  return { status: run.status ?? -1, stderr: existsSync(stderrFile) ? spawnSync('cat', [stderrFile], { encoding: 'utf8' }).stdout : '', firstLine: run.stdout };
}

function runArgs(out: string): string[] {
  return ['run', '--tags', 'loud', '--hub', hub, '-o', path.join(out, 'perf.csv'), '-c', '{"executor": "host"}', '--live-output'];
}

test('`madengine discover | head -1` ends quietly with status 0 (no EPIPE stack trace)', { timeout: 180_000 }, () => {
  const discover = intoHeadOne(['discover', '--hub', hub], work);
  assert.match(discover.firstLine, /^MODEL\s+TAGS/);
  assert.doesNotMatch(discover.stderr, /EPIPE|Error|at /, discover.stderr);
  assert.equal(discover.status, 0);
});

test("`madengine run --live-output | head -1`: the run goes on, perf.csv is written, the exit status is the run's", { timeout: 180_000 }, async () => {
  const out = path.join(work, 'head');
  await mkdir(out, { recursive: true });
  const run = intoHeadOne(runArgs(out), out);
  assert.doesNotMatch(run.stderr, /EPIPE|ENOBUFS|Unhandled/, run.stderr);
  assert.equal(run.status, 0, run.stderr);
  const perf = await readFile(path.join(out, 'perf.csv'), 'utf8');
  assert.match(perf, /loud.*SUCCESS/);
});

test(
  '--live-output into a reader that does not read: output is dropped with a notice, not queued without bound; perf.csv is written',
  { timeout: 180_000 },
  async () => {
    const out = path.join(work, 'stalled');
    await mkdir(out, { recursive: true });
    const child = spawn(process.execPath, [...cliFromSource, ...runArgs(out)], { cwd: out, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause(); // the reader that never reads (until the run is over)
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const perfFile = path.join(out, 'perf.csv');
    // Wait (as long as the test runner allows) for the row that shows the run went on.
    while (!(existsSync(perfFile) && /SUCCESS/.test(await readFile(perfFile, 'utf8')))) await sleep(100);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stdout.resume();
    assert.equal(await exited, 0, stderr);
    const notice =
      /=== madengine: (\d+) bytes of live output dropped \(the console reader was too slow\); the full output is in the run logs \(\*\.live\.log\) in (.*)\n/.exec(
        stdout,
      );
    assert.ok(notice, `a dropped-output notice in stdout (${stdout.length} bytes)`);
    assert.ok(Number(notice[1]) > 10_000_000, `most of the 24 MB was dropped: ${notice[1]}`);
    assert.ok(stdout.length < 24_000_000 - Number(notice[1]) + 1_000_000, 'what was not dropped is what reached the reader');
    assert.equal(notice[2], out);
    assert.ok((await readFile(path.join(out, 'loud.host.run.live.log'), 'utf8')).length > 24_000_000, 'the run log has everything');
  },
);
