/**
 * A bad value as an error message shows it: what kind of value it is and, unless it may be a secret,
 * a short rendering of it. The one describer behind every "found ..." and "got ..." in messages.
 */

/** Longest rendering of a value before it is cut with "...". */
const MAX_LENGTH = 60;

/** The value as JSON (String() for what JSON cannot show), cut to `maxLength` characters with "...". */
export function shortJson(value: unknown, maxLength = MAX_LENGTH): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? '[...]' : '{...}'; // too deep (or cyclic) to render
  }
  return text.length > maxLength ? `${text.slice(0, maxLength - 3)}...` : text;
}

export interface DescribeOptions {
  /** The kind alone ("a string"), never the value: it may be a secret. */
  hideValue?: boolean;
  /** `a <typeof>` ("a string \"x\"", "a number 3") rather than "string \"x\"", "number 3" and "an object". */
  article?: boolean;
  /** What an array is called: "a list" (Python's word, madengine's; the default) or "an array" (JSON's). */
  array?: 'a list' | 'an array';
  /** Show a list's items after the word: `a list ["a",3]`. */
  listItems?: boolean;
}

/** `null`, `a list`, `an object`, `string "AMD"`, `number 42`, `boolean true`, ... as `options` say. */
export function describeValue(value: unknown, options: DescribeOptions = {}): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    const word = options.array ?? 'a list';
    return options.listItems && !options.hideValue ? `${word} ${shortJson(value)}` : word;
  }
  if (options.article) {
    const kind = `a ${typeof value}`;
    return options.hideValue || typeof value === 'object' ? kind : `${kind} ${shortJson(value)}`;
  }
  if (typeof value === 'object') return 'an object';
  return options.hideValue ? typeof value : `${typeof value} ${shortJson(value)}`;
}
