import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { decodePng, pixel } from './png.ts';

function crcTable(): number[] {
  return Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
}
const CRC = crcTable();
function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])));
  return Buffer.concat([head, body, crc]);
}

/** A PNG of `rows` (8-bit samples), row y filtered with filter type y % 5 (all five, forward-filtered as the spec says). */
function encodePng(width: number, channels: 3 | 4, rows: number[][]): Buffer {
  const stride = width * channels;
  const raw: number[] = [];
  rows.forEach((row, y) => {
    const filter = y % 5;
    raw.push(filter);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? row[i - channels]! : 0;
      const b = y > 0 ? rows[y - 1]![i]! : 0;
      const c = y > 0 && i >= channels ? rows[y - 1]![i - channels]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter]!;
      raw.push((row[i]! - predictor + 256) & 0xff);
    }
  });
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(rows.length, 4);
  ihdr[8] = 8;
  ihdr[9] = channels === 4 ? 6 : 2;
  const compressed = deflateSync(Buffer.from(raw));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    // Split IDAT: decoders must join the chunks.
    chunk('IDAT', compressed.subarray(0, 5)),
    chunk('IDAT', compressed.subarray(5)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('decodePng (test helper)', () => {
  for (const channels of [3, 4] as const) {
    it(`decodes ${channels === 3 ? 'RGB' : 'RGBA'} with every filter type`, () => {
      const width = 7;
      const rows = Array.from({ length: 10 }, (_, y) => Array.from({ length: width * channels }, (_, i) => (y * 37 + i * 91 + ((i * y) % 13) * 17) & 0xff));
      const png = decodePng(encodePng(width, channels, rows));
      assert.deepEqual([png.width, png.height, png.channels], [width, 10, channels]);
      assert.deepEqual([...png.data], rows.flat());
      assert.deepEqual(pixel(png, 2, 3), rows[3]!.slice(2 * channels, 2 * channels + 3));
    });
  }

  it('refuses what it cannot read', () => {
    assert.throws(() => decodePng(Buffer.from('GIF89a')), /not a PNG/);
    const png = encodePng(1, 3, [[1, 2, 3]]);
    png[8 + 8 + 8] = 16; // IHDR bit depth
    assert.throws(() => decodePng(png), /unsupported PNG: bit depth 16/);
  });
});
