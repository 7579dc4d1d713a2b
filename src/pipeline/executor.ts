/**
 * Which executor runs the models: `executor` from the context (docker | host), or with `auto`
 * (the default) Docker when a daemon answers within 5 s, else the host.
 */
import type Docker from 'dockerode';
import type { Logger } from '../core/log.ts';
import type { AdditionalContext } from '../core/context/schema.ts';
import type { Executor } from '../core/run/executor.ts';
import { connectDocker, ensureDocker } from '../engines/docker/connection.ts';
import { dockerExecutor } from '../engines/docker/container-executor.ts';
import { hostExecutor, type HostExecutorOptions } from '../engines/host/host-executor.ts';

export interface ChosenExecutor {
  executor: Executor;
  /** The daemon the docker executor talks to (builds of a `--tags` run use it too). */
  docker?: Docker;
  /** `auto` found no daemon and took the host: fine for a hub's scripts, not for a manifest of images. */
  fellBackToHost?: boolean;
}

export async function chooseExecutor(
  requested: AdditionalContext['executor'],
  logger: Logger,
  connect: () => Promise<Docker> = () => connectDocker(),
  host: HostExecutorOptions = {},
): Promise<ChosenExecutor> {
  const kind = requested ?? 'auto';
  if (kind === 'host') return { executor: hostExecutor(host) };
  const docker = await connect();
  try {
    const info = await ensureDocker(docker, { timeoutMs: 5000 });
    logger.info(`executor: docker (${info.podman ? 'podman' : 'Docker'} ${info.version})${kind === 'auto' ? ', picked automatically' : ''}`);
    return { executor: dockerExecutor(docker, { logger }), docker };
  } catch (error) {
    if (kind === 'docker') throw error;
    logger.info('executor: host (no Docker daemon answers; picked automatically — set executor in the additional context to choose)');
    return { executor: hostExecutor(host), fellBackToHost: true };
  }
}
