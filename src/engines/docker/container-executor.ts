/**
 * Runs a model in a container on a Docker-API daemon, the way madengine does (compat §3.3):
 * a long-lived container (`cat` on a TTY) with the hub at /myworkspace, the run script through one
 * `docker exec`, output demuxed to the run log. Timeouts and cancellation kill the container, and
 * every container this executor creates is removed on every path unless the user asked to keep it.
 */
import { Writable } from 'node:stream';
import path from 'node:path';
import type Docker from 'dockerode';
import { errorMessage } from '../../core/errors.ts';
import { setLongTimeout } from '../../core/util/long-timeout.ts';
import { consoleLogger, type Logger } from '../../core/log.ts';
import type { Executor, ModelRunOutcome, ModelRunSpec } from '../../core/run/executor.ts';
import { CONTAINER_WORKSPACE, MODEL_DIR_NAME, renderRunScript } from '../../core/run/script.ts';
import { collectResults, openRunLog, removeModelDir, type RunLog } from '../host/run-output.ts';
import { containerCreateOptions, LABEL_RUN_ID, type ContainerOptionsSettings } from './container-options.ts';
import { pullImage } from './images.ts';

export interface DockerExecutorOptions extends ContainerOptionsSettings {
  logger?: Logger;
  /** How long to wait for the exec stream to end after the container was killed (default 15 s). */
  killWaitMs?: number;
}

function statusCode(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/** Images without a `video` group (plain base images) reject `--group-add video` when the container starts. */
function isMissingVideoGroup(error: unknown): boolean {
  return /unable to find group video/i.test(errorMessage(error));
}

/** Resolves when a hijacked exec stream is finished, whichever way it ends. */
function streamDone(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', () => resolve());
  });
}

function sink(write: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      write(chunk);
      callback();
    },
  });
}

