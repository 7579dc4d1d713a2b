/**
 * The SLURM plan of a run (compat §4.1): which jobs are submitted, their
 * rendered scripts, one node manifest per model, and where every file goes. Pure: nothing is written
 * or submitted here (the pipeline does that, or prints the scripts for a dry run).
 *
 *   - models on one node with one task (the common case) -> ONE job array, task i runs model i
 *     (`--array=0-(n-1)[%max_parallel]`); models asking for different GPU counts get one array each,
 *     since every task of an array has the same resources;
 *   - a model on several nodes or tasks -> its own job: srun runs the rank script once per task;
 *   - a slurm_multi model (or one whose run script is a .slurm file) -> its own wrapper job that runs
 *     that script the way madengine does.
 *
 * Files, under <output_dir>/<runId>/: madengine.mjs (the CLI bundle), jobs/<key>.sh (+ <key>.task.sh),
 * manifests/<i>-<slug>.json (mode 0600), logs/; results under <results>/<slug>/node_<rank>/.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ConfigError } from '../../errors.ts';
import type { AdditionalContext, Launcher } from '../../context/schema.ts';
import type { BuildManifest } from '../../manifest/manifest.ts';
import type { PerfRow } from '../../perf/perf-csv.ts';
import { isSecretName } from '../../secrets/selection.ts';
import { isPlainObject } from '../../util/object.ts';
import { splitShellWords } from '../../util/shell-words.ts';
import { resolveModelCommand } from '../../run/script.ts';
import { launcherEnv, type CommandPart } from '../launcher-env.ts';
import type { LaunchSettings, PlannedJob } from '../types.ts';
import { runComment } from './client.ts';
import { renderSlurmTemplate } from './render.ts';
import { checkSbatchValue, slurmSettings, type SlurmSection, type SlurmSettings } from './settings.ts';
import { nodeManifest } from './node-manifest.ts';

export interface SlurmPlanInput {
  manifest: BuildManifest;
  /** The effective context (runtime over the manifest's). */
  context: AdditionalContext;
  /** Each model's launch settings, by manifest key (core/deploy/settings.ts launchSettings). */
  launch: Readonly<Record<string, LaunchSettings>>;
  runId: string;
  /** The hub, absolute: what each task copies (unless slurm.shared_workspace names another copy). */
  hubDir: string;
  /** Absolute; the run's files go to <outputDir>/<runId>/ (slurmDirectories gives the defaults). */
  outputDir: string;
  /** Absolute slurm.results_dir; results then go to <resultsDir>/<runId>/ instead of <outputDir>/<runId>/results. */
  resultsDir?: string;
  /** The CLI's --timeout, passed to every node's run. */
  timeout: number;
  liveOutput: boolean;
  /** --repeat / --warmup, passed on when set. */
  repeat?: number;
  warmup?: number;
}

/** The #SBATCH lines of one job. */
export interface SbatchHeader {
  jobName: string;
  comment: string;
  output: string;
  error: string;
  array?: string;
  partition?: string;
  nodes: number;
  ntasksPerNode: number;
  gpusPerNode?: number;
  time?: string;
  exclusive: boolean;
  /** Further `--option=value` lines; `key` names the setting in errors. */
  options: { option: string; value: string; key: string }[];
}

/** One model as the scripts see it. */
export interface ScriptModel {
  task: number;
  name: string;
  manifest: string;
  results: string;
  launcher: Launcher;
  nnodes: number;
  nprocPerNode: number;
  gpusPerNode: number;
  /** GPUs requested per node (0: none): the visible-devices list. */
  gpuRequest: number;
  gpuVisibility: 'ray' | 'all';
  hostfileSlots: number;
  nodeIps: 0 | 1;
  masterPort: number;
  env: { name: string; value: string }[];
  runner?: CommandPart[];
}

export type SlurmJobKind = 'array' | 'multi-task' | 'slurm_multi';

export interface SlurmPlannedJob extends PlannedJob {
  kind: SlurmJobKind;
  /** SLURM's log of the batch script: a pattern with %A/%a (array) or %j. */
  output: string;
  error: string;
  /** Multi-task jobs: each rank's log (%j_%t). */
  rankOutput?: string;
  rankError?: string;
}

