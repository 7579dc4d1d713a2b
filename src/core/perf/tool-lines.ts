/**
 * Drops the lines the tool itself writes into a run log (`=== madengine: ...`) from a byte stream, so
 * the performance and error scans see only the model's output: the banner quotes the model's args, and
 * args holding "FAILED" or "performance: 0 none" must not decide the result. Streaming, constant memory.
 *
 * A tool line starts the log or follows a '\n' (the run script ends every user step with a line break,
 * and its own lines never contain one) and ends at the next '\n'.
 */
import { TOOL_LINE_PREFIX } from '../run/script.ts';

const PREFIX = Buffer.from(TOOL_LINE_PREFIX);
const NEWLINE = 0x0a;

const START = 0; // at a line start, `held` bytes of the prefix matched so far
const LINE = 1; // inside a model line: pass through to its end
const DROP = 2; // inside a tool line: drop through its end

export class ToolLineFilter {
  private state = START;
  /** Prefix bytes matched at the line start and not yet passed on (they may end a chunk). */
  private held = 0;

  /** The chunk without tool lines; bytes that may start one are held until the next chunk decides. */
  push(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let keep = 0; // start of the run of chunk bytes to pass on
    let i = 0;
    while (i < chunk.length) {
      if (this.state !== START) {
        const newline = chunk.indexOf(NEWLINE, i);
        i = newline < 0 ? chunk.length : newline + 1;
        if (this.state === DROP) keep = i;
        if (newline >= 0) this.state = START;
        continue;
      }
      const lineStart = i;
      const heldBefore = this.held;
      while (i < chunk.length && this.held < PREFIX.length && chunk[i] === PREFIX[this.held]) {
        this.held++;
        i++;
      }
      if (this.held === PREFIX.length) {
        out.push(chunk.subarray(keep, lineStart));
        this.held = 0;
        this.state = DROP;
        keep = i;
      } else if (i === chunk.length) {
        out.push(chunk.subarray(keep, lineStart));
        keep = i;
      } else {
        // Not a tool line: what was held from the previous chunk belongs to the model's line.
        out.push(chunk.subarray(keep, lineStart), PREFIX.subarray(0, heldBefore));
        keep = lineStart;
        this.held = 0;
        this.state = LINE;
      }
    }
    if (this.state !== DROP) out.push(chunk.subarray(keep));
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** End of the log: a held partial prefix was model output after all. */
  end(): Buffer {
    const rest = this.state === START ? PREFIX.subarray(0, this.held) : Buffer.alloc(0);
    this.held = 0;
    return rest;
  }
}
