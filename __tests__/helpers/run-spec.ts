import type { ModelRunSpec } from '../../src/core/run/executor.ts';

/** A complete ModelRunSpec for tests: a CPU-only model with no scripts around it, overridable field by field. */
export function runSpec(overrides: Partial<ModelRunSpec> = {}): ModelRunSpec {
  return {
    runId: 'run-1',
    modelName: 'dummy',
    hubDir: '/hub',
    script: 'scripts/dummy/run.sh',
    args: '',
    env: {},
    mounts: [],
    gpus: { vendor: 'NONE', devices: [], renderMinors: [] },
    preScripts: [],
    postScripts: [],
    encapsulate: '',
    timeoutSeconds: 7200,
    keepAlive: false,
    keepModelDir: false,
    skipModelRun: false,
    outputDir: '/out',
    logFile: '/out/x.log',
    ...overrides,
  };
}
