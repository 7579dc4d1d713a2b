/**
 * Every committed bundle in dist/ must run on its own: copied away from node_modules and
 * started with Node 24 (the actions' runtime) and, for the CLI, also the system Node (20).
 * dist/ holds one bundle per action folder (dist/<name>/index.mjs; the root action.yml runs
 * dist/run-local/index.mjs), the CLI and THIRD_PARTY_NOTICES.md, each once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { node24, repoRoot, systemNode } from '../helpers/node.ts';

const dist = path.join(repoRoot, 'dist');

/** Every file under dir, relative to it, sorted. */
async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = path.posix.join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

/** The action.yml files of the repository (root and actions/<name>/) with the dist/ files their runs.main/pre/post name. */
async function actionRuns(): Promise<{ file: string; key: string; target: string }[]> {
  const files = ['action.yml', ...(await readdir(path.join(repoRoot, 'actions'))).sort().map((name) => `actions/${name}/action.yml`)];
  const runs: { file: string; key: string; target: string }[] = [];
  for (const file of files.filter((f) => existsSync(path.join(repoRoot, f)))) {
    const spec = (parse(await readFile(path.join(repoRoot, file), 'utf8')) as { runs?: Record<string, unknown> }).runs ?? {};
    for (const key of ['pre', 'main', 'post']) {
      if (typeof spec[key] === 'string') runs.push({ file, key, target: path.relative(repoRoot, path.resolve(repoRoot, path.dirname(file), spec[key])) });
    }
  }
  return runs;
}

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
    assert.ok(
      models.some((m) => m.name.startsWith('dummy3/')),
      'dynamic models come through the Python shim',
    );
  });
}

test('every action bundle loads under Node 24 without node_modules', async () => {
  const entries = (await readdir(path.join(isolated, 'dist'), { withFileTypes: true }))
    .filter((e) => e.isDirectory() && e.name !== 'cli')
    .map((e) => path.join(isolated, 'dist', e.name, 'index.mjs'));
  for (const entry of entries) {
    // With no hub in an empty workspace each must fail cleanly through core.setFailed, never with a module error.
    const run = spawnSync(node24, [entry], {
      encoding: 'utf8',
      cwd: isolated,
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', GITHUB_WORKSPACE: isolated },
    });
    assert.match(run.stdout, /^::error::/m, `${entry} reports its failure as a runner error`);
    assert.doesNotMatch(run.stderr + run.stdout, /ERR_MODULE_NOT_FOUND|Cannot find (module|package)|__dirname is not defined/, entry);
  }
});

test('the root action runs its one-step bundle (run-local, then the report); no bundle is shipped twice', async () => {
  const runs = await actionRuns();
  const root = runs.filter((r) => r.file === 'action.yml');
  assert.deepEqual(
    root.map((r) => [r.key, r.target]),
    [
      ['main', 'dist/one-step/index.mjs'],
      ['post', 'dist/one-step/index.mjs'],
    ],
  );
  assert.ok(!existsSync(path.join(dist, 'madengine')), 'no dist/madengine/: the root action runs dist/one-step/');

  // Every runs.main/pre/post of every action.yml is a file of dist/.
  const missing = runs.filter((r) => !r.target.startsWith('dist/') || !existsSync(path.join(repoRoot, r.target)));
  assert.deepEqual(
    missing.map((r) => `${r.file}: runs.${r.key} ${r.target}`),
    [],
    "run 'npm run build'",
  );

  // Every bundle in dist/ is the CLI or run by some action.yml (no stray or leftover bundles).
  const files = await filesUnder(dist);
  const used = new Set(['cli/madengine.mjs', 'THIRD_PARTY_NOTICES.md', ...runs.map((r) => path.posix.relative('dist', r.target))]);
  assert.deepEqual(
    files.filter((f) => !used.has(f)),
    [],
    'files in dist/ that no action.yml runs',
  );

  // No two files of dist/ are identical.
  const byHash = new Map<string, string[]>();
  for (const file of files) {
    const hash = createHash('sha256')
      .update(await readFile(path.join(dist, file)))
      .digest('hex');
    byHash.set(hash, [...(byHash.get(hash) ?? []), file]);
  }
  assert.deepEqual(
    [...byHash.values()].filter((group) => group.length > 1),
    [],
    'identical files in dist/',
  );
});

test('dist/THIRD_PARTY_NOTICES.md lists the bundled packages with their licence texts', async () => {
  const notices = await readFile(path.join(dist, 'THIRD_PARTY_NOTICES.md'), 'utf8');
  for (const name of ['@actions/core', 'dockerode', 'commander', 'zod', 'tar-stream', '@balena/dockerignore']) {
    const version = (JSON.parse(await readFile(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    assert.ok(notices.includes(`\n## ${name} ${version}\n`), `no section for ${name} ${version}`);
  }
  assert.match(notices, /Permission is hereby granted, free of charge/, 'the MIT licence texts are included');
  assert.match(notices, /Apache License/, "dockerode's Apache-2.0 licence text is included");
  // Nested copies (node_modules/<a>/node_modules/<b>) are listed under their own version.
  const sections = [...notices.matchAll(/^## (\S+) (\S+)\n\n- Licence: /gm)].map((m) => [m[1]!, m[2]!] as const);
  assert.equal(new Set(sections.map(([name, version]) => `${name}@${version}`)).size, sections.length, 'each package version is listed once');
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  assert.deepEqual(
    sections,
    [...sections].sort((a, b) => cmp(a[0], b[0]) || cmp(a[1], b[1])),
    'sorted by name, then version',
  );
});
