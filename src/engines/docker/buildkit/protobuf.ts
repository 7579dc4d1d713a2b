/**
 * Just enough of the protobuf wire format for the BuildKit session and trace messages:
 * varints and length-delimited fields. Unknown fields are skipped, as protobuf requires.
 */

export interface Field {
  field: number;
  /** Varint fields. */
  number?: bigint;
  /** Length-delimited fields (strings, bytes, nested messages). */
  bytes?: Buffer;
}

function readVarint(buffer: Buffer, offset: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let index = offset; index < buffer.length; index++) {
    const byte = buffer[index]!;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value, next: index + 1 };
    shift += 7n;
  }
  throw new Error('truncated protobuf varint');
}

/** The fields of one message, in wire order (repeated fields appear once per value). */
export function decodeMessage(buffer: Buffer): Field[] {
  const fields: Field[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const key = readVarint(buffer, offset);
    const field = Number(key.value >> 3n);
    const wire = Number(key.value & 7n);
    offset = key.next;
    if (wire === 0) {
      const { value, next } = readVarint(buffer, offset);
      fields.push({ field, number: value });
      offset = next;
    } else if (wire === 2) {
      const { value, next } = readVarint(buffer, offset);
      const end = next + Number(value);
      if (end > buffer.length) throw new Error('truncated protobuf field');
      fields.push({ field, bytes: buffer.subarray(next, end) });
      offset = end;
    } else if (wire === 1) offset += 8;
    else if (wire === 5) offset += 4;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return fields;
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** A length-delimited field (bytes, string or nested message). */
export function bytesField(field: number, value: Buffer | string): Buffer {
  const data = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint((field << 3) | 2), varint(data.length), data]);
}

/** A varint field. */
export function varintField(field: number, value: number): Buffer {
  return Buffer.concat([varint(field << 3), varint(value)]);
}

/** The first string value of `field`, if any. */
export function stringOf(fields: readonly Field[], field: number): string | undefined {
  return fields.find((f) => f.field === field && f.bytes)?.bytes?.toString('utf8');
}
