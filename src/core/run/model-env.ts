/**
 * The environment, mounts and scripts a model run gets (compat §3.3): system facts as MAD_*
 * variables, the model's GPUs, context docker_env_vars, MAD_SECRETS* from the host, credentials
 * for the model's `cred`, data-provider variables; docker_mounts; pre/post scripts and tools.
 */
import { ConfigError } from '../errors.ts';
import type { SystemInfo } from '../gpu/types.ts';
import type { AdditionalContext } from '../context/schema.ts';
import { madEnvFromSystem } from '../gpu/env.ts';
import type { Mount, ScriptStep } from './executor.ts';
import { isPlainObject } from '../util/object.ts';
import { ENV_NAME } from '../util/env-name.ts';
import { secretEnv } from '../secrets/selection.ts';
import { SYNONYMS, presentKeys } from '../context/synonyms.ts';

/**
 * Host variables madengine forwards to containers when set (distributed runs, GPU visibility), and the
 * ones a SLURM task exports at run time (templates/slurm/parts.sh.njk: rank, first host, job id); a task's
 * static variables (env_vars, launcher settings) reach the model through its node manifest's docker_env_vars.
 */
export const FORWARDED_HOST_ENV: readonly string[] = [
  'MASTER_ADDR',
  'MASTER_PORT',
  'WORLD_SIZE',
  'RANK',
  'NODE_RANK',
  'LOCAL_RANK',
  'NNODES',
  'NPROC_PER_NODE',
  'GPUS_PER_NODE',
  'MAD_MULTI_NODE_RUNNER',
  'MAD_COLLECT_METRICS',
  'MAD_DEPLOYMENT_TYPE',
  'MAD_IN_SLURM_JOB',
  'MAD_SLURM_JOB_ID',
  'MAD_NODE_RANK',
  'MAD_TOTAL_NODES',
  'MAD_LAUNCHER_TYPE',
  'DISTRIBUTED_BACKEND',
  'SGLANG_NODE_IPS',
  'SGLANG_NODE_RANK',
  'NCCL_SOCKET_IFNAME',
  'GLOO_SOCKET_IFNAME',
  'NCCL_DEBUG',
  'NCCL_IB_DISABLE',
  'NCCL_NET_GDR_LEVEL',
  'PRIMUS_CONFIG_PATH',
  'PRIMUS_CLI_EXTRA',
  'TORCH_ELASTIC_RDZV_TIMEOUT',
  'HIP_VISIBLE_DEVICES',
  'ROCR_VISIBLE_DEVICES',
  'CUDA_VISIBLE_DEVICES',
  'MIOPEN_USER_DB_PATH',
];

/** Every name must be a shell/env identifier; the error names where the bad one came from. */
export function checkEnvNames(env: Record<string, string>, where: string): void {
  const bad = Object.keys(env).filter((name) => !ENV_NAME.test(name));
  if (bad.length)
    throw new ConfigError(
      `${where}: invalid environment variable name(s) ${bad.map((b) => JSON.stringify(b)).join(', ')}: names must match [A-Za-z_][A-Za-z0-9_]*`,
    );
}

/** An unvalidated {NAME: value} (a tools.json definition's env_vars) as strings; null and undefined values dropped. */
function stringRecord(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) out[k] = typeof v === 'string' ? v : String(v);
  return out;
}

/** madengine's MAD_MULTI_NODE_RUNNER for a local run, from the launcher in context, model or env. */
export function multiNodeRunner(launcher: string, gpus: number): string {
  switch (launcher) {
    case 'deepspeed':
      return `deepspeed --num_gpus=${gpus}`;
    case 'vllm':
    case 'sglang':
    case 'sglang-disagg':
    case 'primus':
      return '';
    default:
      return `torchrun --standalone --nproc_per_node=${gpus}`;
  }
}

/** The context's launcher in any of its spellings (core/context/synonyms.ts: launcher, distributed.launcher, ...). */
export type LauncherContext = Pick<AdditionalContext, 'distributed' | 'launcher' | 'multi_node_args'>;

export function launcherOf(context: LauncherContext, model: Record<string, unknown>, env: NodeJS.ProcessEnv): string {
  // The model's section is unvalidated catalogue data.
  const fromModel = (section: unknown): string | undefined => {
    const value = (section as { launcher?: unknown } | undefined)?.launcher;
    return typeof value === 'string' && value ? value : undefined;
  };
  // Validation already refused spellings that disagree, so the first one present is the launcher.
  const fromContext = presentKeys(context, SYNONYMS.launcher.keys)[0]?.value as string | undefined;
  return ((fromContext || undefined) ?? fromModel(model.distributed) ?? env.MAD_LAUNCHER ?? '').replace('sglang_disagg', 'sglang-disagg');
}

