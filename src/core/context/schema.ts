/**
 * The one schema for madengine's additional context (compat §5.3, §3.3, §3.6, §3.10, §3.11,
 * §4.1, §4.2). Every documented key is typed here; the top level is loose because any other
 * key is a Dockerfile `# CONTEXT` filter (e.g. `ctx_test`). Known sections are strict objects
 * so a misspelt sub-key is an error instead of a silently ignored option.
 *
 * Every schema carries an `error` text saying what would be valid; validate.ts turns zod
 * issues into "<key.path>: got <value>, expected <that text>".
 */
import { z } from 'zod';
import { indexRangeProblem } from './ranges.ts';
import { pythonString } from '../util/pyliteral.ts';
import { ENV_NAME } from '../util/env-name.ts';
import { didYouMean } from '../util/suggest.ts';

// ---- building blocks ---------------------------------------------------------------------------

const text = (what = 'a string') => z.string({ error: what });
const nonEmptyText = (what: string) => z.string({ error: what }).min(1, { error: what });
const flag = (what = 'true or false') => z.boolean({ error: what });

/** string | number -> string (k8s quantities, SLURM times, script args). */
const stringish = (what: string) => z.union([z.string(), z.number()], { error: what }).transform((value) => String(value));

/** str/int/float/bool -> Python's str() of it, as madengine passes build args and env values. */
const scalar = (what = 'a string, number or boolean') =>
  z.union([z.string(), z.number(), z.boolean()], { error: what }).transform((value) => pythonString(value));

