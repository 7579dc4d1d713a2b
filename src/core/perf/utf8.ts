/**
 * Byte-level text helpers for the log scanner. madengine reads logs with
 * `open(path, encoding='utf-8', errors='ignore')`, i.e. invalid bytes vanish; the scanner works on
 * raw bytes for speed, so this module turns arbitrary chunks into valid UTF-8 with the same bytes
 * dropped, cut at character boundaries so no character straddles two chunks.
 */
import { isUtf8 } from 'node:buffer';

const EMPTY = Buffer.alloc(0);

/** Byte length of the UTF-8 character whose lead byte is `lead` (input already validated). */
export function charLength(lead: number): number {
  return lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

/**
 * Byte length of the whitespace character at `i`, or 0. The set is Python's `\s` for str patterns
 * (= str.isspace()): ASCII 09-0D, 1C-1F, 20 and U+0085, U+00A0, U+1680, U+2000-200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000. JavaScript's `\s` differs (it has U+FEFF, lacks 1C-1F/U+0085).
 */
export function whitespaceLength(buf: Uint8Array, i: number): number {
  const b = buf[i]!;
  if (b < 0x80) return b === 0x20 || (b >= 0x09 && b <= 0x0d) || (b >= 0x1c && b <= 0x1f) ? 1 : 0;
  if (b === 0xc2) {
    const b1 = buf[i + 1];
    return b1 === 0x85 || b1 === 0xa0 ? 2 : 0;
  }
  if (b === 0xe1) return buf[i + 1] === 0x9a && buf[i + 2] === 0x80 ? 3 : 0;
  if (b === 0xe2) {
    const b1 = buf[i + 1];
    const b2 = buf[i + 2]!;
    if (b1 === 0x80) return b2 <= 0x8a || b2 === 0xa8 || b2 === 0xa9 || b2 === 0xaf ? 3 : 0;
    return b1 === 0x81 && b2 === 0x9f ? 3 : 0;
  }
  if (b === 0xe3) return buf[i + 1] === 0x80 && buf[i + 2] === 0x80 ? 3 : 0;
  return 0;
}

/**
 * Streams arbitrary byte chunks out as valid UTF-8, dropping ill-formed bytes exactly like
 * Python's `errors='ignore'` (every maximal ill-formed subsequence is removed) and holding back an
 * incomplete trailing character until the next chunk. Returned buffers may be views of the input.
 */
export class Utf8Cleaner {
  private pending: Buffer = EMPTY;

  push(chunk: Uint8Array): Buffer {
    const input = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, input]) : input;
    const cut = incompleteTailStart(data);
    // Copy: the caller may reuse its read buffer for the next chunk.
    this.pending = cut < data.length ? Buffer.from(data.subarray(cut)) : EMPTY;
    const body = data.subarray(0, cut);
    return isUtf8(body) ? body : dropIllFormed(body);
  }

  /** End of input: an incomplete trailing character is ill-formed and dropped. */
  end(): void {
    this.pending = EMPTY;
  }
}

/** Start of a trailing, possibly-valid but incomplete multi-byte character, or data.length. */
function incompleteTailStart(data: Buffer): number {
  const n = data.length;
  for (let i = n - 1; i >= 0 && i >= n - 3; i--) {
    const b = data[i]!;
    if ((b & 0xc0) === 0x80) continue;
    if (b >= 0xc2 && b <= 0xf4 && n - i < charLength(b)) return i;
    return n;
  }
  return n;
}

/** Copies the well-formed characters of `bytes` (Unicode Table 3-7), skipping everything else. */
export function dropIllFormed(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let o = 0;
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      out[o++] = b;
      i++;
      continue;
    }
    const valid = wellFormedLength(bytes, i);
    if (valid > 0) {
      bytes.copy(out, o, i, i + valid);
      o += valid;
      i += valid;
    } else {
      i += -valid;
    }
  }
  return out.subarray(0, o);
}

/**
 * For a non-ASCII byte at `i`: the length of the well-formed character starting there (> 0), or
 * minus the length of the maximal ill-formed subpart to skip (< 0).
 */
function wellFormedLength(bytes: Buffer, i: number): number {
  const b = bytes[i]!;
  let need: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) need = 1;
  else if (b >= 0xe0 && b <= 0xef) {
    need = 2;
    if (b === 0xe0) lo = 0xa0;
    if (b === 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    need = 3;
    if (b === 0xf0) lo = 0x90;
    if (b === 0xf4) hi = 0x8f;
  } else return -1;
  for (let k = 1; k <= need; k++) {
    const c = bytes[i + k];
    const min = k === 1 ? lo : 0x80;
    const max = k === 1 ? hi : 0xbf;
    if (c === undefined || c < min || c > max) return -k;
  }
  return need + 1;
}
