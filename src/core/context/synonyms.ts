/**
 * Settings the context can spell in several ways: madengine v2.1's keys, the design documents' ones
 * and madengine v1's `multi_node_args` (compat §5.3). Each group lists the keys of one setting,
 * first (most specific) first. Two of them given with different values is an error naming both;
 * a context merged over another replaces the whole group (so a runtime `nnodes` overrides a stored
 * `slurm.nodes` instead of contradicting it).
 */
import { ConfigError } from '../errors.ts';
import { isPlainObject } from '../util/object.ts';
import { shortJson } from '../util/describe.ts';
import { isLauncherName } from './schema.ts';

export interface SynonymKey {
  path: readonly string[];
  /** The key counts only when its value passes (e.g. distributed.backend naming a launcher). */
  when?: (value: unknown) => boolean;
}

export interface SynonymGroup {
  /** What the keys set, in words, for messages. */
  setting: string;
  keys: readonly SynonymKey[];
}

const isText = (value: unknown): boolean => typeof value === 'string';
const isNonEmptyText = (value: unknown): boolean => typeof value === 'string' && value !== '';

const key = (dotted: string, when?: (value: unknown) => boolean): SynonymKey => ({ path: dotted.split('.'), ...(when ? { when } : {}) });

/** Each setting's keys, first (the one that wins when they agree) first. */
export const SYNONYMS = {
  launcher: {
    setting: 'the launcher',
    keys: [
      key('launcher', isText),
      key('launcher.type'),
      key('distributed.launcher'),
      key('distributed.backend', isLauncherName),
      key('multi_node_args.RUNNER'),
    ],
  },
  nnodes: {
    setting: 'the number of nodes',
    keys: [key('nnodes'), key('launcher.nnodes'), key('distributed.nnodes'), key('slurm.nodes'), key('multi_node_args.NNODES')],
  },
  nprocPerNode: {
    setting: 'the processes per node',
    keys: [key('nproc_per_node'), key('launcher.nproc_per_node'), key('distributed.nproc_per_node'), key('multi_node_args.MAD_RUNTIME_NGPUS')],
  },
  masterPort: {
    setting: 'the rendezvous port',
    keys: [key('distributed.master_port'), key('distributed.port'), key('launcher.master_port'), key('multi_node_args.MASTER_PORT')],
  },
  // madengine v1 defaults the interfaces to "": that is "not set".
  ncclSocketIfname: {
    setting: 'the NCCL network interface',
    keys: [key('slurm.network_interface', isNonEmptyText), key('distributed.nccl_socket_ifname'), key('multi_node_args.NCCL_SOCKET_IFNAME', isNonEmptyText)],
  },
  glooSocketIfname: {
    setting: 'the Gloo network interface',
    keys: [key('distributed.gloo_socket_ifname'), key('multi_node_args.GLOO_SOCKET_IFNAME', isNonEmptyText)],
  },
  sharedData: { setting: 'the shared data directory', keys: [key('shared_data'), key('shared_storage')] },
  // schema.ts folds time_limit into time; listed so that a runtime time_limit replaces a stored time.
  slurmTime: { setting: 'the SLURM time limit', keys: [key('slurm.time'), key('slurm.time_limit')] },
} as const satisfies Record<string, SynonymGroup>;

export const SYNONYM_GROUPS: readonly SynonymGroup[] = Object.values(SYNONYMS);

export interface FoundSetting<T = unknown> {
  /** The dotted key it was read from. */
  key: string;
  value: T;
}

/** The keys of `keys` present in `context` (null counts as absent), in order. */
export function presentKeys(context: Readonly<Record<string, unknown>>, keys: readonly SynonymKey[]): FoundSetting[] {
  const found: FoundSetting[] = [];
  for (const candidate of keys) {
    const value = valueAtPath(context, candidate.path);
    if (value === undefined || value === null || (candidate.when && !candidate.when(value))) continue;
    found.push({ key: candidate.path.join('.'), value });
  }
  return found;
}

/** Why the present keys of `keys` disagree, or undefined when they agree (or fewer than two are given). */
export function synonymConflict(context: Readonly<Record<string, unknown>>, group: SynonymGroup): string | undefined {
  const [first, ...rest] = presentKeys(context, group.keys);
  const other = rest.find((found) => found.value !== first!.value);
  if (first === undefined || other === undefined) return undefined;
  return (
    `${first.key} and ${other.key}: got ${shortJson(first.value, 40)} and ${shortJson(other.value, 40)}, ` +
    `expected the same value (both set ${group.setting}: give one of them)`
  );
}

/** The setting's value from the first key present; ConfigError when two keys given disagree. */
export function resolveSynonyms<T>(context: Readonly<Record<string, unknown>>, group: SynonymGroup): FoundSetting<T> | undefined {
  const conflict = synonymConflict(context, group);
  if (conflict !== undefined) throw new ConfigError(`additional context: ${conflict}`);
  return presentKeys(context, group.keys)[0] as FoundSetting<T> | undefined;
}

/**
 * `base` without the keys `override` replaces: for every group `override` sets, all of the group's keys
 * in `base`. Used before merging a runtime context over a stored one. Neither input is changed.
 */
export function withoutOverriddenSynonyms(base: Readonly<Record<string, unknown>>, override: Readonly<Record<string, unknown>>): Record<string, unknown> {
  let result: Record<string, unknown> = base as Record<string, unknown>;
  for (const group of SYNONYM_GROUPS) {
    if (presentKeys(override, group.keys).length === 0) continue;
    for (const found of presentKeys(result, group.keys)) result = withoutPath(result, found.key.split('.'));
  }
  return result;
}

function valueAtPath(object: unknown, path: readonly string[]): unknown {
  let current = object;
  for (const segment of path) {
    if (!isPlainObject(current) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

/** A copy of `object` without the key at `path` (copies only along the path). */
function withoutPath(object: Record<string, unknown>, path: readonly string[]): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(object, head)) return object;
  const copy = { ...object };
  if (rest.length === 0) delete copy[head];
  else if (isPlainObject(copy[head])) copy[head] = withoutPath(copy[head], rest);
  return copy;
}
