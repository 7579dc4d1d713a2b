/**
 * What a launcher adds to a model's environment on a cluster (compat §4.1 "Launcher commands", §4.3):
 * the static variables, computed once here, and the MAD_MULTI_NODE_RUNNER command, whose runtime parts
 * (this rank, the first host, the job id) the job script fills in. madengine computes these only for
 * multi-node jobs; here every SLURM task gets them, so a one-node vLLM model sees VLLM_* too.
 */
import { ConfigError } from '../errors.ts';
import type { Launcher } from '../context/schema.ts';
import { isPlainObject } from '../util/object.ts';

/** Variables only the running job knows; the scripts expand them. */
export const RUNTIME_VARIABLES = ['NODE_RANK', 'MASTER_ADDR', 'SLURM_JOB_ID'] as const;
export type RuntimeVariable = (typeof RUNTIME_VARIABLES)[number];

/** A piece of a command: literal text, or a variable the script expands when it runs. */
export type CommandPart = { text: string } | { variable: RuntimeVariable };

export interface LauncherEnvInput {
  launcher: Launcher;
  /** Ranks of the run (nodes x tasks per node): what the launcher calls nodes. */
  nnodes: number;
  nprocPerNode: number;
  masterPort: number;
  modelName: string;
  /** The context's `distributed` section (sglang_disagg, primus), then the model's own (catalogue data, unvalidated). */
  distributed?: unknown;
  modelDistributed?: unknown;
}

export interface LauncherEnv {
  /** Static variables for the model: exported by the job and written to the node manifest. */
  env: Record<string, string>;
  /** MAD_MULTI_NODE_RUNNER, or undefined when the launcher leaves it to the run phase's default. */
  runner?: CommandPart[];
  /** deepspeed on several nodes: a hostfile of `<host> slots=<n>` lines at /tmp/deepspeed_hostfile_<job id>.txt. */
  hostfileSlots?: number;
  /** sglang-disagg: export SGLANG_NODE_IPS (every host's address) and SGLANG_NODE_RANK. */
  nodeIps: boolean;
  /** vllm and sglang use Ray, which wants only HIP_VISIBLE_DEVICES (AMD) or CUDA_VISIBLE_DEVICES. */
  rayGpuVisibility: boolean;
}

const text = (value: string): CommandPart => ({ text: value });
const variable = (name: RuntimeVariable): CommandPart => ({ variable: name });

function torchrun(nnodes: number, nproc: number, port: number): CommandPart[] {
  if (nnodes === 1) return [text(`torchrun --standalone --nproc_per_node=${nproc}`)];
  return [
    text(`torchrun --nnodes=${nnodes} --nproc_per_node=${nproc} --node_rank=`),
    variable('NODE_RANK'),
    text(' --master_addr='),
    variable('MASTER_ADDR'),
    text(` --master_port=${port}`),
  ];
}

/** The prefill/decode split of sglang-disagg: 1 proxy node + prefill + decode = nnodes. */
export function sglangDisaggSplit(nnodes: number, sections: readonly unknown[], modelName: string): { prefill: number; decode: number } {
  if (nnodes < 3) {
    throw new ConfigError(`model ${modelName}: launcher sglang-disagg needs at least 3 nodes (1 proxy, 1 prefill, 1 decode), got ${nnodes}`);
  }
  const split = sections.map((section) => (isPlainObject(section) ? section.sglang_disagg : undefined)).find(isPlainObject);
  const prefill = split?.prefill_nodes;
  const decode = split?.decode_nodes;
  if (prefill === undefined || decode === undefined) {
    const xP = Math.max(1, Math.floor(((nnodes - 1) * 2) / 5));
    return { prefill: xP, decode: nnodes - 1 - xP };
  }
  if (!Number.isInteger(prefill) || !Number.isInteger(decode) || (prefill as number) < 1 || (decode as number) < 1) {
    throw new ConfigError(
      `model ${modelName}: distributed.sglang_disagg needs at least 1 prefill and 1 decode node, got prefill_nodes ${JSON.stringify(prefill)}, decode_nodes ${JSON.stringify(decode)}`,
    );
  }
  if ((prefill as number) + (decode as number) + 1 !== nnodes) {
    throw new ConfigError(
      `model ${modelName}: distributed.sglang_disagg prefill_nodes ${String(prefill)} + decode_nodes ${String(decode)} + 1 proxy must equal the ${nnodes} nodes`,
    );
  }
  return { prefill: prefill as number, decode: decode as number };
}

/** madengine's BACKEND from a `primus_pretrain/<launcher>_...` model name. */
const PRIMUS_BACKENDS: Record<string, string> = {
  maxtext: 'MaxText',
  torchtitan: 'torchtitan',
  megatron: 'megatron',
  megatron_bridge: 'megatron_bridge',
  moe_package: 'moe_package',
};

