/**
 * Validation of a parsed additional context against the one schema, with errors people can act
 * on: every problem at once, each naming the key path, the value given and what would be valid.
 */
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { shortJson } from '../util/describe.ts';
import { formatIssue } from '../util/zod.ts';
import { didYouMean, editDistance } from '../util/suggest.ts';
import { isPlainObject } from '../util/object.ts';
import { type AdditionalContext, KNOWN_CONTEXT_KEYS, additionalContextSchema } from './schema.ts';
import { SYNONYM_GROUPS, synonymConflict } from './synonyms.ts';

export interface ValidatedContext {
  context: AdditionalContext;
  /** Non-fatal findings, e.g. an unknown top-level key one typo away from a known one. */
  warnings: string[];
}

/** How much of a bad value a message shows. */
const SHOWN_LENGTH = 80;

/** Names the origin of a top-level key in messages (the merged context may come from a file and a string). */
export type SourceOf = (topLevelKey: string) => string;

/** Validates `raw`; `source` names where it came from, or, as a function, where each top-level key did. */
export function validateContext(raw: Record<string, unknown>, source: string | SourceOf): ValidatedContext {
  const sourceOf: SourceOf = typeof source === 'string' ? () => source : source;
  const result = additionalContextSchema.safeParse(raw);
  const problems = result.success ? [] : result.error.issues.flatMap((issue) => describeIssue(issue, raw, sourceOf));
  problems.push(...conflicts(raw, sourceOf));
  // Synonyms are compared once normalised ("29500" and 29500, "TorchRun" and "torchrun" agree).
  if (result.success) problems.push(...synonymConflicts(result.data, sourceOf));
  if (!result.success || problems.length > 0) {
    const message = problems.length === 1 ? problems[0]! : `${problems.length} problems in the additional context:\n  ${problems.join('\n  ')}`;
    throw new ConfigError(message);
  }
  return { context: result.data, warnings: unknownKeyWarnings(raw, sourceOf) };
}

// ---- issue -> message -----------------------------------------------------------------------------

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, sourceOf: SourceOf): string[] {
  const path = issue.path;
  if (issue.code === 'invalid_union') {
    // A value of the right type for only one option (launcher "torchrunn", or an object with a bad
    // key): that option's own problems say more than the union's summary.
    const typed = issue.errors.filter((errors) => !(errors.length === 1 && errors[0]!.code === 'invalid_type' && errors[0]!.path.length === 0));
    if (typed.length === 1) return typed[0]!.flatMap((inner) => describeIssue({ ...inner, path: [...path, ...inner.path] }, raw, sourceOf));
  }
  const source = sourceOf(path.length > 0 ? String(path[0]) : '');
  const where = path.length > 0 ? `${source}: ${formatPath(path)}` : source;
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(additionalContextSchema, path);
    return issue.keys.map((key) => {
      const suggestion = didYouMean(key, known);
      const valid = suggestion === '' && known.length > 0 ? `, expected one of: ${known.join(', ')}` : '';
      return `${source}: ${formatPath([...path, key])}: unknown key${valid}${suggestion}`;
    });
  }
  if (issue.code === 'invalid_key') {
    const key = path[path.length - 1];
    const expected = issue.issues[0]?.message ?? issue.message;
    return [`${where}: got key ${JSON.stringify(String(key))}, expected ${expected}`];
  }
  return [
    formatIssue(issue, raw, {
      path: () => where,
      missing: (at) => `${at}: got nothing, expected ${issue.message}`,
      invalid: (at, value) => `${at}: got ${shortJson(value, SHOWN_LENGTH)}, expected ${issue.message}`,
    }),
  ];
}

/** a.b[0]["/data"]: dots for plain names, brackets for indices and odd keys. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      out += /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `${out === '' ? '' : '.'}${key}` : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/**
 * The keys a strict object accepts at `path`, found by walking the schema (through wrappers,
 * unions, arrays and records), so unknown-key messages can list and suggest them.
 */
function knownKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  const found = new Set<string>();
  collectKeys(schema, path, found);
  return [...found];
}

/** The parts of zod's internal definitions this walk reads. */
interface SchemaDef {
  type: string;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  options?: readonly z.core.$ZodType[];
  shape?: Record<string, z.core.$ZodType>;
  element?: z.core.$ZodType;
  valueType?: z.core.$ZodType;
}