export interface ModelEnvInput {
  modelName: string;
  model: Record<string, unknown>;
  context: Pick<AdditionalContext, 'guest_os' | 'docker_env_vars'> & LauncherContext;
  system: SystemInfo;
  gpuCount: number;
  credentialEnv: Record<string, string>;
  dataEnv: Record<string, string>;
  hostEnv: NodeJS.ProcessEnv;
}

export function modelEnvironment(input: ModelEnvInput): Record<string, string> {
  const { context, hostEnv } = input;
  const env: Record<string, string> = {
    ...madEnvFromSystem(input.system),
    MAD_RUNTIME_NGPUS: String(input.gpuCount),
    MAD_MODEL_NAME: input.modelName,
    MAD_GUEST_OS: context.guest_os,
    JENKINS_BUILD_NUMBER: hostEnv.BUILD_NUMBER ?? '0',
  };
  if (typeof input.model.multiple_results === 'string' && input.model.multiple_results) env.MAD_OUTPUT_CSV = input.model.multiple_results;
  if (input.system.gpuVendor === 'AMD' && input.system.rocmPath) env.ROCM_PATH = input.system.rocmPath;
  for (const name of FORWARDED_HOST_ENV) if (hostEnv[name] !== undefined) env[name] = hostEnv[name]!;
  if (env.MAD_MULTI_NODE_RUNNER === undefined) env.MAD_MULTI_NODE_RUNNER = multiNodeRunner(launcherOf(context, input.model, hostEnv), input.gpuCount);
  Object.assign(env, secretEnv(hostEnv));
  Object.assign(env, input.credentialEnv, input.dataEnv);
  // A null value (madengine's "detect it") is not passed: the detected value, if any, stays.
  for (const [name, value] of Object.entries(context.docker_env_vars ?? {})) if (value !== null) env[name] = value;
  checkEnvNames(env, `environment of model ${input.modelName}`);
  return env;
}

/** docker_mounts is {containerPath: hostPath} (madengine's orientation). */
export function contextMounts(context: Pick<AdditionalContext, 'docker_mounts'>): Mount[] {
  return Object.entries(context.docker_mounts ?? {}).map(([containerPath, hostPath]) => ({ hostPath, containerPath, readOnly: false }));
}

const step = (item: { path: string; args?: unknown }): ScriptStep => ({ path: item.path, args: item.args === undefined ? '' : String(item.args) });

/** A tools.json definition's pre/post scripts (unvalidated: anything but a list is none). */
function steps(value: unknown): ScriptStep[] {
  if (!Array.isArray(value)) return [];
  return value.map(step);
}

/** A tool of the hub's scripts/common/tools.json. */
export interface ToolDefinition {
  cmd?: string;
  env_vars?: Record<string, unknown>;
  pre_scripts?: { path: string; args?: string }[];
  post_scripts?: { path: string; args?: string }[];
}

/**
 * Pre/post scripts, the command prefix and tool env from context `tools`, `pre_scripts`,
 * `post_scripts`, `encapsulate_script`, with madengine's stacking order (compat §3.10): each tool's
 * pre-scripts go in front, post-scripts at the back, cmd in front of the prefix.
 */
export function scriptPlan(
  context: Pick<AdditionalContext, 'tools' | 'pre_scripts' | 'post_scripts' | 'encapsulate_script'>,
  toolDefinitions: Record<string, ToolDefinition> | undefined,
): { pre: ScriptStep[]; post: ScriptStep[]; encapsulate: string; env: Record<string, string> } {
  const pre = (context.pre_scripts ?? []).map(step);
  const post = (context.post_scripts ?? []).map(step);
  let encapsulate = context.encapsulate_script ?? '';
  const env: Record<string, string> = {};
  for (const tool of context.tools ?? []) {
    const definition = toolDefinitions?.[tool.name];
    if (!definition) {
      const known = Object.keys(toolDefinitions ?? {});
      throw new ConfigError(
        `tool '${tool.name}' has no definition in scripts/common/tools.json of the hub${known.length ? ` (defined: ${known.join(', ')})` : ' (the hub has no tools.json)'}`,
      );
    }
    const cmd = tool.cmd ?? definition.cmd ?? '';
    Object.assign(env, stringRecord(definition.env_vars), tool.env_vars);
    pre.unshift(...steps(definition.pre_scripts));
    post.push(...steps(definition.post_scripts));
    if (cmd && !encapsulate.includes(cmd)) encapsulate = encapsulate ? `${cmd} ${encapsulate}` : cmd;
  }
  return { pre, post, encapsulate, env };
}
