import type { SystemInfo } from '../../src/core/gpu/types.ts';

/** A machine as detection reports it: by default no GPUs on Ubuntu, overridable field by field. */
export function systemInfo(overrides: Partial<SystemInfo> = {}): SystemInfo {
  return {
    gpuVendor: 'NONE',
    gpuCount: 0,
    gpuArchitecture: '',
    gpuProductName: '',
    runtimeVersion: '',
    renderDevices: [],
    hostOs: 'HOST_UBUNTU',
    notes: [],
    ...overrides,
  };
}
