/**
 * The Actions cache through @actions/cache, as a store of results (baselines, trend history): entries
 * are immutable, so each run saves under its own key and readers restore the newest by key prefix.
 * Caching never fails a job: an unavailable service is a warning and a miss.
 */
import { ConfigError, errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';

// Loaded on first use, like the artifact client: only the steps that use the cache pay for it.
const cachePackage = () => import('@actions/cache');

const UNAVAILABLE = 'the Actions cache service is not available to this step (no ACTIONS_RESULTS_URL / ACTIONS_CACHE_URL in its environment)';

/**
 * Restore the newest entry whose key starts with `prefix` into `paths` (the paths it was saved with:
 * they are part of the entry's version). Returns the matched key; undefined on a miss, or when the
 * service is unavailable or fails (@actions/cache logs that failure as a warning itself).
 */
export async function restoreByPrefix(paths: string[], prefix: string, logger?: Logger): Promise<string | undefined> {
  const cache = await cachePackage();
  if (!cache.isFeatureAvailable()) {
    logger?.warn(`Not restoring the cache entry '${prefix}*': ${UNAVAILABLE}`);
    return undefined;
  }
  try {
    // The service also prefix-matches the primary key; the same prefix as a restore key makes that explicit.
    return await cache.restoreCache(paths, prefix, [prefix]);
  } catch (error) {
    throw keyError(cache, error, prefix);
  }
}

/**
 * Save `paths` under `key`. True when saved; false, with a message, when the key already exists
 * (entries are immutable: info) or the service is unavailable or failed (warning).
 */
export async function saveEntry(paths: string[], key: string, logger: Logger): Promise<boolean> {
  const cache = await cachePackage();
  if (!cache.isFeatureAvailable()) {
    logger.warn(`Not saving the cache entry '${key}': ${UNAVAILABLE}`);
    return false;
  }
  try {
    // Asked first so an existing key is a plain message: the save itself would only log a reservation failure.
    const existing = await cache.restoreCache(paths, key, [], { lookupOnly: true });
    if (existing === key) {
      logger.info(`The cache entry '${key}' already exists (entries are immutable); not saving it again`);
      return false;
    }
    const id = await cache.saveCache(paths, key);
    if (id === -1) {
      logger.warn(`The cache entry '${key}' was not saved (the cache service's message is above)`);
      return false;
    }
    logger.info(`Saved the cache entry '${key}'`);
    return true;
  } catch (error) {
    if (error instanceof cache.ValidationError) throw keyError(cache, error, key);
    logger.warn(`The cache entry '${key}' was not saved: ${errorMessage(error)}`);
    return false;
  }
}

/** What @actions/cache refuses up front (a key with a comma or over 512 characters, no paths) is bad input; anything else is passed on. */
function keyError(cache: Awaited<ReturnType<typeof cachePackage>>, error: unknown, key: string): unknown {
  if (!(error instanceof cache.ValidationError)) return error;
  return new ConfigError(`cache entry '${key}': ${errorMessage(error)} (a key has at most 512 characters and no commas)`, { cause: error });
}
