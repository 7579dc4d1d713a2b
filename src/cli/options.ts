/** Shared option helpers for the CLI commands. */
import path from 'node:path';

/** Commander collector for repeatable options: `-t a -t b,c` -> ['a', 'b,c'] (split later by splitTags). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Hub directory: `--hub`, else $MODEL_DIR (madengine's variable), else the current directory. */
export function resolveHub(hub: string | undefined): string {
  return path.resolve(hub ?? process.env.MODEL_DIR ?? '.');
}
