/**
 * How detected system facts become madengine's container environment and the architecture
 * name that `skip_gpu_arch` lists are compared with.
 */
import type { SystemInfo } from './types.ts';

/** The MAD_* variables madengine puts into every container (compat §3.2 / §3.3). */
export function madEnvFromSystem(info: SystemInfo): Record<string, string> {
  return {
    MAD_GPU_VENDOR: info.gpuVendor,
    MAD_SYSTEM_NGPUS: String(info.gpuCount),
    MAD_SYSTEM_GPU_ARCHITECTURE: info.gpuArchitecture,
    MAD_SYSTEM_HIP_VERSION: majorMinor(info.runtimeVersion),
    MAD_SYSTEM_GPU_PRODUCT_NAME: info.gpuProductName,
  };
}

/** "6.4.1" -> "6.4"; madengine exports only major.minor as MAD_SYSTEM_HIP_VERSION. */
function majorMinor(version: string): string {
  return /^\d+\.\d+/.exec(version)?.[0] ?? version;
}

/**
 * The architecture name `skip_gpu_arch` entries are matched against. NVIDIA product names
 * are cut to their first word after "NVIDIA", up to a dash ("NVIDIA A100-SXM4-40GB" -> "A100",
 * "NVIDIA H100 80GB HBM3" -> "H100"); AMD gfx names are used as they are.
 */
export function skipArchName(arch: string): string {
  const at = arch.indexOf('NVIDIA');
  if (at < 0) return arch;
  const rest = arch.slice(at + 'NVIDIA'.length).trim();
  const word = rest.split('-')[0]?.trim().split(/\s+/)[0];
  return word ? word : arch;
}
