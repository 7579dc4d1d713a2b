/** --repeat / --warmup in the run phase: one result and row(s) per measured run, warm-ups discarded, a failed warm-up visible. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../src/core/errors.ts';
import { runPhase, type RunPhaseOptions, type RunPhaseResult } from '../../../src/core/run/run-phase.ts';
import type { Executor, ModelRunOutcome, ModelRunSpec } from '../../../src/core/run/executor.ts';
import { checkRunCount, modelPasses, parseRunCount } from '../../../src/core/run/repeats.ts';
import { containerCreateOptions, LABEL_RUN_ID } from '../../../src/engines/docker/container-options.ts';
import { parseCsvTable } from '../../../src/core/util/csv.ts';
import { memoryLogger } from '../../helpers/logger.ts';
import { runPhaseOptions } from '../../helpers/run-phase-options.ts';
import { systemInfo } from '../../helpers/system.ts';

/** What the fake executor does on its n-th call (1-based): the performance it prints, or how it fails. */
type Behaviour = { performance?: string; exitCode?: number; results?: string; abort?: 'during' | 'after' };

interface Harness {
  out: string;
  calls: ModelRunSpec[];
  logger: ReturnType<typeof memoryLogger>;
  controller: AbortController;
  run(options: Partial<RunPhaseOptions>, models?: Record<string, unknown>[]): Promise<RunPhaseResult>;
  rows(): Promise<Record<string, string>[]>;
}

