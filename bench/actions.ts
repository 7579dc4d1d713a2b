/**
 * Cold start of each action bundle under Node 24 (`node dist/<action>/index.mjs` with inputs, to
 * exit) against starting Node itself in the same run, and the bundle sizes.
 */
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BenchResult, printResults, timeCommand } from './harness.ts';

const root = path.resolve(import.meta.dirname, '..');
const node24 = path.join(root, 'node_modules/node/bin/node');

export async function benchActions(): Promise<BenchResult[]> {
  const runner = await mkdtemp(path.join(tmpdir(), 'madengine-bench-actions-'));
  const files = Object.fromEntries(['output', 'state', 'env', 'summary'].map((name) => [name, path.join(runner, name)]));
  for (const file of Object.values(files)) await writeFile(file, '');
  const env = {
    PATH: process.env.PATH ?? '',
    GITHUB_WORKSPACE: root,
    GITHUB_OUTPUT: files.output!,
    GITHUB_STATE: files.state!,
    GITHUB_ENV: files.env!,
    GITHUB_STEP_SUMMARY: files.summary!,
    // Inputs that make each action do its quickest real work (or fail fast on a missing input).
    INPUT_HUB: 'examples/mad',
    INPUT_TAGS: 'dummy',
    INPUT_MODELS: '[]',
    'INPUT_GROUP-BY': 'model',
    'INPUT_RUNNER-LABELS': '{"default": "ubuntu-latest"}',
  };
  const results: BenchResult[] = [];
  try {
    const floor = timeCommand(node24, ['-e', ''], { runs: 5 });
    for (const action of ['discover', 'build-matrix']) {
      const timing = timeCommand(node24, [path.join(root, 'dist', action, 'index.mjs')], { runs: 5, env });
      results.push({
        name: `${action}: cold start to exit (Node 24, median of 5)`,
        value: timing.ms,
        unit: 'ms',
        baseline: floor.ms,
        ratio: timing.ms / floor.ms,
        note: 'baseline: node -e ""',
      });
    }
    // The one-step root action runs the run-local bundle.
    for (const action of ['build-push', 'run-local']) {
      // Start-up only: load the bundle and stop at the first input check.
      const timing = timeCommand(
        node24,
        [
          '-e',
          `process.env.INPUT_MANIFEST='x';process.env['INPUT_MANIFEST-ARTIFACT']='y';process.env.INPUT_PASSWORD='';process.env.INPUT_USERNAME='u';await import(${JSON.stringify(path.join(root, 'dist', action, 'index.mjs'))})`,
          '--input-type=module',
        ],
        { runs: 5, env, allowFailure: true },
      );
      results.push({
        name: `${action}: load + input validation to exit (Node 24, median of 5)`,
        value: timing.ms,
        unit: 'ms',
        baseline: floor.ms,
        ratio: timing.ms / floor.ms,
        note: 'fails fast on a deliberate input conflict',
      });
    }
    for (const entry of (await readdir(path.join(root, 'dist'), { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort()) {
      const file = entry === 'cli' ? path.join(root, 'dist/cli/madengine.mjs') : path.join(root, 'dist', entry, 'index.mjs');
      results.push({ name: `bundle size: dist/${path.relative(path.join(root, 'dist'), file)}`, value: (await stat(file)).size / 1024, unit: 'KiB' });
    }
    return results;
  } finally {
    await rm(runner, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) printResults('Actions', await benchActions());
