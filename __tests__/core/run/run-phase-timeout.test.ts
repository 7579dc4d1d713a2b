/** The run phase hands each model its timeout with the context's timeout_multiplier applied (core/run/timeout.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateContext } from '../../../src/core/context/validate.ts';
import { runPhase, type RunPhaseOptions } from '../../../src/core/run/run-phase.ts';
import type { Executor, ModelRunSpec } from '../../../src/core/run/executor.ts';
import { runPhaseOptions } from '../../helpers/run-phase-options.ts';

test('timeout_multiplier 2.0: every model runs with its resolved timeout doubled', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'run-phase-timeout-'));
  try {
    const hub = path.join(dir, 'hub');
    await mkdir(path.join(hub, 'scripts/m'), { recursive: true });
    await writeFile(path.join(hub, 'scripts/m/run.sh'), 'true\n');
    const specs: ModelRunSpec[] = [];
    const executor: Executor = {
      kind: 'host',
      cleanup: async () => {},
      run: async (spec) => {
        specs.push(spec);
        await writeFile(spec.logFile, 'performance: 1 samples_per_second\n');
        return { exitCode: 0, timedOut: false, cancelled: false, modelDir: path.join(dir, 'gone'), collected: [], durationSeconds: 1 };
      },
    };
    const models = [
      { name: 'own', n_gpus: '0', scripts: 'scripts/m/run.sh', timeout: 300 },
      { name: 'default', n_gpus: '0', scripts: 'scripts/m/run.sh' },
    ];
    await runPhase(
      runPhaseOptions({
        executor,
        hubDir: hub,
        output: path.join(dir, 'perf.csv'),
        timeout: 7200,
        context: validateContext({ timeout_multiplier: 2.0 }, 'ctx').context,
        manifest: {
          built_images: Object.fromEntries(models.map((_, i) => [`img${i}`, { docker_image: `img${i}`, dockerfile: 'docker/none' }])),
          built_models: Object.fromEntries(models.map((model, i) => [`img${i}`, model])),
        } as unknown as RunPhaseOptions['manifest'],
      }),
    );
    assert.deepEqual(
      specs.map((spec) => spec.timeoutSeconds),
      [600, 14_400],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
