/** runPhase checks perf.csv before the first model, so a malformed file drops no model's row. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/core/errors.ts';
import { runPhase, type RunPhaseOptions } from '../../../src/core/run/run-phase.ts';
import { runPhaseOptions } from '../../helpers/run-phase-options.ts';
import { systemInfo } from '../../helpers/system.ts';

test('a malformed perf.csv fails the run before the first model is touched', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'run-phase-perf-'));
  try {
    const output = join(dir, 'perf.csv');
    const bad = 'model,status\n"unterminated,SUCCESS\n';
    await writeFile(output, bad);
    const touched: string[] = [];
    const logged: string[] = [];
    const record = (what: string) => () => void touched.push(what);
    const executor = new Proxy({ kind: 'docker' }, { get: (target, key) => (key === 'kind' ? target.kind : record(`executor.${String(key)}`)) });
    const logger = {
      info: (m: string) => void logged.push(m),
      warn: (m: string) => void logged.push(m),
      error: (m: string) => void logged.push(m),
      debug: () => {},
    };
    const options = runPhaseOptions({
      output,
      hubDir: dir,
      executor: executor as unknown as RunPhaseOptions['executor'],
      logger: logger as unknown as RunPhaseOptions['logger'],
      // A model this machine skips: with the check missing, it would "run" (and be logged) before the append fails.
      system: systemInfo({ gpuVendor: 'AMD', gpuArchitecture: 'gfx942', gpuCount: 1 }),
      manifest: {
        built_images: { img: { docker_image: 'img', dockerfile: 'd' } },
        built_models: { img: { name: 'm', skip_gpu_arch: 'gfx942' } },
      } as unknown as RunPhaseOptions['manifest'],
    });
    await assert.rejects(runPhase(options), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.file, output);
      assert.equal(error.line, 2);
      return true;
    });
    assert.deepEqual(touched, []);
    assert.deepEqual(logged, []);
    assert.equal(await readFile(output, 'utf8'), bad);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
