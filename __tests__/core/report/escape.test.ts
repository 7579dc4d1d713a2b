import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MARKDOWN_CELL_MAX, capText, escapeMarkdown, escapeMermaid, escapeXml, safeUrl } from '../../../src/core/report/escape.ts';

describe('escapeMarkdown', () => {
  it('escapes cell separators, the backslash first (so `a\\|` cannot end a cell)', () => {
    assert.equal(escapeMarkdown('a|b'), 'a\\|b');
    assert.equal(escapeMarkdown('a\\|b'), 'a\\\\\\|b');
    assert.equal(escapeMarkdown('end\\'), 'end\\\\');
  });

  it('makes tags, comments and entities inert', () => {
    assert.equal(escapeMarkdown('<!-- x -->'), '&lt;!-- x --&gt;');
    assert.equal(escapeMarkdown('</details><img src=x>'), '&lt;/details&gt;&lt;img src=x&gt;');
    assert.equal(escapeMarkdown('&amp;'), '&amp;amp;');
  });

  it('stops mentions and issue references (entity plus zero-width space)', () => {
    assert.equal(escapeMarkdown('@octocat'), '&#64;&#8203;octocat');
    assert.equal(escapeMarkdown('fixes #12 and o/r#3'), 'fixes &#35;&#8203;12 and o/r&#35;&#8203;3');
  });

  it('escapes backticks and the punctuation of links, images and emphasis', () => {
    assert.equal(escapeMarkdown('`x` ![i](u) [l](javascript:x) *b* _i_ ~s~'), '\\`x\\` !\\[i\\](u) \\[l\\](javascript:x) \\*b\\* \\_i\\_ \\~s\\~');
  });

  it('keeps one line: CR, LF, CRLF, U+2028, tabs and other controls become spaces; bidi overrides too', () => {
    assert.equal(escapeMarkdown('a\r\nb\nc\rd\u2028e\tf\u0000g'), 'a b c d e f g');
    assert.equal(escapeMarkdown('x\u202ey\u2066z'), 'x y z');
  });

  it('caps a value at 200 code points with "…", never inside an escape or a surrogate pair', () => {
    const long = '|'.repeat(500);
    const escaped = escapeMarkdown(long);
    assert.equal(escaped, `${'\\|'.repeat(MARKDOWN_CELL_MAX - 1)}…`);
    assert.equal(capText('😀'.repeat(300), 200), `${'😀'.repeat(199)}…`);
    assert.equal(capText('short', 200), 'short');
    assert.equal(escapeMarkdown(12.5), '12.5');
  });
});

describe('escapeMermaid', () => {
  it('leaves plain labels and turns everything else into numeric entities', () => {
    assert.equal(escapeMermaid('llama-2 7b (fp16): +1.5%'), 'llama-2 7b (fp16): +1.5%');
    assert.equal(escapeMermaid('a"b[c]#d`<e>&'), 'a#34;b#91;c#93;#35;d#96;#60;e#62;#38;');
    assert.equal(escapeMermaid('ü'), '#252;');
    assert.equal(escapeMermaid('😀'), '#128512;');
  });

  it('cannot end the string, the statement or the code fence', () => {
    const label = escapeMermaid('x"]\n```\nbar [1]');
    assert.doesNotMatch(label, /["\]\n`]/);
  });
});

describe('escapeXml and safeUrl', () => {
  it('escapes markup and quotes, drops controls XML forbids', () => {
    assert.equal(escapeXml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    assert.equal(escapeXml('a\u0001b\nc'), 'a b\nc');
  });

  it('passes http(s) URLs, refuses other schemes and non-URLs', () => {
    assert.equal(safeUrl('https://github.com/o/r/actions/runs/1'), 'https://github.com/o/r/actions/runs/1');
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', '/relative', 'report.html', '', undefined, 5]) assert.equal(safeUrl(bad), undefined);
  });

  it('percent-encodes what could end a markdown link or table cell', () => {
    assert.equal(safeUrl('https://x.example/a)b(c|d"e\'f`g'), 'https://x.example/a%29b%28c%7Cd%22e%27f%60g');
    assert.equal(safeUrl('https://x.example/#a\\b<c>'), 'https://x.example/#a%5Cb%3Cc%3E');
  });
});

it('escapeMarkdown: bare URLs in values do not autolink (red-team finding)', () => {
  const out = escapeMarkdown('see https://evil.example/phish or www.evil.com');
  assert.doesNotMatch(out, /https:\/\//);
  assert.doesNotMatch(out, /www\./i);
  assert.match(out, /https:&#8203;\/\/evil\.example/);
});
