/**
 * Recursive merge for contexts: a manifest's stored context meeting the runtime context
 * (madengine's update_dict). Nested objects merge key by key; anything else, arrays included,
 * is replaced by the override. Inputs are never mutated.
 */
import { isPlainObject } from '../util/object.ts';

export function mergeContexts(base: Readonly<Record<string, unknown>>, override: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    // An absent value (undefined) is not an override; JSON cannot express it anyway.
    if (value === undefined) continue;
    const current = Object.hasOwn(merged, key) ? merged[key] : undefined;
    // defineProperty, not assignment: a "__proto__" key from JSON must stay a plain key.
    Object.defineProperty(merged, key, {
      value: isPlainObject(current) && isPlainObject(value) ? mergeContexts(current, value) : value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return merged;
}
