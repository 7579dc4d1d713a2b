/** Run timeouts with madengine's resolution (compat §3.5). */
import { ConfigError } from '../errors.ts';

export const DEFAULT_TIMEOUT_SECONDS = 7200;

/**
 * The longest timeout accepted (about 285,000 years): its milliseconds are still an exact integer.
 * Any timeout up to it works (long ones are waited out in steps: util/long-timeout.ts); 0 means none.
 */
export const MAX_TIMEOUT_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

/**
 * CLI --timeout (or the action input; `source` names it): -1 (default) -> 7200 s, 0 -> no limit (null),
 * N > 0 -> N; anything below -1 or above MAX_TIMEOUT_SECONDS is invalid.
 */
export function cliTimeout(value: number | undefined, source = '--timeout'): number | null {
  const raw = value ?? -1;
  if (!Number.isInteger(raw) || raw < -1 || raw > MAX_TIMEOUT_SECONDS)
    throw new ConfigError(
      `${source} ${value}: expected seconds (1 to ${MAX_TIMEOUT_SECONDS}), 0 for no limit, or -1 for the default (${DEFAULT_TIMEOUT_SECONDS})`,
    );
  if (raw === -1) return DEFAULT_TIMEOUT_SECONDS;
  return raw === 0 ? null : raw;
}

/**
 * A model's own timeout applies while the CLI keeps the default; an explicit CLI value (or no limit) wins.
 * The result is then multiplied by the context's timeout_multiplier (`multiplier`, default 1; rounded up
 * to whole seconds); no limit stays none. A timeout above MAX_TIMEOUT_SECONDS is an error naming the model.
 */
export function resolveRunTimeout(modelTimeout: unknown, cli: number | null, model = 'the model', multiplier = 1): number | null {
  const own = typeof modelTimeout === 'number' ? modelTimeout : Number(modelTimeout);
  const useOwn = cli === DEFAULT_TIMEOUT_SECONDS && Number.isFinite(own) && own > 0;
  if (useOwn && own > MAX_TIMEOUT_SECONDS)
    throw new ConfigError(`${model}: timeout ${String(modelTimeout)} is too large: expected at most ${MAX_TIMEOUT_SECONDS} seconds, or 0/null for no limit`);
  const timeout = useOwn ? own : cli;
  if (timeout === null || multiplier === 1) return timeout;
  const scaled = Math.ceil(timeout * multiplier);
  if (!(scaled <= MAX_TIMEOUT_SECONDS))
    throw new ConfigError(
      `${model}: timeout ${timeout} s times timeout_multiplier ${multiplier} is too large: expected at most ${MAX_TIMEOUT_SECONDS} seconds`,
    );
  return Math.max(1, scaled);
}