export function dockerExecutor(docker: Docker, options: DockerExecutorOptions = {}): Executor {
  const logger = options.logger ?? consoleLogger();
  const killWaitMs = options.killWaitMs ?? 15_000;
  /** IDs of containers created here and not yet removed (nor handed to the user by keepAlive). */
  const owned = new Set<string>();

  async function removeContainer(id: string): Promise<void> {
    try {
      await docker.getContainer(id).remove({ force: true });
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
    }
    owned.delete(id);
  }

  /**
   * Teardown: force-remove (SIGKILL, then remove; ends any exec inside). madengine stops with a 1 s
   * grace first, but PID 1 is `cat`, which ignores SIGTERM, so that only cost a second per model.
   */
  async function killContainer(id: string): Promise<void> {
    await removeContainer(id);
  }

  async function createAndStart(createOptions: Docker.ContainerCreateOptions, log: RunLog): Promise<Docker.Container> {
    const container = await docker.createContainer(createOptions);
    owned.add(container.id);
    try {
      await container.start();
      return container;
    } catch (error) {
      await removeContainer(container.id);
      if (!isMissingVideoGroup(error) || createOptions.HostConfig?.GroupAdd === undefined) throw error;
      // The group only matters for non-root users reaching /dev/dri; the model runs as root anyway.
      const message = `image ${createOptions.Image} has no 'video' group; starting the container without --group-add video`;
      logger.warn(message);
      log.note(message);
      const { GroupAdd: _dropped, ...hostConfig } = createOptions.HostConfig;
      return createAndStart({ ...createOptions, HostConfig: hostConfig }, log);
    }
  }

  /** Runs a short command in the container and returns its exit code (for housekeeping, not the model). */
  async function execQuiet(container: Docker.Container, cmd: string[]): Promise<number | null> {
    const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false });
    const stream = await exec.start({ hijack: true, stdin: false });
    stream.resume();
    await streamDone(stream);
    return (await exec.inspect()).ExitCode;
  }

  /**
   * The image to run: a registry image is pulled first (madengine pulls `registry_image`); when that
   * fails, the local build (`fallbackImage`) runs if it is there.
   */
  async function resolveImage(spec: ModelRunSpec, log: RunLog): Promise<{ ref: string; id: string } | { error: string }> {
    const inspect = async (ref: string): Promise<string | undefined> => {
      try {
        return (await docker.getImage(ref).inspect()).Id;
      } catch (error) {
        if (statusCode(error) === 404) return undefined;
        throw error;
      }
    };
    let pullError = '';
    if (spec.pull && !(spec.pull.onlyIfMissing && (await inspect(spec.image!)))) {
      try {
        log.note(`pulling ${spec.image}`);
        await pullImage(docker, spec.image!, spec.pull.auth);
      } catch (error) {
        pullError = errorMessage(error);
        log.note(`pull of ${spec.image} failed: ${pullError}`);
      }
    }
    for (const ref of [spec.image!, spec.fallbackImage].filter((r): r is string => Boolean(r))) {
      const id = await inspect(ref);
      if (id) {
        if (ref !== spec.image) log.note(`running the local image ${ref} instead`);
        return { ref, id };
      }
    }
    const tried = [spec.image, spec.fallbackImage].filter(Boolean).join(' or ');
    return {
      error: pullError
        ? `image ${spec.image} could not be pulled (${pullError}) and ${tried} is not available locally`
        : `image ${tried} not found locally: build it or pull it`,
    };
  }

  async function run(spec: ModelRunSpec, collect: readonly string[]): Promise<ModelRunOutcome> {
    // Bad specs are configuration errors: thrown before anything is created.
    const script = renderRunScript(spec, { workspace: CONTAINER_WORKSPACE });
    const createOptions = containerCreateOptions(spec, options);
    const name = createOptions.name!;
    const modelDir = path.join(spec.hubDir, MODEL_DIR_NAME);
    const outcome: ModelRunOutcome = { exitCode: null, timedOut: false, cancelled: false, durationSeconds: 0, modelDir, collected: [], container: name };
    const log = await openRunLog(spec.logFile, spec.onOutput, spec.redactor);
    const fail = (message: string): void => {
      outcome.error = message;
      log.note(`error: ${message}`);
    };

    let container: Docker.Container | undefined;
    let killed = false;
    try {
      if (spec.signal?.aborted) {
        outcome.cancelled = true;
        log.note('cancelled before the container started');
        return outcome;
      }
      const image = await resolveImage(spec, log);
      if ('error' in image) {
        fail(image.error);
        return outcome;
      }
      outcome.imageId = image.id;
      createOptions.Image = image.ref;
      // The name is unique to this run, so no container of another run (live or kept) is ever removed
      // to make room (madengine removed any container of that name; difference 33).
      container = await createAndStart(createOptions, log);
      const started = container;
      log.note(`container ${name} (${started.id.slice(0, 12)}) from image ${spec.image}`);

      const exec = await started.exec({
        Cmd: ['bash', '-c', script],
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        WorkingDir: CONTAINER_WORKSPACE,
      });
      const startedAt = Date.now();
      const stream = await exec.start({ hijack: true, stdin: false });
      docker.modem.demuxStream(stream, sink(log.write), sink(log.write));
      const done = streamDone(stream);

      let killing: Promise<void> | undefined;
      const kill = (why: string): void => {
        if (killing) return;
        killed = true;
        log.note(why);
        killing = killContainer(started.id).catch((error: unknown) => log.note(`could not remove container ${name}: ${errorMessage(error)}`));
      };
      const timer =
        spec.timeoutSeconds !== null && spec.timeoutSeconds > 0
          ? setLongTimeout(() => {
              outcome.timedOut = true;
              kill(`timed out after ${spec.timeoutSeconds} seconds: killing container ${name}`);
            }, spec.timeoutSeconds * 1000)
          : undefined;
      const onAbort = (): void => {
        outcome.cancelled = true;
        kill(`cancelled: killing container ${name}`);
      };
      spec.signal?.addEventListener('abort', onAbort, { once: true });
      if (spec.signal?.aborted) onAbort();
      try {
        await done;
      } finally {
        timer?.clear();
        spec.signal?.removeEventListener('abort', onAbort);
      }
      if (killing) {
        await killing;
        // The stream normally ends with the container; never hang on one that does not.
        const stuck = setTimeout(() => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.(), killWaitMs);
        await done;
        clearTimeout(stuck);
      }
      const wallSeconds = (Date.now() - startedAt) / 1000;
      outcome.durationSeconds = log.testDuration() ?? wallSeconds;
      if (!killed && !owned.has(started.id)) {
        // cleanup() took the container away mid-run (cancellation from outside this run).
        killed = true;
        outcome.cancelled = true;
        log.note(`container ${name} was removed while the model ran`);
      }
      if (!killed) outcome.exitCode = (await exec.inspect()).ExitCode;
    } catch (error) {
      fail(`docker: ${errorMessage(error)}`);
    } finally {
      await finish(spec, collect, outcome, log, container, killed);
    }
    return outcome;
  }

  /** Collect results, drop the model dir and the container (each unless kept); never throws. */
  async function finish(
    spec: ModelRunSpec,
    collect: readonly string[],
    outcome: ModelRunOutcome,
    log: RunLog,
    container: Docker.Container | undefined,
    killed: boolean,
  ): Promise<void> {
    try {
      outcome.collected = await collectResults(outcome.modelDir, collect, spec.outputDir, spec.redactor);
    } catch (error) {
      log.note(`could not collect results from ${outcome.modelDir}: ${errorMessage(error)}`);
    }
    const keepModelDir = spec.keepModelDir || spec.keepAlive;
    if (!keepModelDir && container !== undefined && !killed) {
      // Files the model wrote as root may not be removable by the host user: delete them from inside.
      try {
        await execQuiet(container, ['rm', '-rf', `${CONTAINER_WORKSPACE}/${MODEL_DIR_NAME}`]);
      } catch {
        /* the host-side removal below reports what remains */
      }
    }
    if (!keepModelDir && container !== undefined) {
      const problem = await removeModelDir(outcome.modelDir);
      if (problem !== undefined) {
        logger.warn(problem);
        log.note(problem);
      }
    }
    if (container !== undefined && owned.has(container.id)) {
      if (spec.keepAlive && !killed) {
        owned.delete(container.id); // the user's now
        const name = outcome.container!;
        logger.info(`keep-alive: container ${name} (run ${spec.runId}) is still running. Enter it: docker exec -it ${name} bash`);
        logger.info(
          `keep-alive: stop and remove it: docker rm -f ${name} (every container of this run: docker ps -aq --filter label=${LABEL_RUN_ID}=${spec.runId})`,
        );
      } else {
        try {
          await killContainer(container.id);
        } catch (error) {
          const message = `could not remove container ${outcome.container}: ${errorMessage(error)}`;
          logger.warn(message);
          log.note(message);
        }
      }
    }
    try {
      await log.close();
    } catch (error) {
      logger.warn(`could not write the run log ${spec.logFile}: ${errorMessage(error)}`);
    }
  }

  return {
    kind: 'docker',
    run,
    async cleanup(): Promise<void> {
      // Released before the removals so an in-flight run sees at once that its container is being taken.
      const ids = [...owned];
      owned.clear();
      const results = await Promise.allSettled(ids.map((id) => removeContainer(id)));
      results.forEach((result, index) => {
        if (result.status === 'fulfilled') return;
        owned.add(ids[index]!); // a later cleanup() tries again
        logger.warn(`could not remove container ${ids[index]!.slice(0, 12)}: ${errorMessage(result.reason)}`);
      });
    },
  };
}
