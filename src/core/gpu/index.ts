/** GPU and system detection: parsers, detection, GPU-count resolution and container env. */
export * from './types.ts';
export * from './parsers.ts';
export { detectSystem, defaultRunner, resolveRocmPath, KFD_NODES_DIR, AMD_SMI_MIN_ROCM } from './detect.ts';
export { madEnvFromSystem, skipArchName } from './env.ts';
export { resolveGpuCount, selectGpus, parseDockerGpus, GPU_COUNT_ALIASES } from './gpu-count.ts';
export type { GpuCountResolution } from './gpu-count.ts';
