/**
 * Untrusted text made inert, one function per output. Model names, metrics and reasons come from
 * perf.csv, which a pull request from a fork writes: in a comment they must not mention people, link
 * issues, open HTML tags or comments, or break a table cell; in a Mermaid block they must not end a
 * label; in HTML/SVG they are XML-escaped.
 */

/** Longest markdown cell (code points, before escaping); longer values end in "…". */
export const MARKDOWN_CELL_MAX = 200;
/** Longest Mermaid axis label (code points). */
export const MERMAID_LABEL_MAX = 48;

const ZERO_WIDTH_SPACE = '&#8203;';

// C0/C1 controls, bidi embeddings/overrides/isolates and line/paragraph separators: never wanted in a cell.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Shortens `text` to at most `max` code points, the last one "…" when cut (never splits a surrogate pair). */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  if (points.length <= max) return text;
  return points.slice(0, Math.max(0, max - 1)).join('') + '…';
}

/** Control characters and line breaks (CR, LF, CRLF, U+2028...) become one space each; bidi controls too. */
export function flattenText(text: string): string {
  return text.replace(/\r\n/g, ' ').replace(CONTROL, ' ');
}

const MARKDOWN_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  // The entity alone decodes back to "@" before GitHub looks for mentions; the zero-width space stops it.
  '@': `&#64;${ZERO_WIDTH_SPACE}`,
  // "#123" and "o/r#123" would link (and notify) issues.
  '#': `&#35;${ZERO_WIDTH_SPACE}`,
};

/**
 * Text for a markdown table cell (or any inline markdown): one line, at most `max` code points, with
 * `|` and markdown punctuation backslash-escaped (the backslash itself too, or `a\|` would end the cell),
 * `< > &` as entities (so `<!--`, `<img>`, `</details>` are inert) and no mentions or issue links.
 */
export function escapeMarkdown(value: unknown, max: number = MARKDOWN_CELL_MAX): string {
  return (
    capText(flattenText(String(value)), max)
      .replace(/[\\`*_~[\]|&<>@#]/g, (c) => MARKDOWN_ESCAPES[c] ?? `\\${c}`)
      // GitHub autolinks bare URLs (`https://x`, `www.x`): a zero-width space keeps them text.
      .replace(/:\/\//g, ':&#8203;//')
      .replace(/\bwww\./gi, (w) => `${w.slice(0, 3)}&#8203;.`)
  );
}

/**
 * A label inside a quoted Mermaid string: everything outside a small safe set becomes Mermaid's
 * numeric entity `#<code point>;` (so quotes, brackets, `#`, `<`, backticks and non-ASCII letters all
 * survive as text and none ends the string or the code fence).
 */
export function escapeMermaid(value: unknown, max: number = MERMAID_LABEL_MAX): string {
  const text = capText(flattenText(String(value)), max);
  let out = '';
  for (const c of text) out += /^[A-Za-z0-9 ._\-/:+=,()%]$/.test(c) ? c : `#${c.codePointAt(0)};`;
  return out;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value for XML/HTML (SVG built in code; templates use nunjucks' autoescape). */
export function escapeXml(value: unknown): string {
  return String(value)
    .replace(CONTROL, (c) => (c === '\t' || c === '\n' || c === '\r' ? c : ' '))
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

/**
 * An http(s) URL fit for a markdown link destination or an href, or undefined for anything else
 * (javascript:, data:, relative or unparsable). Parentheses, quotes, backslashes and `|` are
 * percent-encoded so the URL cannot end a markdown link or a table cell.
 */
export function safeUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  return url.href.replace(/[()'"|<>`\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
