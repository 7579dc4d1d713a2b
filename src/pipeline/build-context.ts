/**
 * The context a `run --tags` builds with: the user's gpu_vendor if given, else the detected
 * vendor (so an NVIDIA machine builds its NVIDIA Dockerfiles; madengine defaulted to AMD,
 * difference 15), and the detected AMD GPU architecture as the MAD_SYSTEM_GPU_ARCHITECTURE build
 * arg unless the user set it.
 */
import type { AdditionalContext } from '../core/context/schema.ts';
import type { SystemInfo } from '../core/gpu/types.ts';

export function contextForBuild(raw: Readonly<Record<string, unknown>>, validated: AdditionalContext, system: SystemInfo): AdditionalContext {
  const context: AdditionalContext = { ...validated };
  if (raw.gpu_vendor === undefined && system.gpuVendor !== 'NONE') context.gpu_vendor = system.gpuVendor;
  if (validated.docker_build_arg?.MAD_SYSTEM_GPU_ARCHITECTURE === undefined && system.gpuVendor === 'AMD' && system.gpuArchitecture) {
    context.docker_build_arg = { ...validated.docker_build_arg, MAD_SYSTEM_GPU_ARCHITECTURE: system.gpuArchitecture };
  }
  return context;
}
