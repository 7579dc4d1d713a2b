/**
 * After a cancelled job: remove every container a run created, found by its run-id label.
 * Called by the post steps of run-local and the one-step action.
 */
import type { Logger } from '../core/log.ts';
import { connectDocker } from '../engines/docker/connection.ts';
import { LABEL_RUN_ID } from '../engines/docker/container-options.ts';

export async function removeRunContainers(runId: string, logger: Logger): Promise<void> {
  let docker;
  try {
    docker = await connectDocker();
    await docker.ping();
  } catch {
    return; // no engine: the host executor kills its process group itself
  }
  const containers = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_RUN_ID}=${runId}`] }) });
  for (const container of containers) {
    await docker.getContainer(container.Id).remove({ force: true });
    logger.info(`removed container ${container.Names[0] ?? container.Id} left by run ${runId}`);
  }
}