function primusEnv(sections: readonly unknown[], modelName: string): Record<string, string> {
  // The context's settings win over the model's, key by key.
  const merged: Record<string, unknown> = {};
  for (const section of [...sections].reverse()) if (isPlainObject(section) && isPlainObject(section.primus)) Object.assign(merged, section.primus);
  const str = (value: unknown): string => (typeof value === 'string' ? value : '');
  const env: Record<string, string> = { PRIMUS_CONFIG_PATH: str(merged.config_path) || 'exp_pretrain.yaml' };
  if (str(merged.cli_extra).trim()) env.PRIMUS_CLI_EXTRA = str(merged.cli_extra);
  const fromName = /^primus_pretrain\/([^_]+)/.exec(modelName.trim())?.[1]?.toLowerCase();
  const backend = str(merged.backend).trim() || (fromName === undefined ? '' : (PRIMUS_BACKENDS[fromName] ?? ''));
  if (backend) env.BACKEND = backend;
  return env;
}

/** The launcher's static variables and runner (madengine's `_generate_<launcher>_command`, slurm.py). */
export function launcherEnv(input: LauncherEnvInput): LauncherEnv {
  const { launcher, nnodes, nprocPerNode: nproc, masterPort: port, modelName } = input;
  const sections = [input.distributed, input.modelDistributed];
  const result: LauncherEnv = { env: {}, nodeIps: false, rayGpuVisibility: false };
  const multi = nnodes > 1;
  switch (launcher) {
    case 'torchrun':
      result.runner = torchrun(nnodes, nproc, port);
      break;
    case 'deepspeed':
      if (multi) {
        result.hostfileSlots = nproc;
        result.runner = [
          text('deepspeed --hostfile=/tmp/deepspeed_hostfile_'),
          variable('SLURM_JOB_ID'),
          text('.txt --master_addr='),
          variable('MASTER_ADDR'),
          text(` --master_port=${port}`),
        ];
      } else {
        result.runner = [text(`deepspeed --num_gpus=${nproc}`)];
      }
      break;
    case 'torchtitan':
      result.env = multi
        ? {
            TORCHTITAN_TENSOR_PARALLEL_SIZE: String(nproc),
            TORCHTITAN_PIPELINE_PARALLEL_SIZE: String(nnodes),
            TORCHTITAN_FSDP_ENABLED: '1',
            TORCHTITAN_CONTEXT_PARALLEL_SIZE: '1',
          }
        : { TORCHTITAN_TENSOR_PARALLEL_SIZE: String(nproc), TORCHTITAN_PIPELINE_PARALLEL_SIZE: '1' };
      result.runner = torchrun(nnodes, nproc, port);
      break;
    case 'megatron':
    case 'megatron-lm':
      // madengine means these (its megatron generator) but never reaches them: megatron-lm has no branch and
      // megatron normalises to docker. Here both get them (see the compatibility document's differences).
      result.env = {
        TENSOR_MODEL_PARALLEL_SIZE: String(multi ? nproc : Math.min(nproc, 8)),
        PIPELINE_MODEL_PARALLEL_SIZE: String(nnodes),
        CONTEXT_PARALLEL_SIZE: '1',
      };
      result.runner = torchrun(nnodes, nproc, port);
      break;
    case 'vllm':
      // One vLLM server per node (tensor parallel within it); several nodes are data parallel, no shared Ray.
      result.env = { VLLM_TENSOR_PARALLEL_SIZE: String(nproc), VLLM_PIPELINE_PARALLEL_SIZE: '1', VLLM_DISTRIBUTED_BACKEND: multi ? 'none' : 'auto' };
      result.runner = [];
      result.rayGpuVisibility = true;
      break;
    case 'sglang':
      result.env = { SGLANG_TENSOR_PARALLEL_SIZE: String(nproc), SGLANG_PIPELINE_PARALLEL_SIZE: '1' };
      result.runner = [];
      result.rayGpuVisibility = true;
      break;
    case 'sglang-disagg': {
      const split = sglangDisaggSplit(nnodes, sections, modelName);
      result.env = {
        SGLANG_DISAGG_MODE: 'enabled',
        SGLANG_DISAGG_PREFILL_NODES: String(split.prefill),
        SGLANG_DISAGG_DECODE_NODES: String(split.decode),
        SGLANG_DISAGG_TOTAL_NODES: String(nnodes),
        SGLANG_TP_SIZE: String(nproc),
      };
      result.runner = [];
      result.nodeIps = true;
      break;
    }
    case 'primus':
      result.env = primusEnv(sections, modelName);
      result.runner = [];
      break;
    default:
      // docker, native, and slurm_multi (whose own script launches): madengine's one-node standalone runner,
      // or on several nodes its basic environment (NNODES, NPROC_PER_NODE, MASTER_PORT: every job exports
      // them), leaving the launch to the model's script.
      if (!multi) result.runner = torchrun(1, nproc, port);
  }
  return result;
}