/** A model of the plan: where it runs and where its results land. */
export interface SlurmPlannedModel {
  /** Manifest key (image name). */
  key: string;
  name: string;
  slug: string;
  /** Position in the manifest (node manifest prefix). */
  index: number;
  /** The job's key, and the array task index for array jobs. */
  job: string;
  task?: number;
  nodes: number;
  tasksPerNode: number;
  /** Ranks: nodes x tasks per node (1 for slurm_multi, whose own script spreads over the nodes). */
  ranks: number;
  gpusPerNode?: number;
  launcher: Launcher;
  /** <results>/<slug>: the ranks write node_<rank>/ below it. */
  resultsDir: string;
  manifestPath: string;
  /** The columns a FAILURE row of this model carries when no rank wrote one (from the manifest entry). */
  rowDefaults: PerfRow;
}

export interface SlurmPlan {
  runId: string;
  jobDir: string;
  /** Where the pipeline copies dist/cli/madengine.mjs. */
  bundlePath: string;
  resultsDir: string;
  settings: SlurmSettings;
  jobs: SlurmPlannedJob[];
  models: SlurmPlannedModel[];
  /** Written with mode 0600 (they hold the context). */
  nodeManifests: { path: string; json: string }[];
  /** Other files the jobs need (rank scripts). */
  files: { path: string; content: string }[];
  /** Directories to create before submission. */
  directories: string[];
  /** Things the user should hear about (e.g. secret env_vars left out of the files). */
  warnings: string[];
}

/** output_dir default: `slurm_results` beside the output perf.csv; relative settings are relative to `cwd`. */
export function slurmDirectories(
  settings: Pick<SlurmSettings, 'outputDir' | 'resultsDir'>,
  perfCsv: string,
  cwd: string,
): { outputDir: string; resultsDir?: string } {
  const outputDir = settings.outputDir ? path.resolve(cwd, settings.outputDir) : path.join(path.dirname(path.resolve(cwd, perfCsv)), 'slurm_results');
  return settings.resultsDir ? { outputDir, resultsDir: path.resolve(cwd, settings.resultsDir) } : { outputDir };
}

/** The `slurm` section the run uses and its name in errors. */
export function slurmSectionOf(context: AdditionalContext, manifest?: BuildManifest): { section: SlurmSection | undefined; where: string } {
  if (context.slurm !== undefined) return { section: context.slurm as SlurmSection, where: 'slurm' };
  if (context.deployment_config?.slurm !== undefined) return { section: context.deployment_config.slurm as SlurmSection, where: 'deployment_config.slurm' };
  const stored = manifest?.deployment_config?.slurm;
  return { section: isPlainObject(stored) ? (stored as SlurmSection) : undefined, where: 'build manifest deployment_config.slurm' };
}

