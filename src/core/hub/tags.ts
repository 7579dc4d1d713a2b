/**
 * Tag selection with madengine's semantics (compat §1.3), plus one improvement: a model
 * selected by several tags is kept once, at its first position.
 */
import { ConfigError } from '../errors.ts';
import { shellWord } from '../run/script.ts';
import { closestMatch } from '../util/suggest.ts';
import type { Catalogue } from './discover.ts';
import type { DiscoveredModel } from './model.ts';

/** CLI tag values -> tags: every value split on ',', trimmed, empties dropped (so a tag never holds a comma). */
export function splitTags(values: readonly string[]): string[] {
  return values
    .flatMap((value) => value.split(','))
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
}

export interface ParsedTag {
  /** The tag as given. */
  tag: string;
  /** Text before the first ':' — a model name, a tag, or `all`. */
  selector: string;
  /**
   * `:k=v` parts turned into arguments: `m:a=1:b=2` -> " --a 1 --b 2". As in madengine every '=' and blank
   * separates words, but each word is literal shell text (quoted when it needs it, difference 32).
   */
  extraArgs: string;
  /** `scope/filter` tags (exactly one '/', no ':', both halves non-empty). */
  scope?: { scope: string; filter: string };
}

/** What a tag's `:key` may be: it becomes the option `--key`, so nothing the shell could read as more. */
const OPTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * One `:key=value` part as shell words: madengine appended ` --<part with every '=' as a space>` to a
 * command line the shell parsed, so the words are the same here, but none can inject anything.
 */
function tagArgument(part: string, tag: string): string {
  const [key = '', ...values] = part.split(/[=\s]+/);
  if (!OPTION_NAME.test(key)) {
    throw new ConfigError(
      `tag '${tag}': ':${part}' does not start with a valid option name (got ${JSON.stringify(key)}); ` +
        `':key=value' keys are letters, digits, '_', '-' and '.', starting with a letter or digit, e.g. 'model:batch_size=32'`,
    );
  }
  return [`--${key}`, ...values.filter((word) => word !== '').map(shellWord)].join(' ');
}

export function parseTag(tag: string): ParsedTag {
  const parts = tag
    .split(':')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const extraArgs = parts
    .slice(1)
    .map((part) => ` ${tagArgument(part, tag)}`)
    .join('');
  const parsed: ParsedTag = { tag, selector: parts[0] ?? '', extraArgs };
  const halves = tag.split('/');
  if (halves.length === 2 && !tag.includes(':') && halves[0] !== '' && halves[1] !== '') {
    parsed.scope = { scope: halves[0]!, filter: halves[1]! };
  }
  return parsed;
}

/** Whether `parsed` selects `entry` (madengine's scoped and unscoped rules). */
export function tagMatches(parsed: ParsedTag, entry: DiscoveredModel): boolean {
  const { name, tags } = entry.model;
  if (parsed.scope) {
    const { scope, filter } = parsed.scope;
    return name.startsWith(`${scope}/`) && (filter === 'all' || tags.includes(filter) || name === `${scope}/${filter}`);
  }
  const selector = parsed.selector;
  return selector !== '' && (selector === 'all' || name === selector || tags.includes(selector));
}

/**
 * The models `tags` select, in tag order; per tag, static models (root and scripts/<dir>/models.json)
 * before dynamic ones. Each result is a copy whose `args` has the tag's `:k=v` arguments appended.
 * An empty tag list selects nothing (the caller decides what that means).
 */
export function selectModels(catalogue: Catalogue, tags: readonly string[]): DiscoveredModel[] {
  if (tags.length === 0) return [];
  const ordered = [
    ...catalogue.models.filter((entry) => entry.origin.kind !== 'dynamic'),
    ...catalogue.models.filter((entry) => entry.origin.kind === 'dynamic'),
  ];
  const selected: DiscoveredModel[] = [];
  const chosenBy = new Map<string, { tag: string; args: string }>();
  const unmatched: ParsedTag[] = [];

  for (const tag of tags) {
    const parsed = parseTag(tag);
    const matches = ordered.filter((entry) => tagMatches(parsed, entry));
    if (matches.length === 0) unmatched.push(parsed);
    for (const entry of matches) {
      const args = entry.model.args + parsed.extraArgs;
      const earlier = chosenBy.get(entry.model.name);
      if (earlier === undefined) {
        chosenBy.set(entry.model.name, { tag, args });
        const copy = structuredClone(entry);
        copy.model.args = args;
        selected.push(copy);
      } else if (earlier.args !== args) {
        throw new ConfigError(
          `model '${entry.model.name}' is selected twice with different arguments: by tag '${earlier.tag}' ` +
            `(args ${JSON.stringify(earlier.args)}) and by tag '${tag}' (args ${JSON.stringify(args)}). ` +
            `Select it with one tag, or give every tag that selects it the same ':key=value' arguments.`,
        );
      }
    }
  }
  if (unmatched.length > 0) throw noMatchError(unmatched, catalogue);
  return selected;
}

function noMatchError(unmatched: readonly ParsedTag[], catalogue: Catalogue): ConfigError {
  const names = catalogue.models.map((entry) => entry.model.name);
  const candidates = [...new Set([...names, ...catalogue.models.flatMap((entry) => entry.model.tags), 'all'])];
  const described = unmatched.map((parsed) => {
    const word = parsed.scope ? parsed.tag : parsed.selector;
    const suggestion = word === '' ? undefined : closestMatch(word, candidates);
    return suggestion === undefined ? `'${parsed.tag}'` : `'${parsed.tag}' (did you mean '${suggestion}'?)`;
  });
  const subject = unmatched.length === 1 ? `the tag ${described[0]}` : `the tags ${described.join(', ')}`;
  const count = catalogue.models.length;
  const available = count === 0 ? 'the hub has no models' : `the hub has ${count} model${count === 1 ? '' : 's'}`;
  return new ConfigError(
    `No models found for ${subject}. A tag selects models by exact name, by one of their tags, ` +
      `'<dir>/<tag or name or all>' within scripts/<dir>, or 'all' (${available}; 'madengine discover' lists them).`,
  );
}
