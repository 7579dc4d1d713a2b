/** Run timeouts with madengine's resolution (compat §3.5). */
import { ConfigError } from '../errors.ts';

export const DEFAULT_TIMEOUT_SECONDS = 7200;

/** CLI --timeout: -1 (default) -> 7200 s, 0 -> no limit (null), N > 0 -> N; anything below -1 is invalid. */
export function cliTimeout(value: number | undefined): number | null {
  const raw = value ?? -1;
  if (!Number.isInteger(raw) || raw < -1)
    throw new ConfigError(`--timeout ${value}: expected seconds (> 0), 0 for no limit, or -1 for the default (${DEFAULT_TIMEOUT_SECONDS})`);
  if (raw === -1) return DEFAULT_TIMEOUT_SECONDS;
  return raw === 0 ? null : raw;
}

/** A model's own timeout applies while the CLI keeps the default; an explicit CLI value (or no limit) wins. */
export function resolveRunTimeout(modelTimeout: unknown, cli: number | null): number | null {
  const own = typeof modelTimeout === 'number' ? modelTimeout : Number(modelTimeout);
  if (cli === DEFAULT_TIMEOUT_SECONDS && Number.isFinite(own) && own > 0) return own;
  return cli;
}
