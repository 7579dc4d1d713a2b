/**
 * Secrets through a whole run on the host executor (no daemon needed): a model that prints a
 * credential and a MAD_SECRETS* value (one of them split across two writes) and echoes runner
 * variables. Every output path is checked: perf.csv, the -s summary, the result table, stdout with
 * --live-output, stderr, the run log, escaping errors; and for the action, its masking and job summary.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliFromSource } from '../helpers/node.ts';
import { memoryLogger } from '../helpers/logger.ts';

const SECRETS = ['hub-pass-XYZ9', 'hf-cred-token-77', 'hf-env-secret-123456'];
const RUNNER_ENV = { ACTIONS_RUNTIME_TOKEN: 'actions-runtime-tok', GITHUB_TOKEN: 'ghp_fake_token', INPUT_PASSWORD: 'input-pw-value' };
const SECRET_ENV = {
  MAD_DOCKERHUB_USER: 'ci-bot',
  MAD_DOCKERHUB_PASSWORD: 'hub-pass-XYZ9',
  MAD_SECRETS_HF: 'hf-env-secret-123456',
  MAD_SECRETS_SHORT: 'zq',
};

const SCRIPT = `#!/bin/bash
printf 'split secret: %s' "\${MAD_SECRETS_HF:0:7}"
sleep 0.3
printf '%s\\n' "\${MAD_SECRETS_HF:7}"
echo "runner: \${ACTIONS_RUNTIME_TOKEN:-absent} \${GITHUB_TOKEN:-absent} \${INPUT_PASSWORD:-absent} \${MAD_DOCKERHUB_PASSWORD:-absent}"
echo "path: \${PATH:+set} home: \${HOME:+set}"
echo "performance: 12.5 samples_per_second"
echo "RuntimeError: login as ci-bot on port 3 failed with hub-pass-XYZ9, hf-cred-token-77 and \${MAD_SECRETS_HF}"
`;

let work: string;
let hub: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'madengine-redaction-'));
  hub = path.join(work, 'hub');
  await mkdir(path.join(hub, 'scripts/leak'), { recursive: true });
  await writeFile(
    path.join(hub, 'models.json'),
    JSON.stringify([{ name: 'leak', dockerfile: 'docker/leak', scripts: 'scripts/leak/run.sh', n_gpus: '0', tags: ['leak'], args: '' }]),
  );
  await writeFile(path.join(hub, 'scripts/leak/run.sh'), SCRIPT);
  await chmod(path.join(hub, 'scripts/leak/run.sh'), 0o755);
  await writeFile(path.join(hub, 'credential.json'), JSON.stringify({ hf: { username: 'ci-bot', token: 'hf-cred-token-77', port: 3 } }));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

function assertNoSecret(text: string, where: string): void {
  for (const secret of [...SECRETS, ...Object.values(RUNNER_ENV)]) assert.ok(!text.includes(secret), `${where} shows ${secret}:\n${text}`);
}

test('madengine run: no secret in perf.csv, the -s summary, the table, live output, stderr or the run log; the host model sees no runner token', async () => {
  const out = path.join(work, 'cli');
  await mkdir(out, { recursive: true });
  const args = ['run', '--tags', 'leak', '--hub', hub, '-o', path.join(out, 'perf.csv'), '-s', path.join(out, 'summary.json'), '--live-output'];
  const run = spawnSync(process.execPath, [...cliFromSource, ...args, '-c', '{"executor": "host"}'], {
    cwd: out,
    encoding: 'utf8',
    env: { ...process.env, ...RUNNER_ENV, ...SECRET_ENV },
    timeout: 120_000,
  });
  assert.equal(run.status, 3, run.stderr);

  const perf = await readFile(path.join(out, 'perf.csv'), 'utf8');
  const summary = await readFile(path.join(out, 'summary.json'), 'utf8');
  const logs = (await readdir(out)).filter((name) => name.endsWith('.log'));
  assert.equal(logs.length, 1);
  const log = await readFile(path.join(out, logs[0]!), 'utf8');
  for (const [where, text] of Object.entries({ 'perf.csv': perf, summary, stdout: run.stdout, stderr: run.stderr, 'run log': log }))
    assertNoSecret(text, where);

  const reason = "error pattern 'RuntimeError:' at: RuntimeError: login as ci-bot on port 3 failed with ***, *** and ***";
  assert.equal(JSON.parse(summary).results[0].reason, reason);
  assert.match(perf, /login as ci-bot on port 3 failed with \*\*\*, \*\*\* and \*\*\*/);
  assert.match(run.stdout, /FAILURE .*login as ci-bot on port 3 failed with \*\*\*/); // the result table
  // The secret written in two parts 0.3 s apart is redacted in the live stream and the log.
  assert.match(run.stdout, /split secret: \*\*\*\n/);
  assert.match(log, /split secret: \*\*\*\n/);
  // The host executor passes a curated environment: no runner tokens, inputs or registry passwords.
  assert.match(log, /runner: absent absent absent absent\n/);
  assert.match(log, /path: set home: set\n/);
  // One warning for the value too short to mask, naming the variable only.
  const warnings = run.stderr.split('\n').filter((line) => line.includes('MAD_SECRETS_SHORT'));
  assert.equal(warnings.length, 1, run.stderr);
  assert.doesNotMatch(warnings[0]!, /zq/);
});