/** A file-safe, unique-per-key name for a model: its name in [a-z0-9._-] plus 8 hex digits of the key's hash. */
export function modelSlug(name: string, key: string): string {
  const safe =
    name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, 48)
      .replace(/[-.]+$/, '') || 'model';
  return `${safe}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

/** SLURM expands %x in file names; a literal % is %%. */
const literalPattern = (text: string): string => text.replaceAll('%', '%%');

/** The job scripts' own variables (templates/slurm/*.njk): an env_vars entry of the same name would replace them. */
const SCRIPT_VARIABLES: ReadonlySet<string> = new Set([
  'GPU_LIST',
  'GPU_REQUEST',
  'GPU_VISIBILITY',
  'HOSTFILE',
  'HOSTFILE_SLOTS',
  'HOSTS',
  'HUB',
  'JOB_DIR',
  'MODEL_NAME',
  'MODEL_RESULTS',
  'NODE',
  'NODE_DIR',
  'NODE_MAJOR',
  'NODE_MANIFEST',
  'RANK_ID',
  'RC',
  'RUN_ID',
  'RUNNER',
  'START_MARK',
  'WANT_NODE_IPS',
  'WORKSPACE',
  'PERF_BEFORE',
]);

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

interface ModelFacts {
  key: string;
  model: Record<string, unknown> & { name: string };
  launch: LaunchSettings;
  slug: string;
  index: number;
  kind: SlurmJobKind;
  nodes: number;
  tasksPerNode: number;
  gpuRequest: number;
  nproc: number;
}

const positiveCount = (value: unknown): number | undefined => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

function modelFacts(input: SlurmPlanInput, settings: SlurmSettings): ModelFacts[] {
  const facts: ModelFacts[] = [];
  const slugs = new Set<string>();
  Object.keys(input.manifest.built_images).forEach((key, index) => {
    const model = input.manifest.built_models[key] as (Record<string, unknown> & { name: string }) | undefined;
    if (model === undefined) throw new ConfigError(`build manifest: built_images entry '${key}' has no built_models entry`);
    const launch = input.launch[key];
    if (launch === undefined) throw new Error(`planSlurmJobs: no launch settings for manifest key '${key}'`);
    let slug = modelSlug(model.name, key);
    for (let n = 2; slugs.has(slug); n++) slug = `${modelSlug(model.name, key)}-${n}`;
    slugs.add(slug);
    const script = typeof model.scripts === 'string' ? model.scripts : '';
    const selfManaged = launch.launcher === 'slurm_multi' || script.trim().endsWith('.slurm');
    const tasksPerNode = selfManaged ? 1 : settings.ntasksPerNode;
    const kind: SlurmJobKind = selfManaged ? 'slurm_multi' : launch.nnodes > 1 || tasksPerNode > 1 ? 'multi-task' : 'array';
    // GPUs per node: slurm.gpus_per_node (-1 or 0: none), else the launch's processes per node, else the model's n_gpus.
    const explicit = settings.gpusPerNode;
    const gpuRequest = explicit !== undefined ? Math.max(explicit, 0) : (launch.nprocPerNode ?? positiveCount(model.n_gpus) ?? 0);
    const nproc = launch.nprocPerNode ?? (gpuRequest > 0 ? gpuRequest : 1);
    facts.push({ key, model, launch, slug, index, kind, nodes: launch.nnodes, tasksPerNode, gpuRequest, nproc });
  });
  return facts;
}

/** Plans every model of the manifest. Throws ConfigError for settings that cannot be submitted. */
export function planSlurmJobs(input: SlurmPlanInput): SlurmPlan {
  const { runId } = input;
  if (!RUN_ID.test(runId)) throw new ConfigError(`run id ${JSON.stringify(runId)}: expected letters, digits, '.', '_' and '-' only`);
  for (const [what, dir] of [
    ['hub directory', input.hubDir],
    ['SLURM output directory', input.outputDir],
    ['SLURM results directory', input.resultsDir],
  ] as const) {
    if (dir !== undefined && !path.isAbsolute(dir)) throw new ConfigError(`${what} ${JSON.stringify(dir)}: expected an absolute path`);
  }
  const { section, where } = slurmSectionOf(input.context, input.manifest);
  const settings = slurmSettings(section, where);
  const jobDir = path.join(input.outputDir, runId);
  const resultsDir = input.resultsDir ? path.join(input.resultsDir, runId) : path.join(jobDir, 'results');
  const logsDir = path.join(jobDir, 'logs');
  const plan: SlurmPlan = {
    runId,
    jobDir,
    bundlePath: path.join(jobDir, 'madengine.mjs'),
    resultsDir,
    settings,
    jobs: [],
    models: [],
    nodeManifests: [],
    files: [],
    directories: [jobDir, path.join(jobDir, 'jobs'), path.join(jobDir, 'manifests'), logsDir, resultsDir],
    warnings: [],
  };
  const run = {
    jobDir,
    hub: settings.sharedWorkspace ?? input.hubDir,
    node: settings.node,
    runId,
    timeout: input.timeout,
    liveOutput: input.liveOutput,
    modules: settings.modules,
    extraArgs: [
      ...(input.repeat !== undefined && input.repeat !== 1 ? ['--repeat', String(input.repeat)] : []),
      ...(input.warmup !== undefined && input.warmup !== 0 ? ['--warmup', String(input.warmup)] : []),
    ],
  };
  const facts = modelFacts(input, settings);
  const scriptModels = new Map<string, ScriptModel>();

  for (const fact of facts) {
    const manifestPath = path.join(jobDir, 'manifests', `${fact.index}-${fact.slug}.json`);
    const modelResults = path.join(resultsDir, fact.slug);
    const { scriptModel, env } = describeModel(fact, input, settings, manifestPath, modelResults, plan.warnings);
    scriptModels.set(fact.key, scriptModel);
    const node = nodeManifest({
      manifest: input.manifest,
      key: fact.key,
      context: input.context,
      env,
      ...(settings.gpusPerNode !== undefined ? { gpusPerNode: settings.gpusPerNode } : {}),
    });
    plan.nodeManifests.push({ path: manifestPath, json: JSON.stringify(node, null, 2) + '\n' });
    plan.models.push({
      key: fact.key,
      name: fact.model.name,
      slug: fact.slug,
      index: fact.index,
      job: '',
      nodes: fact.nodes,
      tasksPerNode: fact.tasksPerNode,
      ranks: fact.kind === 'slurm_multi' ? 1 : fact.nodes * fact.tasksPerNode,
      ...(fact.gpuRequest > 0 ? { gpusPerNode: fact.gpuRequest } : {}),
      launcher: fact.launch.launcher,
      resultsDir: modelResults,
      manifestPath,
      rowDefaults: rowDefaults(fact, input.manifest),
    });
  }

  const header = (key: string, nodes: number, tasksPerNode: number, gpuRequest: number, output: string, error: string, array?: string): SbatchHeader => ({
    jobName: `madengine-${runId.slice(0, 8)}-${key}`,
    comment: runComment(runId),
    output,
    error,
    ...(array !== undefined ? { array } : {}),
    ...(settings.partition !== undefined ? { partition: settings.partition } : {}),
    nodes,
    ntasksPerNode: tasksPerNode,
    ...(gpuRequest > 0 ? { gpusPerNode: gpuRequest } : {}),
    ...(settings.time !== undefined ? { time: settings.time } : {}),
    exclusive: settings.exclusive,
    options: sbatchOptions(settings, where),
  });
  const logPattern = (name: string): string => path.join(literalPattern(logsDir), name);
  const plannedModel = (key: string): SlurmPlannedModel => plan.models.find((m) => m.key === key)!;

  // One array per GPU request, in the order the models come.
  const arrays = new Map<number, ModelFacts[]>();
  for (const fact of facts) if (fact.kind === 'array') arrays.set(fact.gpuRequest, [...(arrays.get(fact.gpuRequest) ?? []), fact]);
  for (const [gpus, members] of arrays) {
    const key = arrays.size === 1 ? 'array' : `array-${gpus}gpu`;
    const models = members.map((fact, task) => {
      Object.assign(plannedModel(fact.key), { job: key, task });
      return { ...scriptModels.get(fact.key)!, task };
    });
    const last = models.length - 1;
    const array = `0-${last}${settings.maxParallel !== undefined && settings.maxParallel < models.length ? `%${settings.maxParallel}` : ''}`;
    const output = logPattern(`${key}_%A_%a.out`);
    const error = logPattern(`${key}_%A_%a.err`);
    const job = { header: header(key, 1, 1, gpus, output, error, array), models };
    plan.jobs.push(plannedJob(plan, key, 'array', members, 1, renderSlurmTemplate('array.sh.njk', { job, run }), output, error));
  }

  for (const fact of facts) {
    if (fact.kind === 'array') continue;
    const key = fact.slug;
    plannedModel(fact.key).job = key;
    const model = scriptModels.get(fact.key)!;
    if (fact.kind === 'multi-task') {
      const output = logPattern(`${key}_%j.out`);
      const error = logPattern(`${key}_%j.err`);
      const rankOutput = logPattern(`${key}_%j_%t.out`);
      const rankError = logPattern(`${key}_%j_%t.err`);
      const taskScript = path.join(jobDir, 'jobs', `${key}.task.sh`);
      const job = { header: header(key, fact.nodes, fact.tasksPerNode, fact.gpuRequest, output, error), models: [model], rankOutput, rankError, taskScript };
      plan.files.push({ path: taskScript, content: renderSlurmTemplate('task.sh.njk', { job, run }) });
      const planned = plannedJob(plan, key, 'multi-task', [fact], fact.nodes, renderSlurmTemplate('job.sh.njk', { job, run }), output, error);
      plan.jobs.push({ ...planned, rankOutput, rankError });
    } else {
      const output = logPattern(`${key}_%j.out`);
      const error = logPattern(`${key}_%j.err`);
      const image = model.env.find((e) => e.name === 'DOCKER_IMAGE_NAME')?.value;
      const job = { header: header(key, fact.nodes, 1, fact.gpuRequest, output, error), models: [model], ...slurmMultiScript(fact, image) };
      plan.jobs.push(plannedJob(plan, key, 'slurm_multi', [fact], fact.nodes, renderSlurmTemplate('multi.sh.njk', { job, run }), output, error));
    }
  }
  return plan;
}

function rowDefaults(fact: ModelFacts, manifest: BuildManifest): PerfRow {
  const built = manifest.built_images[fact.key];
  const { model } = fact;
  return {
    model: model.name,
    training_precision: String(model.training_precision ?? ''),
    args: String(model.args ?? ''),
    tags: Array.isArray(model.tags) ? model.tags.join(',') : String(model.tags ?? ''),
    docker_file: built?.dockerfile ?? '',
    base_docker: built?.base_docker ?? '',
    docker_sha: built?.docker_sha ?? '',
    docker_image: built?.docker_image ?? '',
    build_duration: built ? String(built.build_duration) : '',
    image_digest: built?.registry_digest ?? '',
  };
}

function plannedJob(
  plan: SlurmPlan,
  key: string,
  kind: SlurmJobKind,
  members: ModelFacts[],
  nnodes: number,
  script: string,
  output: string,
  error: string,
): SlurmPlannedJob {
  return {
    key,
    kind,
    name: `madengine-${plan.runId.slice(0, 8)}-${key}`,
    models: members.map((fact) => fact.model.name),
    nnodes,
    script,
    scriptPath: path.join(plan.jobDir, 'jobs', `${key}.sh`),
    output,
    error,
  };
}

/** The optional #SBATCH lines (madengine's template has the first four; the rest are honoured here too). */
function sbatchOptions(settings: SlurmSettings, where: string): SbatchHeader['options'] {
  const options: SbatchHeader['options'] = [];
  const add = (option: string, value: string | undefined, key: string): void => {
    if (value !== undefined) options.push({ option, value, key: `${where}.${key}` });
  };
  add('nodelist', settings.nodelist, 'nodelist');
  add('exclude', settings.exclude, 'exclude');
  add('constraint', settings.constraint, 'constraint');
  add('qos', settings.qos, 'qos');
  add('account', settings.account, 'account');
  add('reservation', settings.reservation, 'reservation');
  add('mem', settings.mem, 'mem');
  add('mail-user', settings.mailUser, 'mail_user');
  add('mail-type', settings.mailType, 'mail_type');
  for (const option of options) checkSbatchValue(option.value, option.key);
  return options;
}

/**
 * A model's script settings and the static variables it gets (exported by its job and written to its
 * node manifest): the launcher's, then the context's env_vars and vllm/sglang settings (launch.env wins:
 * what the user wrote beats a computed default), then the interfaces and backend.
 */
function describeModel(
  fact: ModelFacts,
  input: SlurmPlanInput,
  settings: SlurmSettings,
  manifestPath: string,
  results: string,
  warnings: string[],
): { scriptModel: ScriptModel; env: Record<string, string> } {
  const { launch, model } = fact;
  const ranks = fact.nodes * fact.tasksPerNode;
  const launcher = launcherEnv({
    launcher: launch.launcher,
    nnodes: ranks,
    nprocPerNode: fact.nproc,
    masterPort: launch.masterPort,
    modelName: model.name,
    distributed: input.context.distributed,
    modelDistributed: model.distributed,
  });
  const env: Record<string, string> = { ...launcher.env };
  if (fact.kind === 'slurm_multi') Object.assign(env, slurmMultiEnv(fact, input));
  const clash = Object.keys(launch.env).filter((name) => SCRIPT_VARIABLES.has(name));
  if (clash.length)
    throw new ConfigError(
      `env_vars: ${clash.join(', ')} ${clash.length === 1 ? 'is a variable' : 'are variables'} of the SLURM job script itself (it would change which hub, manifest or results the job uses): rename ${clash.length === 1 ? 'it' : 'them'}`,
    );
  Object.assign(env, launch.env);
  const nccl = launch.ncclSocketIfname ?? settings.networkInterface;
  const gloo = launch.glooSocketIfname ?? nccl;
  if (nccl !== undefined) env.NCCL_SOCKET_IFNAME = nccl;
  if (gloo !== undefined) env.GLOO_SOCKET_IFNAME = gloo;
  if (launch.communicationBackend !== undefined) env.DISTRIBUTED_BACKEND = launch.communicationBackend;
  // Host-specific; each rank gets its own (compat §4.1: madengine comments it out of env_vars).
  delete env.MIOPEN_USER_DB_PATH;
  for (const name of Object.keys(env)) {
    if (!isSecretName(name)) continue;
    delete env[name];
    warnings.push(`model ${model.name}: ${name} is left out of the SLURM job files; the jobs get MAD_SECRETS* from the submitting environment`);
  }
  const scriptModel: ScriptModel = {
    task: 0,
    name: model.name,
    manifest: manifestPath,
    results,
    launcher: launch.launcher,
    nnodes: fact.kind === 'slurm_multi' ? fact.nodes : ranks,
    nprocPerNode: fact.nproc,
    gpusPerNode: fact.gpuRequest > 0 ? fact.gpuRequest : fact.nproc,
    gpuRequest: fact.gpuRequest,
    gpuVisibility: launcher.rayGpuVisibility ? 'ray' : 'all',
    hostfileSlots: launcher.hostfileSlots ?? 0,
    nodeIps: launcher.nodeIps ? 1 : 0,
    masterPort: launch.masterPort,
    env: Object.entries(env).map(([name, value]) => ({ name, value })),
    ...(launcher.runner !== undefined ? { runner: launcher.runner } : {}),
  };
  return { scriptModel, env };
}

/**
 * What madengine's slurm_multi wrapper exports besides env_vars (compat §4.1 "slurm_multi"): the model's
 * own env_vars, xP/yD from sglang_disagg, and DOCKER_IMAGE_NAME (the built image when madengine built it,
 * else the model's docker_image/image).
 */
function slurmMultiEnv(fact: ModelFacts, input: SlurmPlanInput): Record<string, string> {
  const { model, key } = fact;
  const env: Record<string, string> = {};
  if (isPlainObject(model.env_vars)) {
    for (const [name, value] of Object.entries(model.env_vars)) if (value !== undefined && value !== null) env[name] = String(value);
  }
  const sections = [isPlainObject(model.distributed) ? model.distributed : undefined, input.context.distributed];
  const split = sections.map((section) => section?.sglang_disagg).find(isPlainObject);
  if (split) {
    env.xP ??= String(split.prefill_nodes ?? 1);
    env.yD ??= String(split.decode_nodes ?? 1);
  }
  const built = input.manifest.built_images[key];
  const registryImage = typeof built?.registry_image === 'string' && built.registry_image ? built.registry_image : undefined;
  const image = key.startsWith('ci-')
    ? (registryImage ?? key)
    : typeof model.docker_image === 'string'
      ? model.docker_image
      : typeof model.image === 'string'
        ? model.image
        : undefined;
  if (image !== undefined) env.DOCKER_IMAGE_NAME = image;
  return env;
}

/** The model's .slurm script: its directory in the hub, its file and its arguments as words. */
function slurmMultiScript(fact: ModelFacts, image: string | undefined): { scriptDir: string; scriptFile: string; args: string[]; pullImage: boolean } {
  const script = typeof fact.model.scripts === 'string' ? fact.model.scripts : '';
  const command = resolveModelCommand(script);
  const args = splitShellWords(String(fact.model.args ?? ''), `model ${fact.model.name}: args`);
  // madengine pulls registry images on every node first (not images it built locally: ci-*).
  const pullImage = image !== undefined && !image.startsWith('ci-') && (image.includes('/') || image.includes('.'));
  return { scriptDir: command.sourceDir, scriptFile: `./${command.entry}`, args, pullImage };
}
