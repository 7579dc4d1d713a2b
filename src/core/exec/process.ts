/**
 * Child processes with a timeout and cancellation that take the whole process group down,
 * so nothing a model script started outlives it. Output is captured (bounded) and/or streamed.
 */
import { spawn } from 'node:child_process';
import { setLongTimeout } from '../util/long-timeout.ts';

export interface ProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, then stdin is closed. Use this (not argv) for secrets. */
  input?: string | Buffer;
  /**
   * Keep the child's stdin open and empty while it runs (no `input`): it reads end-of-file the moment
   * this process dies, even by SIGKILL, which is how the host watchdog knows to kill the model.
   */
  lifeline?: boolean;
  /** Called with the child's pid once it is spawned (it leads its own process group). */
  onSpawn?: (pid: number) => void;
  /** Milliseconds; 0 or undefined means no limit. */
  timeoutMs?: number;
  /** Aborting kills the process group (SIGTERM, then SIGKILL after `killGraceMs`). */
  signal?: AbortSignal;
  killGraceMs?: number;
  /** Called with each chunk as it arrives. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Keep at most this many bytes of each stream in the result (the tail is kept). Default 16 MiB. */
  maxCaptureBytes?: number;
}

export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
}

/** Run `command` with `args` (never through a shell). Rejects only if it cannot be started. */
export function runProcess(command: string, args: readonly string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  const started = Date.now();
  const maxBytes = options.maxCaptureBytes ?? 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // own process group, so a kill reaches grandchildren
    });
    const stdout = new TailBuffer(maxBytes);
    const stderr = new TailBuffer(maxBytes);
    let timedOut = false;
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;

    const killGroup = (): void => {
      signalGroup(child.pid, 'SIGTERM');
      killTimer ??= setTimeout(() => signalGroup(child.pid, 'SIGKILL'), options.killGraceMs ?? 2000);
    };
    const timeoutTimer =
      options.timeoutMs && options.timeoutMs > 0
        ? setLongTimeout(() => {
            timedOut = true;
            killGroup();
          }, options.timeoutMs)
        : undefined;
    const onAbort = (): void => {
      cancelled = true;
      killGroup();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      options.onStdout?.(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      options.onStderr?.(chunk);
    });
    child.stdin.on('error', () => {
      /* the child may exit without reading its input */
    });
    if (options.lifeline) child.once('close', () => child.stdin.destroy());
    else child.stdin.end(options.input);
    if (child.pid !== undefined) options.onSpawn?.(child.pid);

    const finish = (): void => {
      timeoutTimer?.clear();
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (error) => {
      finish();
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      finish();
      // The leader is gone; make sure nothing it left behind in its group survives.
      if (timedOut || cancelled) signalGroup(child.pid, 'SIGKILL');
      resolve({
        exitCode,
        signal,
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        timedOut,
        cancelled,
        durationMs: Date.now() - started,
      });
    });
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/** Keeps the last `limit` bytes written to it. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }

  toString(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}
