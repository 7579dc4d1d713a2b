/**
 * setTimeout for any delay. Node's timers hold a signed 32-bit millisecond count: a delay above
 * 2^31-1 ms (about 24.8 days) is replaced by 1 ms, so `--timeout 2592000` (30 days) would fire at once.
 * Long delays are waited out in steps no longer than that limit.
 */

/** The longest delay one Node timer keeps (ms). */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export interface LongTimeout {
  clear(): void;
}

/** Call `callback` once after `delayMs` (finite, >= 0), unless cleared first. */
export function setLongTimeout(callback: () => void, delayMs: number): LongTimeout {
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`timer delay must be a finite number of milliseconds >= 0, got ${delayMs}`);
  let remaining = delayMs;
  let timer: NodeJS.Timeout;
  const step = (): void => {
    const wait = Math.min(remaining, MAX_TIMER_DELAY_MS);
    remaining -= wait;
    timer = setTimeout(remaining > 0 ? step : callback, wait);
  };
  step();
  return { clear: () => clearTimeout(timer) };
}
