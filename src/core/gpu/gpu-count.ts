/**
 * How many GPUs a model gets, and which ones (compat §3.4 and §3.3 `get_gpu_arg`).
 */
import { ConfigError, RunError } from '../errors.ts';
import { GPU_COUNT_ALIASES, type AdditionalContext } from '../context/schema.ts';
import { isPlainObject } from '../util/object.ts';
import type { SystemInfo } from './types.ts';

export interface GpuCountResolution {
  /** The value as configured; -1 means "all GPUs". */
  requested: number;
  /** `requested` with -1 replaced by the system's GPU count. */
  count: number;
  /** Where it came from, e.g. "additional_context.gpus_per_node", "slurm.gpus_per_node", "model.n_gpus", "default". */
  source: string;
}

type Dict = Record<string, unknown>;

/** The context keys a GPU count can come from. */
export type GpuCountContext = Pick<AdditionalContext, (typeof GPU_COUNT_ALIASES)[number] | 'slurm' | 'k8s' | 'kubernetes' | 'deployment_config'>;

/** The first alias present in `section`, as an integer; undefined when none is present. */
function countIn(section: unknown, where: string): { value: number; source: string } | undefined {
  if (!isPlainObject(section)) return undefined;
  for (const alias of GPU_COUNT_ALIASES) {
    if (section[alias] === undefined || section[alias] === null) continue;
    return { value: toCount(section[alias], `${where}.${alias}`), source: `${where}.${alias}` };
  }
  return undefined;
}

function toCount(raw: unknown, where: string): number {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (!/^[+-]?\d+$/.test(text) || Number(text) < -1) {
    throw new ConfigError(`Invalid GPU count ${JSON.stringify(raw)} at '${where}': expected a whole number >= 0, or -1 for all GPUs`);
  }
  return Number(text);
}

/**
 * Resolve a model's GPU count. Precedence: a top-level alias in the additional context (or at
 * the top of its `deployment_config`), then the `slurm` section, then `k8s`/`kubernetes`, then
 * the model's own fields, then 1. -1 becomes the system's GPU count.
 */
export function resolveGpuCount(model: Dict, context: GpuCountContext, system: Pick<SystemInfo, 'gpuCount'>): GpuCountResolution {
  const deployment = context.deployment_config ?? {};
  let found: { value: number; source: string } | undefined;
  // Runtime override: each alias is looked up in the context, then deployment_config, before the next alias.
  for (const alias of GPU_COUNT_ALIASES) {
    found = countIn(pick(context, alias), 'additional_context') ?? countIn(pick(deployment, alias), 'additional_context.deployment_config');
    if (found) break;
  }
  found ??= countIn(context.slurm ?? deployment.slurm, 'slurm');
  found ??= countIn(context.k8s ?? context.kubernetes ?? deployment.k8s ?? deployment.kubernetes, 'k8s');
  found ??= countIn(model, 'model');
  const resolved = found ?? { value: 1, source: 'default' };
  return {
    requested: resolved.value,
    count: resolved.value === -1 ? system.gpuCount : resolved.value,
    source: resolved.source,
  };
}

const pick = (dict: Dict, key: string): Dict | undefined => (key in dict ? { [key]: dict[key] } : undefined);

/**
 * The GPU indices a container gets: the first `requested` of `dockerGpus` (default: every
 * GPU of the system); -1 takes them all. Asking for more than the system or the list has is a
 * RunError with madengine's message.
 */
export function selectGpus(dockerGpus: number[] | undefined, requested: number, system: Pick<SystemInfo, 'gpuCount'>): number[] {
  const available = dockerGpus ?? Array.from({ length: system.gpuCount }, (_, index) => index);
  const wanted = requested === -1 ? available.length : requested;
  if (!Number.isInteger(wanted) || wanted < 0) {
    throw new ConfigError(`Invalid GPU count ${requested}: expected a whole number >= 0, or -1 for all GPUs`);
  }
  if (wanted > system.gpuCount || wanted > available.length) {
    throw new RunError(`Too many gpus requested(${wanted}). System has ${system.gpuCount} gpus. Context has ${available.length} gpus.`);
  }
  return available.slice(0, wanted);
}
