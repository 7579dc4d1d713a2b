/**
 * The container a model runs in, as dockerode create options: madengine's `docker run -t -d <options>
 * -v <hub>:/myworkspace/ --workdir /myworkspace/ --name <name> <image> cat` (compat §3.3).
 * Pure: whether a host device exists is asked through `exists`, so tests need no /dev.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { applyDockerRunOptions } from './run-options.ts';
import { ConfigError } from '../../core/errors.ts';
import { containerName } from '../../core/images/naming.ts';
import type { ModelRunSpec } from '../../core/run/executor.ts';
import { CONTAINER_WORKSPACE } from '../../core/run/script.ts';
import { ENV_NAME } from '../../core/util/env-name.ts';

export const LABEL_RUN_ID = 'org.madengine.run-id';
export const LABEL_MODEL = 'org.madengine.model';

export interface ContainerOptionsSettings {
  /** Whether a host path exists (default fs.existsSync); /dev/fuse is passed only when it does. */
  exists?: (hostPath: string) => boolean;
}

function device(hostPath: string): Docker.DeviceMapping {
  return { PathOnHost: hostPath, PathInContainer: hostPath, CgroupPermissions: 'rwm' };
}

/** A bind for HostConfig.Binds; its "src:dst[:ro]" syntax cannot carry ':' or ',' in a path. */
function bind(hostPath: string, containerPath: string, readOnly: boolean, what: string): string {
  for (const [value, side] of [
    [hostPath, 'host path'],
    [containerPath, 'container path'],
  ] as const) {
    if (!path.posix.isAbsolute(value)) throw new ConfigError(`${what}: ${side} '${value}' must be absolute`);
    if (/[:,]/.test(value)) throw new ConfigError(`${what}: ${side} '${value}' contains ':' or ',', which a Docker bind mount cannot express`);
  }
  return `${hostPath}:${containerPath}${readOnly ? ':ro' : ''}`;
}

/** `docker run` options for `spec` (throws ConfigError for values Docker could not take). */
export function containerCreateOptions(spec: ModelRunSpec, settings: ContainerOptionsSettings = {}): Docker.ContainerCreateOptions {
  const exists = settings.exists ?? existsSync;
  if (!spec.image) throw new ConfigError(`model ${spec.modelName}: no image to run (the docker executor needs spec.image)`);
  const { vendor, devices, renderMinors } = spec.gpus;
  if (vendor === 'AMD' && renderMinors.length < devices.length) {
    throw new ConfigError(
      `model ${spec.modelName}: GPUs [${devices.join(', ')}] assigned but only ${renderMinors.length} render minors known (gpu_renderDs); every AMD GPU needs its renderD<minor>`,
    );
  }

  const env = Object.entries(spec.env).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new ConfigError(`environment variable name '${name}' is invalid: expected letters, digits and _ not starting with a digit`);
    return `${name}=${value}`;
  });

  const capAdd = ['SYS_PTRACE', 'SYS_ADMIN', ...(vendor === 'NVIDIA' ? ['SYS_NICE'] : [])];
  const hostDevices: Docker.DeviceMapping[] = exists('/dev/fuse') ? [device('/dev/fuse')] : [];
  if (vendor === 'AMD' && devices.length > 0) {
    hostDevices.push(device('/dev/kfd'));
    for (const minor of renderMinors.slice(0, devices.length)) hostDevices.push(device(`/dev/dri/renderD${minor}`));
  }

  const hostConfig: Docker.HostConfig = {
    NetworkMode: 'host',
    IpcMode: 'host',
    CapAdd: capAdd,
    SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    Devices: hostDevices,
    Binds: [
      bind(spec.hubDir, CONTAINER_WORKSPACE, false, 'model hub'),
      ...spec.mounts.map((mount) => bind(mount.hostPath, mount.containerPath, mount.readOnly, `mount ${mount.hostPath}`)),
    ],
  };
  // The video group owns /dev/kfd and /dev/dri on ROCm hosts (madengine always adds it for AMD).
  if (vendor === 'AMD') hostConfig.GroupAdd = ['video'];
  if (vendor === 'NVIDIA' && devices.length > 0) {
    hostConfig.DeviceRequests = [{ Driver: 'nvidia', DeviceIDs: devices.map(String), Capabilities: [['gpu']] }];
  }
  if (spec.cpuset !== undefined && spec.cpuset.trim() !== '') hostConfig.CpusetCpus = spec.cpuset.replace(/\s+/g, '');

  const create: Docker.ContainerCreateOptions = {
    name: containerName(spec.image, { runId: spec.runId, ...(spec.pass ? { pass: spec.pass } : {}) }),
    Image: spec.image,
    // `cat` on a TTY never sees end-of-input: madengine's way of keeping the container up for execs.
    Cmd: ['cat'],
    Tty: true,
    OpenStdin: true,
    User: 'root',
    WorkingDir: CONTAINER_WORKSPACE,
    Env: env,
    Labels: { [LABEL_RUN_ID]: spec.runId, [LABEL_MODEL]: spec.modelName },
    HostConfig: hostConfig,
  };
  if (spec.dockerRunOptions?.trim()) applyDockerRunOptions(spec.dockerRunOptions, create, spec.modelName);
  return create;
}
