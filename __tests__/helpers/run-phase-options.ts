import type { RunPhaseOptions } from '../../src/core/run/run-phase.ts';
import { memoryLogger } from './logger.ts';
import { systemInfo } from './system.ts';

/**
 * RunPhaseOptions for tests: no GPUs, no credentials, no timeout, an empty manifest, overridable field by
 * field (`executor`, `output` and `hubDir` are the ones a test must give).
 */
export function runPhaseOptions(overrides: Partial<RunPhaseOptions> & Pick<RunPhaseOptions, 'executor' | 'output' | 'hubDir'>): RunPhaseOptions {
  return {
    context: {} as RunPhaseOptions['context'],
    logger: memoryLogger(),
    system: systemInfo(),
    manifest: { built_images: {}, built_models: {} } as unknown as RunPhaseOptions['manifest'],
    credentials: {},
    timeout: null,
    keepAlive: false,
    keepModelDir: false,
    skipModelRun: false,
    disableSkipGpuArch: false,
    env: {},
    ...overrides,
  };
}
