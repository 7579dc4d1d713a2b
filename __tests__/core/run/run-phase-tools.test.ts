/** runPhase reads the hub's tools.json when the context names tools: a malformed one is an error naming it, never ignored. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/core/errors.ts';
import { runPhase, type RunPhaseOptions } from '../../../src/core/run/run-phase.ts';
import { runPhaseOptions } from '../../helpers/run-phase-options.ts';

async function runWithTools(toolsJson: string | undefined): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), 'run-phase-tools-'));
  try {
    if (toolsJson !== undefined) {
      await mkdir(join(dir, 'scripts/common'), { recursive: true });
      await writeFile(join(dir, 'scripts/common/tools.json'), toolsJson);
    }
    const options = runPhaseOptions({
      output: join(dir, 'perf.csv'),
      hubDir: dir,
      context: { tools: [{ name: 'rocprof' }] } as RunPhaseOptions['context'],
      executor: { kind: 'host', run: () => assert.fail('no model may run'), cleanup: async () => {} },
    });
    return await runPhase(options).catch((error: unknown) => error);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a malformed tools.json fails the run naming the file and position (it was silently taken as "no tools.json")', async () => {
  const error = await runWithTools('{"tools": {"rocprof": {"cmd": "rocprof"}');
  assert.ok(error instanceof ConfigError, String(error));
  assert.match(error.message, /scripts\/common\/tools\.json:1:\d+: invalid JSON/);
});

test('a tools.json whose "tools" is not an object is an error naming the file', async () => {
  const error = await runWithTools('{"tools": ["rocprof"]}');
  assert.ok(error instanceof ConfigError, String(error));
  assert.match(error.message, /tools\.json: expected \{"tools"/);
});

test('a hub without tools.json runs the phase (no models here) without an error', async () => {
  const result = (await runWithTools(undefined)) as { results: unknown[] };
  assert.deepEqual(result.results, []);
});
