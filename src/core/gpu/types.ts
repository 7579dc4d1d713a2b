/**
 * What GPU/system detection reports, and the seams it is built on (process runner,
 * filesystem), so tests can replay recorded tool output without touching the host.
 */

export type GpuVendor = 'AMD' | 'NVIDIA' | 'NONE';
export type HostOs = 'HOST_UBUNTU' | 'HOST_CENTOS' | 'HOST_SLES' | 'HOST_AZURE' | 'unknown';

export interface SystemInfo {
  gpuVendor: GpuVendor;
  gpuCount: number;
  /** "gfx942", or for NVIDIA the product from `nvidia-smi -L` ("NVIDIA H100 80GB HBM3", madengine's value); "" if none. */
  gpuArchitecture: string;
  gpuProductName: string;
  /** ROCm "6.4.1" / CUDA "12.4"; "" if unknown. */
  runtimeVersion: string;
  /** Host ROCm root (AMD only). */
  rocmPath?: string;
  /** AMD: render minor per GPU index (`/dev/dri/renderD<minor>`), in GPU order. */
  renderDevices: number[];
  hostOs: HostOs;
  /** Content of /proc/sys/kernel/numa_balancing ("0"/"1"), when readable. */
  numaBalancing?: string;
  /** What was tried and why something is empty; for --verbose and error messages. */
  notes: string[];
}

/** Outcome of one tool invocation. `code` is null when the tool could not start, was killed or timed out. */
export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export type ToolRunner = (cmd: string, args: string[]) => Promise<ToolResult>;

export interface DetectDeps {
  run?: ToolRunner;
  readFile?: (path: string) => Promise<string>;
  readdir?: (path: string) => Promise<string[]>;
  exists?: (path: string) => Promise<boolean>;
  env?: NodeJS.ProcessEnv;
  /** Per-tool time limit for the default runner (ms). */
  timeoutMs?: number;
}

/** A ROCm/HIP version; `patch` is undefined when the source only knows major.minor. */
export interface RuntimeVersion {
  major: number;
  minor: number;
  patch?: number;
}
