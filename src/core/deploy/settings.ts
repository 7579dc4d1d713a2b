/**
 * How and where a model is deployed, resolved once from every dialect of the context: madengine
 * v2.1's keys (compat §4.1, §4.2), the design documents' ones (top-level launcher / nnodes /
 * nproc_per_node, distributed.backend naming a launcher, shared_storage) and madengine v1's
 * multi_node_args. Spellings of one setting are listed in core/context/synonyms.ts, first one
 * first; two that disagree are a ConfigError naming both. The model's own `distributed` section
 * (catalogue data) is the default under all of them.
 */
import { ConfigError } from '../errors.ts';
import { LAUNCHERS, canonicalLauncher, isLauncherName, type AdditionalContext, type DeployTarget, type Launcher } from '../context/schema.ts';
import { SYNONYMS, resolveSynonyms, type SynonymGroup } from '../context/synonyms.ts';
import { resolveGpuCount } from '../gpu/gpu-count.ts';
import { isSecretName } from '../secrets/selection.ts';
import { isPlainObject } from '../util/object.ts';
import { didYouMean } from '../util/suggest.ts';
import type { LaunchSettings } from './types.ts';

export const DEFAULT_MASTER_PORT = 29500;

type Model = Readonly<Record<string, unknown>>;

/** The launch of `model` under `context` (a validated, effective context). */
export function launchSettings(context: AdditionalContext, model: Model): LaunchSettings {
  const modelName = typeof model.name === 'string' ? model.name : 'the model';
  const own = isPlainObject(model.distributed) ? model.distributed : {};
  const communicationBackend = context.distributed?.backend;
  const ncclSocketIfname = setting<string>(context, SYNONYMS.ncclSocketIfname);
  const glooSocketIfname = setting<string>(context, SYNONYMS.glooSocketIfname) ?? ncclSocketIfname;
  const sharedData = setting<string>(context, SYNONYMS.sharedData);
  return {
    launcher: setting<Launcher>(context, SYNONYMS.launcher) ?? modelLauncher(own.launcher, modelName) ?? 'docker',
    nnodes: setting<number>(context, SYNONYMS.nnodes) ?? modelCount(own.nnodes, `model ${modelName}: distributed.nnodes`) ?? 1,
    nprocPerNode:
      setting<number>(context, SYNONYMS.nprocPerNode) ??
      contextGpuCount(context) ??
      modelCount(own.nproc_per_node, `model ${modelName}: distributed.nproc_per_node`),
    masterPort: setting<number>(context, SYNONYMS.masterPort) ?? DEFAULT_MASTER_PORT,
    ...(ncclSocketIfname === undefined ? {} : { ncclSocketIfname }),
    ...(glooSocketIfname === undefined ? {} : { glooSocketIfname }),
    ...(communicationBackend === undefined || isLauncherName(communicationBackend) ? {} : { communicationBackend }),
    ...(sharedData === undefined ? {} : { sharedData }),
    env: launchEnv(context),
  };
}

function setting<T>(context: AdditionalContext, group: SynonymGroup): T | undefined {
  return resolveSynonyms<T>(context, group)?.value;
}

/** The GPU count the context sets (compat §3.4 order, the model's n_gpus left out); -1 ("all") sets nothing. */
function contextGpuCount(context: AdditionalContext): number | undefined {
  const resolved = resolveGpuCount({}, context, { gpuCount: 0 });
  return resolved.source === 'default' || resolved.requested < 1 ? undefined : resolved.requested;
}

/** The catalogue's launcher (unvalidated there): normalised like the context's; a name that is none is an error. */
function modelLauncher(value: unknown, modelName: string): Launcher | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (isLauncherName(value)) return canonicalLauncher(value) as Launcher;
  throw new ConfigError(
    `model ${modelName}: distributed.launcher: got ${JSON.stringify(value)}, expected one of ${LAUNCHERS.join(', ')}` +
      (typeof value === 'string' ? didYouMean(value, LAUNCHERS) : ''),
  );
}

function modelCount(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const count = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(count) || count < 1) throw new ConfigError(`${where}: got ${JSON.stringify(value)}, expected a positive integer`);
  return count;
}

// ---- the environment every node exports -------------------------------------------------------------

/**
 * Later sources win on a name: top-level env_vars, then each launcher section's settings, then that
 * section's env_vars (vllm before sglang). A section is more specific than env_vars, and its env_vars
 * name the variable outright, so they beat a setting derived from a key. MAD_SECRETS* names are left
 * out: this goes into job scripts, and the secrets reach the model from the environment (difference 20).
 */
function launchEnv(context: AdditionalContext): Record<string, string> {
  const env: Record<string, string> = { ...context.env_vars };
  for (const [section, prefix] of [
    [context.vllm, 'VLLM'],
    [context.sglang, 'SGLANG'],
  ] as const) {
    if (section === undefined) continue;
    Object.assign(env, launcherSectionEnv(section, prefix), section.env_vars);
  }
  for (const name of Object.keys(env)) if (isSecretName(name)) delete env[name];
  return env;
}

/**
 * vllm.tensor_parallel_size -> VLLM_TENSOR_PARALLEL_SIZE: the names madengine's vllm/sglang launchers
 * export (compat §4.1). Numbers as decimal strings; booleans "1"/"0" (vLLM reads its flags with
 * int()); null is "not set".
 */
export function launcherSectionEnv(section: Readonly<Record<string, unknown>>, prefix: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(section)) {
    if (key === 'env_vars' || value === null || value === undefined) continue;
    const name = `${prefix}_${key.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
    env[name] = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  }
  return env;
}

// ---- the target -----------------------------------------------------------------------------------------

const TARGET_NAMES: Record<string, DeployTarget> = { local: 'local', docker: 'local', slurm: 'slurm', k8s: 'k8s', kubernetes: 'k8s' };

/**
 * Where the run goes: `deploy` (runtime over stored), else the manifest's deployment_config.target,
 * else the section given (slurm, or k8s/kubernetes; both without `deploy` is an error), else local.
 */
export function deployTarget(
  context: Pick<AdditionalContext, 'deploy' | 'slurm' | 'k8s' | 'kubernetes'>,
  manifest?: { deployment_config?: Readonly<Record<string, unknown>> | undefined },
): DeployTarget {
  if (context.deploy !== undefined) return context.deploy;
  const stored = manifest?.deployment_config?.target;
  if (stored !== undefined && stored !== null) {
    const target = typeof stored === 'string' ? TARGET_NAMES[stored.trim().toLowerCase()] : undefined;
    if (target === undefined) {
      throw new ConfigError(`manifest deployment_config.target: got ${JSON.stringify(stored)}, expected one of local, docker, slurm, k8s, kubernetes`);
    }
    return target;
  }
  const slurm = context.slurm !== undefined;
  const k8s = context.k8s !== undefined || context.kubernetes !== undefined;
  if (slurm && k8s) {
    throw new ConfigError('additional context: slurm and k8s: both given without "deploy", expected "deploy": "slurm" or "k8s" to pick the target');
  }
  return slurm ? 'slurm' : k8s ? 'k8s' : 'local';
}