/** An integer written as a number or a numeric string (madengine calls int() on these). */
function integer(what: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return z.union([z.number(), z.string()], { error: what }).transform((value, ctx) => {
    const parsed = typeof value === 'number' ? value : /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (Number.isInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    ctx.issues.push({ code: 'custom', message: what, input: value });
    return z.NEVER;
  });
}

/** Case-insensitive enum with a canonical spelling on output; a near miss gets a "did you mean". */
function caseInsensitiveEnum<const T extends readonly [string, ...string[]]>(values: T, canonical: (value: string) => string) {
  const what = `one of ${values.join(', ')}`;
  return z
    .string({ error: what })
    .transform((value) => canonical(value.trim()))
    .pipe(z.enum(values, { error: (issue) => `${what}${typeof issue.input === 'string' ? didYouMean(issue.input, values) : ''}` }));
}

const nullableScalar = z
  .union([z.string(), z.number(), z.boolean(), z.null()], { error: 'a string, number, boolean or null' })
  .transform((value) => (value === null ? null : pythonString(value)));

const envName = z.string().regex(ENV_NAME, { error: 'a variable name (letters, digits and _, not starting with a digit)' });

/** {NAME: value} with values stringified like madengine does before `--env NAME=value`. */
const envVars = z.record(envName, scalar(), { error: 'an object of {"NAME": value}' });

const portNumber = integer('a port number (1-65535)', 1, 65_535);
/** GPU counts: -1 means "all GPUs" (compat §3.4). */
const gpuCount = integer('an integer GPU count (-1 = all GPUs)', -1);
const nodeCount = integer('a positive integer', 1);

/** Where madengine looks for a GPU count, first present wins (compat §3.4). */
export const GPU_COUNT_ALIASES = ['gpus_per_node', 'gpu_count', 'n_gpus', 'num_gpus', 'ngpus'] as const;
const gpuCountAliases = Object.fromEntries(GPU_COUNT_ALIASES.map((alias) => [alias, gpuCount.optional()])) as Record<
  (typeof GPU_COUNT_ALIASES)[number],
  z.ZodOptional<typeof gpuCount>
>;

/** "a,b" or ["a", "b"] -> "a,b" (SLURM host lists). */
const hostList = z.union([z.string(), z.array(z.string())], { error: 'a comma-separated string or a list of host names' }).transform((value) =>
  (Array.isArray(value) ? value : value.split(','))
    .map((host) => host.trim())
    .filter(Boolean)
    .join(','),
);

/** docker_gpus / docker_cpus: "" (unset, as madengine stores it) or an index list like "0,2-4,7". */
const indexList = (what: string) =>
  z
    .union([z.string(), z.number()], { error: `a string like "0,2-4,7" (${what} indices)` })
    .transform((value) => String(value))
    .check((ctx) => {
      if (ctx.value === '') return;
      const problem = indexRangeProblem(ctx.value);
      if (problem !== undefined) {
        ctx.issues.push({ code: 'custom', message: `a string like "0,2-4,7" (${problem})`, input: ctx.value });
      }
    });

// ---- launchers and deployment targets -----------------------------------------------------------

/** madengine's launchers (deployment/common.py VALID_LAUNCHERS) plus the names its tables use for "none". */
export const LAUNCHERS = [
  'torchrun',
  'torchtitan',
  'deepspeed',
  'megatron',
  'megatron-lm',
  'primus',
  'vllm',
  'sglang',
  'sglang-disagg',
  'slurm_multi',
  'docker',
  'native',
] as const;
export type Launcher = (typeof LAUNCHERS)[number];
const LAUNCHER_ALIASES: Record<string, Launcher> = { sglang_disagg: 'sglang-disagg', 'slurm-multi': 'slurm_multi' };

/** A launcher name in any case, aliases resolved (compat §4.0). */
export function canonicalLauncher(value: string): string {
  const lower = value.trim().toLowerCase();
  return LAUNCHER_ALIASES[lower] ?? lower;
}
const launcherName = caseInsensitiveEnum(LAUNCHERS, canonicalLauncher);

/** Whether `value` names a launcher (the design documents' `distributed.backend: "torchrun"`), not a communication backend. */
export function isLauncherName(value: unknown): value is string {
  return typeof value === 'string' && (LAUNCHERS as readonly string[]).includes(canonicalLauncher(value));
}

/** Communication backends `distributed.backend` names in madengine v2.1's meaning. */
export const COMMUNICATION_BACKENDS = ['nccl', 'gloo', 'rccl', 'mpi'] as const;
const COMMUNICATION_BACKENDS_TEXT = COMMUNICATION_BACKENDS.join(', ');

export const DEPLOY_TARGETS = ['local', 'slurm', 'k8s'] as const;
export type DeployTarget = (typeof DEPLOY_TARGETS)[number];
/** "docker" is madengine's in-job spelling of local; "kubernetes" its long form of k8s. */
const TARGET_ALIASES: Record<string, DeployTarget> = { docker: 'local', kubernetes: 'k8s' };
const deployTargetName = caseInsensitiveEnum(DEPLOY_TARGETS, (value) => {
  const lower = value.toLowerCase();
  return TARGET_ALIASES[lower] ?? lower;
});

/**
 * `deploy` is a target string (madengine's ConfigLoader reads it so); madengine's validator wants an
 * object, so `{ "target": "slurm" }` is accepted too and normalised to the string (difference 14).
 */
const deploy = z
  .union([deployTargetName, z.strictObject({ target: deployTargetName })], {
    error: `one of ${DEPLOY_TARGETS.join(', ')} (or {"target": "<one of them>"})`,
  })
  .transform((value): DeployTarget => (typeof value === 'string' ? value : value.target));

// ---- sections -----------------------------------------------------------------------------------

/** compat §4.1: every key madengine's SLURM deployment honours (mem/mail_* are documented there too). */
export const slurmSchema = z
  .strictObject(
    {
      partition: nonEmptyText('a partition name').optional(),
      nodes: nodeCount.optional(),
      ...gpuCountAliases,
      time: stringish('a time limit like "24:00:00"').optional(),
      // The design documents' spelling: seconds; normalised into `time` below.
      time_limit: integer('a positive whole number of seconds', 1).optional(),
      max_parallel: nodeCount.optional(),
      node: nonEmptyText('the path (or name on the PATH) of the Node.js binary on the compute nodes').optional(),
      ntasks_per_node: nodeCount.optional(),
      output_dir: text().optional(),
      exclusive: flag().optional(),
      nodelist: hostList.optional(),
      exclude: hostList.optional(),
      constraint: text().optional(),
      qos: text().optional(),
      account: text().optional(),
      reservation: text().optional(),
      modules: z.array(text('a module name'), { error: 'a list of module names' }).optional(),
      network_interface: text().optional(),
      shared_workspace: text().optional(),
      results_dir: text().optional(),
      enable_node_check: flag().optional(),
      auto_cleanup_nodes: flag().optional(),
      allow_submit_without_clean_nodes: flag().optional(),
      verbose_node_check: flag().optional(),
      mem: stringish('a memory size like "64G"').optional(),
      mail_user: text().optional(),
      mail_type: text().optional(),
    },
    { error: 'an object of SLURM settings' },
  )
  .transform((slurm, ctx) => {
    // time_limit (seconds) becomes `time`, so every reader sees one key; both given must agree.
    if (slurm.time_limit === undefined) return slurm;
    const { time_limit: seconds, ...rest } = slurm;
    if (rest.time !== undefined && slurmTimeSeconds(rest.time) !== seconds) {
      ctx.issues.push({
        code: 'custom',
        path: ['time_limit'],
        input: seconds,
        message: `the same limit as slurm.time ${JSON.stringify(rest.time)} (they are one setting: give only one of them)`,
      });
      return z.NEVER;
    }
    return { ...rest, time: rest.time ?? slurmTime(seconds) };
  });

/** Seconds -> SLURM's "[D-]HH:MM:SS" (a bare number would be minutes to sbatch). */
export function slurmTime(seconds: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const days = Math.floor(seconds / 86_400);
  const clock = `${pad(Math.floor((seconds % 86_400) / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
  return days > 0 ? `${days}-${clock}` : clock;
}

/**
 * A SLURM time limit in seconds: "MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS" (sbatch(1));
 * undefined for anything else (including SLURM's "UNLIMITED"), which then never equals a time_limit.
 */
export function slurmTimeSeconds(time: string): number | undefined {
  const match = /^\s*(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?\s*$/.exec(time);
  if (!match) return undefined;
  const [, day, a, b, c] = match;
  const n = (text: string | undefined) => (text === undefined ? 0 : Number(text));
  if (day !== undefined) return n(day) * 86_400 + n(a) * 3600 + n(b) * 60 + n(c); // D-HH[:MM[:SS]]
  if (c !== undefined) return n(a) * 3600 + n(b) * 60 + n(c); // HH:MM:SS
  return n(a) * 60 + n(b); // MM[:SS]
}

const toleration = z.strictObject(
  {
    key: text().optional(),
    operator: z.enum(['Exists', 'Equal'], { error: 'Exists or Equal' }).optional(),
    value: text().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], { error: 'NoSchedule, PreferNoSchedule or NoExecute' }).optional(),
    tolerationSeconds: integer('an integer number of seconds', 0).optional(),
  },
  { error: 'a toleration object {key, operator, value, effect}' },
);

const nullableText = (what = 'a string or null') => z.union([z.string(), z.null()], { error: what });

const K8S_GPU_VENDOR = 'AMD, NVIDIA or a GPU resource name like "amd.com/gpu"';

/** compat §4.2: every key madengine's Kubernetes deployment honours (service_account is documented too). */
export const k8sSchema = z.strictObject(
  {
    kubeconfig: nullableText('a kubeconfig path or null').optional(),
    namespace: nonEmptyText('a namespace name').optional(),
    service_account: text().optional(),
    gpu_resource_name: text().optional(),
    // The design documents: AMD / NVIDIA picks amd.com/gpu / nvidia.com/gpu; a resource name is used as is.
    gpu_vendor: z
      .string({ error: K8S_GPU_VENDOR })
      .trim()
      .refine((value) => /^(amd|nvidia)$/i.test(value) || /^[a-z0-9.-]+\/[A-Za-z0-9._-]+$/.test(value), { error: K8S_GPU_VENDOR })
      .optional(),
    ...gpuCountAliases,
    memory: stringish('a memory quantity like "128Gi"').optional(),
    memory_limit: stringish('a memory quantity like "256Gi"').optional(),
    cpu: stringish('a CPU quantity like "32"').optional(),
    cpu_limit: stringish('a CPU quantity like "64"').optional(),
    image_pull_policy: z.enum(['Always', 'IfNotPresent', 'Never'], { error: 'Always, IfNotPresent or Never' }).optional(),
    backoff_limit: integer('a non-negative integer', 0).optional(),
    ttl_seconds_after_finished: integer('a non-negative integer or null', 0).nullable().optional(),
    node_selector: z.record(z.string(), text('a string label value'), { error: 'an object of {"label": "value"}' }).optional(),
    tolerations: z.array(toleration, { error: 'a list of tolerations' }).optional(),
    allow_privileged_profiling: z.union([z.boolean(), z.null()], { error: 'true, false or null' }).optional(),
    data_pvc: nullableText().optional(),
    results_pvc: nullableText().optional(),
    storage_class: nullableText().optional(),
    nfs_storage_class: nullableText().optional(),
    data_storage_class: nullableText().optional(),
    multi_node_results_storage_class: nullableText().optional(),
    single_node_results_storage_class: nullableText().optional(),
    local_path_storage_class: nullableText().optional(),
    results_storage_size: stringish('a storage quantity like "10Gi"').optional(),
    data_storage_size: stringish('a storage quantity like "100Gi"').optional(),
    recreate_shared_data_pvc: flag().optional(),
    secrets: z
      .strictObject(
        {
          strategy: text().optional(),
          image_pull_secret_names: z.array(text('a secret name'), { error: 'a list of secret names' }).optional(),
          runtime_secret_name: nullableText().optional(),
        },
        { error: 'an object {strategy, image_pull_secret_names, runtime_secret_name}' },
      )
      .optional(),
    output_dir: text().optional(),
  },
  { error: 'an object of Kubernetes settings' },
);

/** compat §1.2/§4: how the model is launched inside its container(s). */
export const distributedSchema = z.strictObject(
  {
    launcher: launcherName.nullable().optional(),
    enabled: flag().optional(),
    nnodes: nodeCount.optional(),
    nproc_per_node: nodeCount.optional(),
    // A launcher name here is the launcher (the design documents); nccl, gloo, ... the communication backend.
    backend: nonEmptyText(`a communication backend (${COMMUNICATION_BACKENDS_TEXT}) or a launcher name`)
      .transform((value) => (isLauncherName(value) ? canonicalLauncher(value) : value))
      .optional(),
    port: portNumber.optional(),
    master_port: portNumber.optional(),
    nccl_socket_ifname: nonEmptyText('a network interface name like "ib0"').optional(),
    gloo_socket_ifname: nonEmptyText('a network interface name like "ib0"').optional(),
    sglang_disagg: z
      .strictObject({ prefill_nodes: nodeCount.optional(), decode_nodes: nodeCount.optional() }, { error: 'an object {prefill_nodes, decode_nodes}' })
      .optional(),
    // madengine only carries vllm_disagg through to the job; its keys are the model's business.
    vllm_disagg: z.record(z.string(), z.unknown(), { error: 'an object' }).optional(),
    primus: z
      .strictObject(
        { config_path: text().optional(), cli_extra: text().optional(), backend: text().optional() },
        { error: 'an object {config_path, cli_extra, backend}' },
      )
      .optional(),
  },
  { error: 'an object of distributed-launch settings' },
);

/** The K8s runtime `launcher` override (compat §4.2), or just a launcher name (the design documents). */
const launcherSchema = z.union(
  [
    launcherName,
    z.strictObject(
      {
        type: launcherName.optional(),
        nnodes: nodeCount.optional(),
        nproc_per_node: nodeCount.optional(),
        master_port: portNumber.optional(),
      },
      { error: 'an object {type, nnodes, nproc_per_node, master_port}' },
    ),
  ],
  { error: `a launcher name (one of ${LAUNCHERS.join(', ')}) or an object {type, nnodes, nproc_per_node, master_port}` },
);

/**
 * madengine v1's `multi_node_args` (its Context defaults): RUNNER names the launcher, the rest the
 * rendezvous. NNODES / MAD_RUNTIME_NGPUS size the launch; MASTER_ADDR, NODE_RANK and HOST_LIST are
 * accepted for old contexts but a deployment computes them per node.
 */
const multiNodeArgsSchema = z.strictObject(
  {
    RUNNER: launcherName.optional(),
    MASTER_PORT: portNumber.optional(),
    NCCL_SOCKET_IFNAME: text('a network interface name (or "")').optional(),
    GLOO_SOCKET_IFNAME: text('a network interface name (or "")').optional(),
    NNODES: nodeCount.optional(),
    MAD_RUNTIME_NGPUS: nodeCount.optional(),
    MASTER_ADDR: text('a host name or address').optional(),
    NODE_RANK: integer('a node rank (0 or more)', 0).optional(),
    HOST_LIST: text('a host list').optional(),
  },
  { error: 'an object {RUNNER, MASTER_PORT, NCCL_SOCKET_IFNAME, GLOO_SOCKET_IFNAME, ...} (madengine v1)' },
);

/** registry_auth: the login for --registry; kept out of every file (core/build/manifest-parts.ts). */
const registryAuthSchema = z.strictObject(
  {
    username: nonEmptyText('a non-empty user name'),
    password: nonEmptyText('a non-empty password or token'),
  },
  { error: 'an object {"username": "...", "password": "..."}' },
);

/**
 * vllm / sglang: engine settings. madengine carries them to the job without reading them; here each
 * setting is exported to the model as <PREFIX>_<KEY> (core/deploy/settings.ts), and `env_vars` verbatim.
 */
const launcherSection = (prefix: string) =>
  z.object({ env_vars: envVars.optional() }, { error: `an object of settings like {"tensor_parallel_size": 8} (exported as ${prefix}_<KEY>)` }).catchall(
    z.union([z.string(), z.number(), z.boolean(), z.null()], {
      error: `a string, number, boolean or null (each setting is exported as ${prefix}_<KEY>; variables go in env_vars)`,
    }),
  );
const vllmSection = launcherSection('VLLM');
const sglangSection = launcherSection('SGLANG');

const toolSchema = z.strictObject(
  { name: nonEmptyText('a tool name (see scripts/common/tools.json)'), cmd: text().optional(), env_vars: envVars.optional() },
  { error: 'a tool object like {"name": "rocprof"}' },
);

const scriptSchema = z.strictObject(
  { path: nonEmptyText('a script path'), args: stringish('a string of arguments').optional() },
  { error: 'a script object like {"path": "scripts/common/pre_scripts/pre_test.sh", "args": "1"}' },
);

/** data.json shape (compat §3.6): {dataname: {provider: {path, home, mirrorlocal, ...}}}. */
export const DATA_PROVIDERS = ['custom', 'local', 'minio', 'nas', 'aws'] as const;
const providerConfig = z.looseObject(
  {
    path: text().optional(),
    home: text().optional(),
    mirrorlocal: text().optional(),
    args: stringish('a string of arguments').optional(),
  },
  { error: 'an object of provider settings like {"path": "/data"}' },
);
const providerSections = Object.fromEntries(DATA_PROVIDERS.map((name) => [name, providerConfig.optional()])) as Record<
  (typeof DATA_PROVIDERS)[number],
  z.ZodOptional<typeof providerConfig>
>;
const dataSchema = z.record(
  z.string(),
  z.strictObject(providerSections, { error: `an object of {provider: settings} with providers ${DATA_PROVIDERS.join(', ')}` }),
  { error: 'an object of {"<dataname>": {"<provider>": {...}}}' },
);

/** Keys of build_manifest.json's deployment_config (compat §2.8); madengine writes it, we read it back. */
const deploymentConfigSchema = z.looseObject(
  {
    target: z.enum(['local', 'docker', 'slurm', 'k8s', 'kubernetes'], { error: 'one of local, docker, slurm, k8s, kubernetes' }).optional(),
    slurm: slurmSchema.optional(),
    k8s: k8sSchema.optional(),
    kubernetes: k8sSchema.optional(),
    distributed: distributedSchema.optional(),
    vllm: vllmSection.optional(),
    sglang: sglangSection.optional(),
    env_vars: envVars.optional(),
    debug: z.union([z.boolean(), z.null()], { error: 'true, false or null' }).optional(),
    launcher: launcherSchema.optional(),
    nnodes: nodeCount.optional(),
    nproc_per_node: nodeCount.optional(),
    multi_node_args: multiNodeArgsSchema.optional(),
    shared_data: text().optional(),
    shared_storage: text().optional(),
    ...gpuCountAliases,
  },
  { error: 'an object (build_manifest.json deployment_config)' },
);

// ---- the additional context ---------------------------------------------------------------------

export const GPU_VENDORS = ['AMD', 'NVIDIA'] as const;
export const GUEST_OSES = ['UBUNTU', 'CENTOS'] as const;
export const EXECUTORS = ['docker', 'host', 'auto'] as const;

export const additionalContextSchema = z.looseObject(
  {
    // Dockerfile selection (compat §2.1/§2.2); upper-cased because CONTEXT headers compare exactly.
    gpu_vendor: caseInsensitiveEnum(GPU_VENDORS, (value) => value.toUpperCase()).default('AMD'),
    guest_os: caseInsensitiveEnum(GUEST_OSES, (value) => value.toUpperCase()).default('UBUNTU'),
    ctx_test: stringish('a string').optional(),

    // docker build / docker run (compat §2.4, §3.3)
    docker_build_arg: z
      .record(z.string(), scalar('a string, number or boolean (Docker build-arg values)'), { error: 'an object of {"ARG": value}' })
      .optional(),
    // null is madengine's "detect it" for ROCM_PATH (compat §3.3).
    docker_env_vars: z.record(envName, nullableScalar, { error: 'an object of {"NAME": value}' }).optional(),
    docker_mounts: z
      .record(z.string().regex(/^\//, { error: 'an absolute container path' }), nonEmptyText('a host path'), {
        error: 'an object of {"<container path>": "<host path>"}',
      })
      .optional(),
    docker_gpus: indexList('GPU').nullable().optional(),
    docker_cpus: indexList('CPU').nullable().optional(),
    gpu_renderDs: z.array(integer('a render node number', 0), { error: 'a list of render node numbers' }).nullable().optional(),
    MAD_CONTAINER_IMAGE: nonEmptyText('an image reference like "rocm/pytorch:latest"').optional(),
    MAD_ROCM_PATH: nullableText('a host ROCm path or null').optional(),
    executor: caseInsensitiveEnum(EXECUTORS, (value) => value.toLowerCase()).optional(),

    // what runs in the container (compat §3.3, §3.10, §3.11)
    tools: z.array(toolSchema, { error: 'a list of tools like [{"name": "rocprof"}]' }).optional(),
    pre_scripts: z.array(scriptSchema, { error: 'a list of scripts like [{"path": "...", "args": "..."}]' }).optional(),
    post_scripts: z.array(scriptSchema, { error: 'a list of scripts like [{"path": "...", "args": "..."}]' }).optional(),
    encapsulate_script: text().optional(),
    model_args: stringish('a string of model arguments').optional(),
    data: dataSchema.optional(),
    timeout: z.union([z.number(), z.null()], { error: 'a number of seconds or null' }).optional(),
    debug: z.union([z.boolean(), z.null()], { error: 'true, false or null' }).optional(),
    live_output: flag().optional(),
    gen_sys_env_details: flag().optional(),
    generate_sys_env_details: flag().optional(),
    rocenv_mode: caseInsensitiveEnum(['lite', 'full'], (value) => value.toLowerCase()).optional(),
    skip_perf_collection: flag().optional(),
    // every model's timeout is multiplied by it (core/run/timeout.ts)
    timeout_multiplier: z.number({ error: 'a positive number' }).positive({ error: 'a positive number' }).finite({ error: 'a positive number' }).optional(),

    // run status (compat §3.8)
    log_error_pattern_scan: z.union([z.boolean(), z.string(), z.number(), z.null()], { error: 'a boolean, string, number or null' }).optional(),
    log_error_benign_patterns: z.array(text(), { error: 'a list of strings' }).optional(),
    log_error_patterns: z.array(text(), { error: 'a non-empty list of strings' }).min(1, { error: 'a non-empty list of strings' }).optional(),

    // credentials for --registry (never stored: core/build/manifest-parts.ts)
    registry_auth: registryAuthSchema.optional(),

    // GPU count overrides (compat §3.4)
    ...gpuCountAliases,

    // deployment (compat §4)
    deploy: deploy.optional(),
    slurm: slurmSchema.optional(),
    k8s: k8sSchema.optional(),
    kubernetes: k8sSchema.optional(),
    distributed: distributedSchema.optional(),
    launcher: launcherSchema.optional(),
    // the design documents' spellings of the distributed launch (core/deploy/settings.ts resolves them)
    nnodes: nodeCount.optional(),
    nproc_per_node: nodeCount.optional(),
    multi_node_args: multiNodeArgsSchema.optional(),
    vllm: vllmSection.optional(),
    sglang: sglangSection.optional(),
    env_vars: envVars.optional(),
    shared_data: text().optional(),
    shared_storage: text().optional(),
    dry_run: flag().optional(),
    monitor: flag().optional(),
    cleanup_on_failure: flag().optional(),
    deployment_config: deploymentConfigSchema.optional(),

    // detected host facts madengine keeps in the context (compat §3.2); accepted when supplied
    host_os: text().optional(),
    numa_balancing: stringish('a string').optional(),
    gpu_architecture: text().optional(),
  },
  { error: 'an object' },
);

/**
 * Context keys build_manifest.json's deployment_config carries when given (compat §2.8): madengine's
 * sections, then the design documents' launch keys. env_vars, debug and the target are added to them.
 */
export const DEPLOYMENT_KEYS = [
  'slurm',
  'k8s',
  'kubernetes',
  'distributed',
  'vllm',
  'sglang',
  'launcher',
  'nnodes',
  'nproc_per_node',
  'multi_node_args',
  'shared_data',
  'shared_storage',
] as const;

/** A validated additional context; unknown top-level keys (Dockerfile filters) survive as `unknown`. */
export type AdditionalContext = z.output<typeof additionalContextSchema>;

/** Every top-level key the schema knows (for "did you mean" on unknown keys). */
export const KNOWN_CONTEXT_KEYS: readonly string[] = Object.keys(additionalContextSchema.shape);
