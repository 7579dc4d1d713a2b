/** The CLI surface: help, version, exit codes for usage errors, detect. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliFromSource, repoRoot } from '../helpers/node.ts';

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
