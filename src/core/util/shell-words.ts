/**
 * Splits a command-line string into words the way a POSIX shell (and Python's shlex.split) groups them:
 * blanks separate, '...' is literal, "..." keeps its text with \" \\ \$ \` escapes, a backslash outside
 * quotes escapes the next character. Nothing is expanded: the words are data, to be quoted again.
 */
import { ConfigError } from '../errors.ts';

export function splitShellWords(text: string, what: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ConfigError(`${what}: unterminated ' quote in ${JSON.stringify(text)}`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`\n'.includes(text[j + 1]!)) j++;
        word += text[j];
      }
      if (j >= text.length) throw new ConfigError(`${what}: unterminated " quote in ${JSON.stringify(text)}`);
      inWord = true;
      i = j;
    } else if (c === '\\') {
      if (i + 1 < text.length) word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
