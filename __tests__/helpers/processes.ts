/** Waiting for processes without timed assertions: poll until done; the test's own timeout option (a safety net, not an assertion) is the limit. */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether `pid` has exited: no such process, or a zombie nobody reaped yet (PID 1 in a container may not). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Polls `probe` until it returns a value. */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, pollMs = 50): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(pollMs);
  }
}
