/**
 * Index lists for docker_gpus / docker_cpus: "0,2-4,5-5,7" -> [0, 2, 3, 4, 5, 7].
 * madengine accepts single indices and inclusive ranges, comma separated (spaces ignored).
 */
import { ConfigError } from '../errors.ts';

const EXAMPLE = 'comma-separated indices or inclusive ranges like "0,2-4,7"';
/** No machine has more CPUs than this; the cap keeps a typo like "0-99999999" from allocating a huge list. */
const MAX_INDEX = 65_535;

/** Why `spec` is not a valid index list, or undefined when it is. */
export function indexRangeProblem(spec: string): string | undefined {
  return parse(spec).problem;
}

/** The sorted, de-duplicated indices `spec` names; ConfigError naming `what` otherwise. */
export function parseIndexRanges(spec: string, what: string): number[] {
  const { indices, problem } = parse(spec);
  if (problem !== undefined) throw new ConfigError(`${what}: got ${JSON.stringify(spec)}, expected ${EXAMPLE} (${problem})`);
  return indices;
}

function parse(spec: string): { indices: number[]; problem?: string } {
  if (spec.trim() === '') return { indices: [], problem: 'the list is empty' };
  const seen = new Set<number>();
  for (const rawPart of spec.split(',')) {
    const part = rawPart.replace(/\s+/g, '');
    if (part === '') return { indices: [], problem: 'empty entry between commas' };
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) return { indices: [], problem: `'${part}' is not an index or a range` };
    const start = Number(match[1]);
    const end = match[2] === undefined ? start : Number(match[2]);
    if (end < start) return { indices: [], problem: `range '${part}' ends before it starts` };
    if (end > MAX_INDEX) return { indices: [], problem: `index ${end} is above ${MAX_INDEX}` };
    for (let index = start; index <= end; index++) seen.add(index);
  }
  return { indices: [...seen].sort((a, b) => a - b) };
}
