/**
 * Fast literal search over log bytes. Buffer#indexOf is memchr-fast for short needles whose first
 * byte is rare, but falls to ~2 GB/s Boyer-Moore-Horspool for needles of 7+ bytes; with a dozen
 * error patterns that alone would sink the 200 MB/s budget. So each literal is searched by a short
 * "anchor" (up to 6 bytes starting at its rarest byte) and the full literal is verified at each hit.
 */

const ANCHOR_LENGTH = 6;

export class Literal {
  readonly text: string;
  readonly bytes: Buffer;
  private readonly anchor: Buffer;
  private readonly anchorOffset: number;

  constructor(text: string) {
    if (text.length === 0) throw new Error('a search literal must not be empty');
    this.text = text;
    this.bytes = Buffer.from(text, 'utf8');
    const length = Math.min(ANCHOR_LENGTH, this.bytes.length);
    let best = 0;
    for (let s = 1; s + length <= this.bytes.length; s++) {
      if (byteFrequency(this.bytes[s]!) < byteFrequency(this.bytes[best]!)) best = s;
    }
    this.anchorOffset = best;
    this.anchor = this.bytes.subarray(best, best + length);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Start of the first occurrence lying entirely within buf[from, to), or -1. */
  find(buf: Buffer, from: number, to: number = buf.length): number {
    const lastStart = to - this.bytes.length;
    if (from > lastStart) return -1;
    let at = from + this.anchorOffset;
    for (;;) {
      const hit = buf.indexOf(this.anchor, at);
      if (hit < 0) return -1;
      const start = hit - this.anchorOffset;
      if (start > lastStart) return -1;
      if (this.matchesAt(buf, start)) return start;
      at = hit + 1;
    }
  }

  matchesAt(buf: Buffer, start: number): boolean {
    const bytes = this.bytes;
    if (start < 0 || start + bytes.length > buf.length) return false;
    for (let k = 0; k < bytes.length; k++) if (buf[start + k] !== bytes[k]) return false;
    return true;
  }
}

/**
 * Rough frequency (per mille) of a byte in ML job logs: prose, numbers, paths, progress bars.
 * Only the ranking matters; it picks the anchor byte that memchr will stop on least often.
 */
function byteFrequency(b: number): number {
  if (b >= 0x80) return b >= 0xc0 ? 2 : 8; // UTF-8 lead bytes are rare; continuation bytes repeat
  if (b >= 0x30 && b <= 0x39) return 40;
  if (b >= 0x61 && b <= 0x7a) return LOWER[b - 0x61]!;
  if (b >= 0x41 && b <= 0x5a) return 'EINOARSTCL'.includes(String.fromCharCode(b)) ? 4 : 2;
  return PUNCTUATION[String.fromCharCode(b)] ?? 1;
}

// a..z, roughly English letter frequencies.
const LOWER = [65, 12, 28, 34, 100, 18, 17, 40, 60, 2, 7, 33, 25, 58, 62, 20, 1, 52, 56, 75, 24, 9, 14, 3, 15, 1];
const PUNCTUATION: Record<string, number> = {
  ' ': 150,
  '\n': 20,
  '.': 25,
  ',': 12,
  ':': 15,
  '/': 15,
  _: 15,
  '-': 12,
  '=': 8,
  '[': 6,
  ']': 6,
  '(': 5,
  ')': 5,
  "'": 5,
  '"': 4,
  '|': 3,
  '\t': 3,
  '%': 3,
  '<': 2,
  '>': 2,
  '{': 2,
  '}': 2,
  '+': 2,
};
