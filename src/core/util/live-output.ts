/**
 * Console output that never breaks a run: `--live-output` into a slow reader, `| head`, a closed
 * terminal. Node queues writes to a pipe in memory without limit and throws an unhandled EPIPE when
 * the reader goes away; here a stream that fails is marked broken and written no more, and the live
 * stream drops what a slow reader cannot take (the run logs keep everything).
 */

/** Errors that mean "the reader is gone or cannot keep up": stop writing, quietly. */
const CLOSED_PIPE_CODES = new Set(['EPIPE', 'EBADF', 'ENOBUFS', 'ECONNRESET', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

export function isClosedPipeError(error: unknown): boolean {
  return CLOSED_PIPE_CODES.has(String((error as NodeJS.ErrnoException | undefined)?.code));
}

type OutputStream = NodeJS.WritableStream & { writableLength?: number; destroyed?: boolean };

const brokenStreams = new WeakMap<object, { broken: boolean }>();

/**
 * Makes a write error on `stream` end its output instead of the process: one 'error' listener per
 * stream (safe to call again). Returns a view that says whether the stream broke.
 */
export function quietOnClosedPipe(stream: OutputStream): { readonly broken: boolean } {
  return streamState(stream);
}

function streamState(stream: OutputStream): { broken: boolean } {
  let state = brokenStreams.get(stream);
  if (state === undefined) {
    const created = { broken: false };
    state = created;
    brokenStreams.set(stream, created);
    stream.on('error', (error: unknown) => {
      created.broken = true;
      // A closed pipe is the reader's choice; anything else is worth one line where it can still be read.
      if (!isClosedPipeError(error) && stream !== process.stderr) {
        safeWrite(process.stderr, `warning: console output stopped: ${String((error as Error)?.message ?? error)}\n`);
      }
    });
  }
  return state;
}

/** Writes without ever throwing (a stream may fail synchronously, e.g. EBADF). Returns false if the stream broke. */
function safeWrite(stream: OutputStream, data: string | Buffer): boolean {
  const state = streamState(stream);
  if (state.broken || stream.destroyed) return false;
  try {
    stream.write(data);
    return true;
  } catch {
    state.broken = true;
    return false;
  }
}

/** Writes `data` to stdout-like streams; after the reader went away it does nothing. */
export function writeQuietly(stream: OutputStream, data: string | Buffer): void {
  safeWrite(stream, data);
}

export interface LiveOutputOptions {
  /** Most bytes waiting for the reader before new output is dropped. Default 4 MiB. */
  maxQueuedBytes?: number;
  /** Where the full output is, for the dropped-output notice ("the run logs in /x"). */
  fullOutput: string;
}

export interface LiveOutput {
  write(data: string | Buffer): void;
  /** Prints the notice for output dropped since the last one; the stream itself stays open. */
  close(): void;
  /** Bytes dropped so far. */
  readonly droppedBytes: number;
}

/** The live stream of model output onto `stream` (stdout), bounded and never fatal. */
export function liveOutput(stream: OutputStream, options: LiveOutputOptions): LiveOutput {
  const maxQueued = options.maxQueuedBytes ?? 4 * 1024 * 1024;
  const state = quietOnClosedPipe(stream);
  let dropped = 0;
  let unreported = 0;
  let waitingForDrain = false;

  const report = (): void => {
    if (unreported === 0) return;
    const bytes = unreported;
    unreported = 0;
    safeWrite(
      stream,
      `\n=== madengine: ${bytes} bytes of live output dropped (the console reader was too slow); the full output is in ${options.fullOutput}\n`,
    );
  };
  const onDrain = (): void => {
    waitingForDrain = false;
    report();
  };

  return {
    write(data) {
      if (state.broken || stream.destroyed) return;
      const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      const queued = stream.writableLength ?? 0;
      // An empty queue takes any chunk: a reader that keeps up never loses output.
      if (queued > 0 && queued + size > maxQueued) {
        dropped += size;
        unreported += size;
        if (!waitingForDrain) {
          waitingForDrain = true;
          stream.once('drain', onDrain);
        }
        return;
      }
      safeWrite(stream, data);
    },
    close() {
      if (waitingForDrain) stream.off('drain', onDrain);
      waitingForDrain = false;
      report();
    },
    get droppedBytes() {
      return dropped;
    },
  };
}
