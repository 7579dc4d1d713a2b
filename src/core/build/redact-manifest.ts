/**
 * The last guard before the build phase's results leave memory (build_manifest.json, the -s summary,
 * what a `run --tags` hands on): every string value at any depth through the pipeline's redactor, so a
 * secret that reached build_command, context or an error in some unforeseen way is `***` there too
 * (e.g. a credential.json password passed as docker_build_arg PLAIN=<password>).
 */
import type { TextRedactor } from '../secrets/redactor.ts';
import { isPlainObject } from '../util/object.ts';

/** A copy of `value` with every string (not the keys) redacted. */
export function redactStrings<T>(value: T, redactor: TextRedactor): T {
  if (typeof value === 'string') return redactor.redact(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redactStrings(item, redactor)) as T;
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactStrings(item, redactor)])) as T;
  return value;
}