test('an error that escapes the run pipeline reaches stderr redacted', async () => {
  const out = path.join(work, 'escape');
  await mkdir(out, { recursive: true });
  const missing = path.join(out, 'hf-env-secret-123456.json');
  const run = spawnSync(process.execPath, [...cliFromSource, 'run', '--manifest-file', missing, '--hub', hub], {
    cwd: out,
    encoding: 'utf8',
    env: { ...process.env, ...SECRET_ENV },
    timeout: 60_000,
  });
  assert.equal(run.status, 4, run.stderr);
  assert.match(run.stderr, /manifest .*\*\*\*\.json: file not found/);
  assertNoSecret(run.stderr, 'stderr');
});

test("run-local action: add-mask for every real secret (the context's MAD_SECRETS* too) and nothing else; the job summary and outputs hold no secret", async () => {
  const dir = path.join(work, 'action');
  await mkdir(dir, { recursive: true });
  const files = { GITHUB_STEP_SUMMARY: 'summary.md', GITHUB_OUTPUT: 'output.txt', GITHUB_STATE: 'state.txt' };
  const saved = { ...process.env };
  for (const [name, file] of Object.entries(files)) {
    await writeFile(path.join(dir, file), '');
    process.env[name] = path.join(dir, file);
  }
  Object.assign(process.env, RUNNER_ENV, SECRET_ENV, { GITHUB_WORKSPACE: dir });
  const written: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stdout.write;
  const logger = memoryLogger();
  try {
    const { main } = await import('../../src/actions/run-local/main.ts');
    await main(
      {
        hubDir: hub,
        context: { text: '{"executor": "host", "docker_env_vars": {"MAD_SECRETS_CTX": "ctx-secret-4567"}}' },
        tags: ['leak'],
        timeout: null,
        repeat: 1,
        warmup: 0,
        keepAlive: false,
        output: path.join(dir, 'perf.csv'),
        continueOnFailure: true,
        uploadArtifact: false,
      },
      logger,
    );
  } finally {
    process.stdout.write = write;
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
  const masks = written.join('').match(/::add-mask::.*/g) ?? [];
  assert.deepEqual(masks.sort(), [
    '::add-mask::ctx-secret-4567',
    '::add-mask::hf-cred-token-77',
    '::add-mask::hf-env-secret-123456',
    '::add-mask::hub-pass-XYZ9',
  ]);
  const jobSummary = await readFile(path.join(dir, files.GITHUB_STEP_SUMMARY), 'utf8');
  assert.match(jobSummary, /login as ci-bot on port 3 failed with \*\*\*, \*\*\* and \*\*\*/);
  assertNoSecret(jobSummary, 'job summary');
  assertNoSecret(await readFile(path.join(dir, files.GITHUB_OUTPUT), 'utf8'), 'outputs');
  assertNoSecret(logger.lines.join('\n'), 'action log');
});
