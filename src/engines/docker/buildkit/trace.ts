/**
 * BuildKit progress on the Engine API: `moby.buildkit.trace` events carry a base64 protobuf
 * StatusResponse (vertexes = 1, statuses = 2, logs = 3). This turns them into plain log lines
 * like `docker build --progress=plain`: `#3 [2/2] RUN make`, `#3 <output>`, `#3 DONE`.
 */
import { decodeMessage, stringOf } from './protobuf.ts';

export class TraceLines {
  private readonly numbers = new Map<string, number>();
  private readonly done = new Set<string>();
  private readonly partial = new Map<string, string>();

  /** The lines one trace event adds. */
  lines(base64: string): string[] {
    const out: string[] = [];
    for (const field of decodeMessage(Buffer.from(base64, 'base64'))) {
      if (!field.bytes) continue;
      const message = decodeMessage(field.bytes);
      if (field.field === 1) this.vertex(message, out);
      else if (field.field === 3) this.log(message, out);
    }
    return out;
  }

  private number(digest: string, name: string | undefined, out: string[]): number {
    let number = this.numbers.get(digest);
    if (number === undefined) {
      number = this.numbers.size + 1;
      this.numbers.set(digest, number);
      out.push(`#${number} ${name ?? digest}`);
    }
    return number;
  }

  private vertex(message: ReturnType<typeof decodeMessage>, out: string[]): void {
    const digest = stringOf(message, 1) ?? '';
    const number = this.number(digest, stringOf(message, 3), out);
    const error = stringOf(message, 7);
    const cached = message.some((f) => f.field === 4 && f.number === 1n);
    const completed = message.some((f) => f.field === 6);
    if (this.done.has(digest) || !(completed || error)) return;
    this.done.add(digest);
    const rest = this.partial.get(digest);
    if (rest) out.push(`#${number} ${rest}`);
    this.partial.delete(digest);
    out.push(`#${number} ${error ? `ERROR: ${error}` : cached ? 'CACHED' : 'DONE'}`);
  }

  private log(message: ReturnType<typeof decodeMessage>, out: string[]): void {
    const digest = stringOf(message, 1) ?? '';
    const number = this.number(digest, undefined, out);
    const text = (this.partial.get(digest) ?? '') + (message.find((f) => f.field === 4)?.bytes?.toString('utf8') ?? '');
    const lines = text.split(/\r?\n/);
    this.partial.set(digest, lines.pop() ?? '');
    for (const line of lines) out.push(`#${number} ${line}`);
  }
}
