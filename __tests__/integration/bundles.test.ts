/**
 * Every committed bundle in dist/ must run on its own: copied away from node_modules and
 * started with Node 24 (the actions' runtime) and, for the CLI, also the system Node (20).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { node24, repoRoot, systemNode } from '../helpers/node.ts';

let isolated: string;

before(async () => {
  isolated = await mkdtemp(path.join(tmpdir(), 'madengine-bundles-'));
  await cp(path.join(repoRoot, 'dist'), path.join(isolated, 'dist'), { recursive: true });
});
after(async () => rm(isolated, { recursive: true, force: true }));

test('Node 24 binary for bundle tests is a 24.x', () => {
  assert.match(execFileSync(node24, ['--version'], { encoding: 'utf8' }), /^v24\./);
});

for (const [label, nodeBinary] of [
  ['Node 24', node24],
  ['system Node', systemNode],
] as const) {
  test(`CLI bundle runs without node_modules on ${label}`, () => {
    const cli = path.join(isolated, 'dist/cli/madengine.mjs');
    const version = spawnSync(nodeBinary, [cli, '--version'], { encoding: 'utf8' });
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, /^madengine version \d+\.\d+\.\d+/);

    const discover = spawnSync(nodeBinary, [cli, 'discover', '--tags', 'all', '--json', '--hub', path.join(repoRoot, 'examples/mad')], {
      encoding: 'utf8',
      cwd: isolated,
    });
    assert.equal(discover.status, 0, discover.stderr);
    const models = JSON.parse(discover.stdout) as { name: string }[];
    assert.ok(models.some((m) => m.name === 'dummy'));
    assert.ok(models.some((m) => m.name.startsWith('dummy3/')), 'dynamic models come through the Python shim');
  });
}

test('every action bundle loads under Node 24 without node_modules', async () => {
  const entries = (await readdir(path.join(isolated, 'dist'), { withFileTypes: true }))
    .filter((e) => e.isDirectory() && e.name !== 'cli')
    .map((e) => path.join(isolated, 'dist', e.name, 'index.mjs'));
  for (const entry of entries) {
    // With no hub in an empty workspace each must fail cleanly through core.setFailed, never with a module error.
    const run = spawnSync(node24, [entry], { encoding: 'utf8', cwd: isolated, timeout: 60_000, env: { PATH: process.env.PATH ?? '', GITHUB_WORKSPACE: isolated } });
    assert.match(run.stdout, /^::error::/m, `${entry} reports its failure as a runner error`);
    assert.doesNotMatch(run.stderr + run.stdout, /ERR_MODULE_NOT_FOUND|Cannot find (module|package)|__dirname is not defined/, entry);
  }
});
