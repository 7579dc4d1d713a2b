/**
 * Recursive merge for contexts: a manifest's stored context meeting the runtime context
 * (madengine's update_dict). Nested objects merge key by key; anything else, arrays included,
 * is replaced by the override. One addition: a setting spelt several ways (synonyms.ts) is
 * replaced whole, so the override's `nnodes` replaces the base's `slurm.nodes` rather than
 * contradicting it. Inputs are never mutated.
 */
import { isPlainObject } from '../util/object.ts';
import { withoutOverriddenSynonyms } from './synonyms.ts';
import { DEPLOYMENT_KEYS } from './schema.ts';

export function mergeContexts(base: Readonly<Record<string, unknown>>, override: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return mergeObjects(withoutOverriddenSynonyms(base, override), override);
}

function mergeObjects(base: Readonly<Record<string, unknown>>, override: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    // An absent value (undefined) is not an override; JSON cannot express it anyway.
    if (value === undefined) continue;
    const current = Object.hasOwn(merged, key) ? merged[key] : undefined;
    // defineProperty, not assignment: a "__proto__" key from JSON must stay a plain key.
    Object.defineProperty(merged, key, {
      value: isPlainObject(current) && isPlainObject(value) ? mergeObjects(current, value) : value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return merged;
}

/** What a manifest holds of the context: our `context` (everything), or madengine's, whose deployment keys may be only in deployment_config. */
export interface StoredContexts {
  context: Readonly<Record<string, unknown>>;
  deployment_config?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The context a manifest stands for: `context`, with the deployment keys of `deployment_config` filled
 * in where `context` lacks them (madengine copies them so, compat §2.8). The runtime context is merged
 * over this.
 */
export function storedContext(manifest: StoredContexts): Record<string, unknown> {
  const config = manifest.deployment_config ?? {};
  const fromConfig: Record<string, unknown> = {};
  for (const key of DEPLOYMENT_KEYS) if (config[key] !== undefined && config[key] !== null) fromConfig[key] = config[key];
  if (isPlainObject(config.env_vars) && Object.keys(config.env_vars).length > 0) fromConfig.env_vars = config.env_vars;
  return mergeContexts(fromConfig, manifest.context);
}