function collectKeys(schema: z.core.$ZodType, path: readonly PropertyKey[], found: Set<string>): void {
  const def = schema._zod.def as SchemaDef;
  if (def.innerType) return collectKeys(def.innerType, path, found); // optional, nullable, default, ...
  if (def.type === 'pipe' && def.in) return collectKeys(def.in, path, found); // .transform() wraps its input
  if (def.type === 'union') return def.options?.forEach((option) => collectKeys(option, path, found));
  if (def.type === 'object' && def.shape) {
    if (path.length === 0) Object.keys(def.shape).forEach((key) => found.add(key));
    else {
      const child = def.shape[String(path[0])];
      if (child) collectKeys(child, path.slice(1), found);
    }
    return;
  }
  if (path.length === 0) return;
  if (def.type === 'array' && def.element) return collectKeys(def.element, path.slice(1), found);
  if (def.type === 'record' && def.valueType) return collectKeys(def.valueType, path.slice(1), found);
}

// ---- cross-key rules --------------------------------------------------------------------------------

/**
 * Rules between keys, which zod's per-key schema cannot see. Checked on the raw input so all are reported.
 * A `slurm` and a `k8s` section may both be given when `deploy` picks one (the design documents);
 * `deploy` may also name a target whose section is absent (a runtime "local" over a stored SLURM manifest).
 */
function conflicts(raw: Record<string, unknown>, sourceOf: SourceOf): string[] {
  const problems = [...sectionConflicts(raw, '', sourceOf, raw.deploy !== undefined)];
  if (isPlainObject(raw.deployment_config)) {
    const config = raw.deployment_config;
    problems.push(...sectionConflicts(config, 'deployment_config.', sourceOf, config.target !== undefined || raw.deploy !== undefined));
  }
  return problems;
}

function sectionConflicts(object: Record<string, unknown>, prefix: string, sourceOf: SourceOf, targetGiven: boolean): string[] {
  const problems: string[] = [];
  const has = (key: string) => object[key] !== undefined;
  const source = sourceOf(prefix === '' ? 'slurm' : 'deployment_config');
  for (const k8sKey of ['k8s', 'kubernetes']) {
    if (has('slurm') && has(k8sKey) && !targetGiven) {
      problems.push(`${source}: ${prefix}slurm and ${prefix}${k8sKey}: both given without "deploy", expected "deploy": "slurm" or "k8s" to pick the target`);
    }
  }
  if (has('k8s') && has('kubernetes')) {
    problems.push(`${source}: ${prefix}k8s and ${prefix}kubernetes: both given, expected only one (they are the same section)`);
  }
  return problems;
}

/** Two spellings of one setting with different values (synonyms.ts). */
function synonymConflicts(context: AdditionalContext, sourceOf: SourceOf): string[] {
  return SYNONYM_GROUPS.flatMap((group) => {
    const conflict = synonymConflict(context, group);
    return conflict === undefined ? [] : [`${sourceOf(conflict.split(/[.\s]/, 1)[0]!)}: ${conflict}`];
  });
}

// ---- warnings -----------------------------------------------------------------------------------------

/**
 * Unknown top-level keys are legal (they filter Dockerfiles through `# CONTEXT` headers), but a key
 * one edit from a known one is most likely a typo, and a non-string value cannot be a plain filter.
 */
function unknownKeyWarnings(raw: Record<string, unknown>, sourceOf: SourceOf): string[] {
  const known = new Set(KNOWN_CONTEXT_KEYS);
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (known.has(key)) continue;
    const match = oneTypoAway(key, KNOWN_CONTEXT_KEYS);
    const suggestion = match === undefined ? '' : ` (did you mean '${match}'?)`;
    if (typeof value === 'string') {
      if (match !== undefined) {
        warnings.push(`${sourceOf(key)}: ${key}: not a known option, used only as a Dockerfile CONTEXT filter${suggestion}`);
      }
    } else {
      warnings.push(
        `${sourceOf(key)}: ${key}: not a known option and its value is ${shortJson(value, SHOWN_LENGTH)}, not a string; ` +
          `it only takes part in Dockerfile CONTEXT matching${suggestion}`,
      );
    }
  }
  return warnings;
}

/** The known key `key` is one typo from: one insertion, deletion or substitution, or two swapped neighbours. */
function oneTypoAway(key: string, candidates: readonly string[]): string | undefined {
  const word = key.toLowerCase();
  return candidates.find((candidate) => {
    const known = candidate.toLowerCase();
    return editDistance(word, known) <= 1 || isAdjacentSwap(word, known);
  });
}

function isAdjacentSwap(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const differences = [...a].flatMap((ch, i) => (ch === b[i] ? [] : [i]));
  const [first, second] = differences;
  return differences.length === 2 && second === first! + 1 && a[first!] === b[second] && a[second] === b[first!];
}