async function withHarness(behaviour: (call: number, spec: ModelRunSpec) => Behaviour, fn: (h: Harness) => Promise<void>, kind: Executor['kind'] = 'host') {
  const dir = await mkdtemp(path.join(tmpdir(), 'run-phase-repeat-'));
  try {
    const out = path.join(dir, 'out');
    const hub = path.join(dir, 'hub');
    await mkdir(path.join(hub, 'scripts/m'), { recursive: true });
    await writeFile(path.join(hub, 'scripts/m/run.sh'), 'true\n');
    const calls: ModelRunSpec[] = [];
    const controller = new AbortController();
    const executor: Executor = {
      kind,
      cleanup: async () => {},
      run: async (spec): Promise<ModelRunOutcome> => {
        calls.push(spec);
        const does = behaviour(calls.length, spec);
        await writeFile(spec.logFile, does.performance === undefined ? 'no numbers\n' : `performance: ${does.performance} samples_per_second\n`);
        const collected: string[] = [];
        if (does.results !== undefined) {
          const copy = path.join(spec.outputDir, 'results.csv');
          await writeFile(copy, does.results);
          collected.push(copy);
        }
        if (does.abort) controller.abort();
        const cancelled = does.abort === 'during';
        const outcome = { exitCode: cancelled ? null : (does.exitCode ?? 0), timedOut: false, cancelled, modelDir: path.join(dir, 'gone'), collected };
        return { ...outcome, durationSeconds: calls.length };
      },
    };
    const logger = memoryLogger();
    const harness: Harness = {
      out,
      calls,
      logger,
      controller,
      run: (options, models = [{ name: 'm', n_gpus: '0', scripts: 'scripts/m/run.sh' }]) =>
        runPhase(
          runPhaseOptions({
            output: path.join(out, 'perf.csv'),
            hubDir: hub,
            executor,
            logger,
            signal: controller.signal,
            manifest: {
              built_images: Object.fromEntries(models.map((_, i) => [`img${i}`, { docker_image: `img${i}`, dockerfile: 'docker/none' }])),
              built_models: Object.fromEntries(models.map((model, i) => [`img${i}`, model])),
            } as unknown as RunPhaseOptions['manifest'],
            ...options,
          }),
        ),
      rows: async () => parseCsvTable(await readFile(path.join(out, 'perf.csv'), 'utf8')).rows as Record<string, string>[],
    };
    await fn(harness);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const ok = (call: number): Behaviour => ({ performance: String(100 + call) });

test('--repeat 3: three rows, sample 1..3, each with its own start and duration; one log line per sample', async () => {
  await withHarness(ok, async (h) => {
    const phase = await h.run({ repeat: 3 });
    assert.equal(phase.exitCode, 0);
    const rows = await h.rows();
    assert.deepEqual(
      rows.map((row) => [row.model, row.sample, row.status, row.performance, row.test_duration]),
      [
        ['m', '1', 'SUCCESS', '101', '1.00'],
        ['m', '2', 'SUCCESS', '102', '2.00'],
        ['m', '3', 'SUCCESS', '103', '3.00'],
      ],
    );
    assert.ok(rows.every((row) => row.started_at !== '' && row.run_id === phase.runId));
    assert.deepEqual(
      phase.results.map((r) => r.sample),
      [1, 2, 3],
    );
    assert.ok(h.logger.lines.includes('info: SUCCESS m (sample 2/3): 102 samples_per_second'), h.logger.lines.join('\n'));
  });
});

test('without --repeat a model has one row with sample 1, under the plain log name', async () => {
  await withHarness(ok, async (h) => {
    await h.run({});
    assert.deepEqual(
      (await h.rows()).map((row) => row.sample),
      ['1'],
    );
    assert.equal(path.basename(h.calls[0]!.logFile), 'm.host.run.live.log');
    assert.equal(h.calls[0]!.pass, undefined);
    assert.ok(h.logger.lines.includes('info: SUCCESS m: 101 samples_per_second'), h.logger.lines.join('\n'));
  });
});

test('--warmup 2: the warm-ups run first and write no row; the measured run is the third call', async () => {
  await withHarness(ok, async (h) => {
    const phase = await h.run({ warmup: 2 });
    assert.equal(h.calls.length, 3);
    assert.deepEqual(
      (await h.rows()).map((row) => [row.sample, row.performance]),
      [['1', '103']],
    );
    assert.equal(phase.results.length, 1);
    assert.ok(h.logger.lines.includes('info: warm-up 1/2 of m'), h.logger.lines.join('\n'));
    assert.ok(h.logger.lines.includes('info: warm-up 2/2 of m'));
    // Each run keeps its own log, published under a name that says which run it was.
    assert.deepEqual((await readdir(h.out)).filter((name) => name.endsWith('.live.log')).sort(), [
      'm.host.sample1.run.live.log',
      'm.host.warmup1.run.live.log',
      'm.host.warmup2.run.live.log',
    ]);
  });
});

test("a failing warm-up is one FAILURE row naming it, the model's samples are skipped, the next model still runs", async () => {
  await withHarness(
    (call) => (call === 1 ? { exitCode: 2 } : ok(call)),
    async (h) => {
      const models = [
        { name: 'm', n_gpus: '0', scripts: 'scripts/m/run.sh' },
        { name: 'next', n_gpus: '0', scripts: 'scripts/m/run.sh' },
      ];
      const phase = await h.run({ warmup: 2, repeat: 3 }, models);
      assert.equal(phase.exitCode, 3);
      assert.equal(h.calls.length, 1 + 5, 'one warm-up of m, then 2 warm-ups and 3 samples of next');
      const rows = await h.rows();
      assert.deepEqual(
        rows.map((row) => [row.model, row.sample, row.status, row.performance]),
        [
          ['m', '', 'FAILURE', ''],
          ['next', '1', 'SUCCESS', '104'],
          ['next', '2', 'SUCCESS', '105'],
          ['next', '3', 'SUCCESS', '106'],
        ],
      );
      assert.equal(rows[0]!.reason, 'warm-up run 1 of 2 failed: model script exited with status 2');
      assert.notEqual(rows[0]!.started_at, '');
      assert.equal(phase.results[0]!.sample, undefined);
      assert.ok(h.logger.lines.includes('info: FAILURE m: warm-up run 1 of 2 failed: model script exited with status 2'), h.logger.lines.join('\n'));
    },
  );
});

test('a failing sample is its own FAILURE row; the later samples still run', async () => {
  await withHarness(
    (call) => (call === 2 ? { performance: '1', exitCode: 1 } : ok(call)),
    async (h) => {
      const phase = await h.run({ repeat: 3 });
      assert.equal(phase.exitCode, 3);
      assert.deepEqual(
        (await h.rows()).map((row) => [row.sample, row.status, row.reason]),
        [
          ['1', 'SUCCESS', ''],
          ['2', 'FAILURE', 'model script exited with status 1'],
          ['3', 'SUCCESS', ''],
        ],
      );
    },
  );
});

test('cancellation during a sample: that sample is a cancelled FAILURE row, no later sample or model runs', async () => {
  await withHarness(
    (call) => (call === 2 ? { abort: 'during' } : ok(call)),
    async (h) => {
      const models = [
        { name: 'm', n_gpus: '0', scripts: 'scripts/m/run.sh' },
        { name: 'next', n_gpus: '0', scripts: 'scripts/m/run.sh' },
      ];
      const phase = await h.run({ repeat: 3 }, models);
      assert.equal(phase.cancelled, true);
      assert.equal(phase.exitCode, 3);
      assert.equal(h.calls.length, 2);
      assert.deepEqual(
        (await h.rows()).map((row) => [row.model, row.sample, row.status, row.reason]),
        [
          ['m', '1', 'SUCCESS', ''],
          ['m', '2', 'FAILURE', 'cancelled'],
        ],
      );
    },
  );
});

test('cancellation between runs: a cancel after a warm-up or sample starts no further run', async () => {
  await withHarness(
    (call) => ({ ...ok(call), abort: 'after' }),
    async (h) => {
      const phase = await h.run({ repeat: 3 });
      assert.equal(phase.cancelled, true);
      assert.equal(h.calls.length, 1);
      assert.deepEqual(
        (await h.rows()).map((row) => [row.sample, row.status]),
        [['1', 'SUCCESS']],
      );
    },
  );
  await withHarness(
    (call) => ({ ...ok(call), abort: 'after' }),
    async (h) => {
      const phase = await h.run({ repeat: 3, warmup: 1 });
      assert.equal(phase.cancelled, true);
      assert.equal(h.calls.length, 1, 'the warm-up ran, no sample started');
      assert.deepEqual(phase.results, []);
    },
  );
});

test('multiple_results with --repeat 2: every row of sample k has sample k', async () => {
  await withHarness(
    (call) => ({ results: `model,performance,metric\na,${call}.5,x\nb,${call}.25,x\n` }),
    async (h) => {
      const phase = await h.run({ repeat: 2 }, [{ name: 'm', n_gpus: '0', scripts: 'scripts/m/run.sh', multiple_results: 'results.csv' }]);
      assert.equal(phase.exitCode, 0, phase.results.map((r) => r.reason).join('\n'));
      assert.deepEqual(
        (await h.rows()).map((row) => [row.model, row.sample, row.performance]),
        [
          ['m_a', '1', '1.5'],
          ['m_b', '1', '1.25'],
          ['m_a', '2', '2.5'],
          ['m_b', '2', '2.25'],
        ],
      );
    },
  );
});

test('a skipped model (skip_gpu_arch) is one SKIPPED row, not one per sample', async () => {
  await withHarness(ok, async (h) => {
    const phase = await h.run({ repeat: 3, warmup: 1, system: systemInfo({ gpuVendor: 'AMD', gpuArchitecture: 'gfx942', gpuCount: 1 }) }, [
      { name: 'm', n_gpus: '0', scripts: 'scripts/m/run.sh', skip_gpu_arch: 'gfx942' },
    ]);
    assert.equal(h.calls.length, 0);
    assert.deepEqual(
      phase.results.map((r) => r.status),
      ['SKIPPED'],
    );
    assert.equal((await h.rows()).length, 1);
  });
});

test('each run of a model gets its own container name and log; all carry the run id label that cleanup looks for', async () => {
  await withHarness(
    ok,
    async (h) => {
      const phase = await h.run({ repeat: 2, warmup: 1 });
      const created = h.calls.map((spec) => containerCreateOptions(spec, { exists: () => false }));
      const names = created.map((options) => options.name!);
      const suffix = phase.runId.slice(-8);
      assert.deepEqual(names, [`container_img0_${suffix}_warmup1`, `container_img0_${suffix}_sample1`, `container_img0_${suffix}_sample2`]);
      assert.deepEqual(
        created.map((options) => options.Labels?.[LABEL_RUN_ID]),
        [phase.runId, phase.runId, phase.runId],
      );
      assert.equal(new Set(h.calls.map((spec) => spec.logFile)).size, 3);
      assert.equal(new Set(h.calls.map((spec) => spec.outputDir)).size, 3, 'each run has its own staging directory');
      assert.deepEqual(
        h.calls.map((spec) => path.basename(spec.logFile)),
        ['m_img0.warmup1.run.live.log', 'm_img0.sample1.run.live.log', 'm_img0.sample2.run.live.log'],
      );
    },
    'docker',
  );
});

test('every run of a model gets the same data home; the next model the next one', async () => {
  await withHarness(
    ok,
    async (h) => {
      const models = [
        { name: 'm', n_gpus: '0', scripts: 'scripts/m/run.sh', data: 'd' },
        { name: 'next', n_gpus: '0', scripts: 'scripts/m/run.sh', data: 'd' },
      ];
      await h.run({ repeat: 2, warmup: 1, dataConfig: { d: { local: { path: h.out } } } }, models);
      assert.deepEqual(
        h.calls.map((spec) => [spec.modelName, spec.mounts.map((mount) => mount.containerPath).join(), spec.env.MAD_DATAHOME]),
        [
          ['m', '/data_dlm_0', '/data_dlm_0'],
          ['m', '/data_dlm_0', '/data_dlm_0'],
          ['m', '/data_dlm_0', '/data_dlm_0'],
          ['next', '/data_dlm_1', '/data_dlm_1'],
          ['next', '/data_dlm_1', '/data_dlm_1'],
          ['next', '/data_dlm_1', '/data_dlm_1'],
        ],
      );
    },
    'docker',
  );
});

test('repeat and warmup out of range are ConfigErrors before any model runs', async () => {
  for (const [options, message] of [
    [{ repeat: 0 }, /^repeat 0: expected a whole number from 1 to 1000$/],
    [{ repeat: 1001 }, /^repeat 1001: /],
    [{ repeat: 1.5 }, /^repeat 1\.5: /],
    [{ warmup: -1 }, /^warmup -1: expected a whole number from 0 to 100$/],
    [{ warmup: 101 }, /^warmup 101: /],
  ] as const) {
    await withHarness(ok, async (h) => {
      await assert.rejects(h.run(options), (error: unknown) => error instanceof ConfigError && message.test(error.message));
      assert.equal(h.calls.length, 0);
    });
  }
});

test('parseRunCount: text of flags and inputs, named in the error', () => {
  assert.equal(parseRunCount('', 'repeat', '--repeat'), 1);
  assert.equal(parseRunCount(' 5 ', 'repeat', '--repeat'), 5);
  assert.equal(parseRunCount('', 'warmup', '--warmup'), 0);
  assert.equal(parseRunCount('100', 'warmup', '--warmup'), 100);
  assert.throws(() => parseRunCount('three', 'repeat', '--repeat'), /^ConfigError: --repeat "three": expected a whole number from 1 to 1000$/);
  assert.throws(() => parseRunCount('2.5', 'warmup', "input 'warmup'"), /input 'warmup' "2\.5": expected a whole number from 0 to 100/);
  assert.throws(() => parseRunCount('0', 'repeat', "input 'repeat'"), /input 'repeat' 0: expected a whole number from 1 to 1000/);
  assert.equal(checkRunCount(1000, 'repeat'), 1000);
  assert.deepEqual(modelPasses(1, 0), [{ kind: 'sample', index: 1, count: 1 }]);
});
