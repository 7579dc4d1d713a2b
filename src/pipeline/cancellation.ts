import type { Logger } from '../core/log.ts';

/**
 * An AbortSignal that fires on the first SIGINT/SIGTERM, so running work can stop its
 * containers and write what it has; a second signal exits at once.
 */
export function cancellationSignal(logger: Logger): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      logger.error(`${name} again: exiting now`);
      process.exit(130);
    }
    logger.warn(`${name} received: stopping (send it again to exit at once)`);
    controller.abort(new Error(`cancelled by ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
