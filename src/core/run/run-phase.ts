/**
 * The run phase: every model of a manifest, in manifest order, through one executor; each
 * result becomes perf.csv row(s) the moment the model finishes. A failure, timeout or
 * cancellation is a FAILURE row with its reason, never a missing line.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { ExitCode, errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { SystemInfo } from '../gpu/types.ts';
import { resolveGpuCount, selectGpus } from '../gpu/gpu-count.ts';
import { parseIndexRanges } from '../context/ranges.ts';
import { skipArchName } from '../gpu/env.ts';
import { hostRunLogName, runLogName } from '../images/naming.ts';
import { credentialBuildArgs, redact, registryAuthFor, registryLogin, secretValues, type Credentials } from '../registry/credentials.ts';
import { parseImageReference } from '../registry/reference.ts';
import { dockerConfigLogin } from '../registry/docker-config.ts';
import type { BuildManifest, BuiltImage } from '../manifest/manifest.ts';
import { appendPerfRows, type PerfRow } from '../perf/perf-csv.ts';
import { scanLogFile } from '../perf/log-scan.ts';
import { resolveLogScanConfig } from '../perf/error-scan.ts';
import { collectMetricsFromEnv, decideStatus } from '../perf/status.ts';
import { checkMultipleResults, readMultipleResults } from '../perf/multiple.ts';
import type { Executor, ModelRunOutcome, ModelRunSpec } from './executor.ts';
import { contextMounts, launcherOf, modelEnvironment, scriptPlan } from './model-env.ts';
import { prepareData, type DataConfig } from './data.ts';
import { resolveRunTimeout } from './timeout.ts';

export interface RunPhaseOptions {
  manifest: BuildManifest;
  hubDir: string;
  /** The effective context: manifest context with runtime context merged over it, validated. */
  context: Record<string, unknown>;
  executor: Executor;
  system: SystemInfo;
  credentials: Credentials;
  /** perf.csv path. */
  output: string;
  /** Resolved CLI timeout (cliTimeout()). */
  timeout: number | null;
  keepAlive?: boolean;
  keepModelDir?: boolean;
  skipModelRun?: boolean;
  /** Receives model output as it arrives (secrets already masked): --live-output. */
  onModelOutput?: (text: string) => void;
  disableSkipGpuArch?: boolean;
  dataConfig?: DataConfig;
  logger: Logger;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Fixed run id (the actions save it so their post step can find this run's containers). */
  runId?: string;
  /** Rows for models whose build failed, so they are visible in perf.csv too. */
  failedBuilds?: { model: string; error: string; dockerfile?: string }[];
}

export interface ModelResult {
  model: string;
  image: string;
  status: 'SUCCESS' | 'FAILURE' | 'SKIPPED';
  reason: string;
  performance: string;
  metric: string;
  durationSeconds: number;
  rows: PerfRow[];
}

export interface RunPhaseResult {
  runId: string;
  results: ModelResult[];
  exitCode: ExitCode;
  cancelled: boolean;
}

export async function runPhase(options: RunPhaseOptions): Promise<RunPhaseResult> {
  const { manifest, logger, system } = options;
  const env = options.env ?? process.env;
  const runId = options.runId ?? newRunId(env);
  const secrets = secretValues(options.credentials);
  const results: ModelResult[] = [];
  const dataCounter = { next: 0 };
  const toolDefinitions = await loadToolDefinitions(options.hubDir, options.context);
  const common = {
    runId,
    machine: hostname(),
    executor: options.executor.kind,
    pipeline: env.pipeline ?? '',
    buildNumber: env.BUILD_NUMBER ?? '0',
    env,
  };

  for (const failed of options.failedBuilds ?? []) {
    const row = baseRow(common, { name: failed.model }, undefined, system, options.context);
    Object.assign(row, { docker_file: failed.dockerfile ?? '', status: 'FAILURE', reason: `build failed: ${failed.error}`, started_at: new Date().toISOString() });
    await appendPerfRows(options.output, [row]);
    results.push({ model: failed.model, image: '', status: 'FAILURE', reason: `build failed: ${failed.error}`, performance: '', metric: '', durationSeconds: 0, rows: [row] });
  }

  let cancelled = false;
  for (const [image, built] of Object.entries(manifest.built_images)) {
    if (options.signal?.aborted) {
      cancelled = true;
      break;
    }
    const model = manifest.built_models[image] as Record<string, unknown> & { name: string };
    const started = new Date();
    const row = baseRow(common, model, built, system, options.context);
    row.started_at = started.toISOString();
    let result: ModelResult;
    try {
      result = await runOne(image, built, model, row, options, { secrets, dataCounter, toolDefinitions, env });
    } catch (error) {
      const reason = redact(errorMessage(error), secrets);
      row.status = 'FAILURE';
      row.reason = reason;
      result = { model: model.name, image, status: 'FAILURE', reason, performance: '', metric: '', durationSeconds: 0, rows: [row] };
    }
    if (result.rows.length) await appendPerfRows(options.output, result.rows);
    results.push(result);
    const shown = result.status === 'SUCCESS' ? `${result.performance} ${result.metric}` : result.reason;
    logger.info(`${result.status.padEnd(7)} ${model.name}: ${shown}`);
    if (options.signal?.aborted) {
      cancelled = true;
      break;
    }
  }

  const failed = results.some((r) => r.status === 'FAILURE');
  return { runId, results, cancelled, exitCode: cancelled || failed ? ExitCode.RUN_FAILURE : ExitCode.SUCCESS };
}

interface RunShared {
  secrets: string[];
  dataCounter: { next: number };
  toolDefinitions: Awaited<ReturnType<typeof loadToolDefinitions>>;
  env: NodeJS.ProcessEnv;
}

async function runOne(
  image: string,
  built: BuiltImage,
  model: Record<string, unknown> & { name: string },
  row: PerfRow,
  options: RunPhaseOptions,
  shared: RunShared,
): Promise<ModelResult> {
  const { system, context, logger } = options;
  const result = (status: ModelResult['status'], reason: string, extra: Partial<ModelResult> = {}): ModelResult => {
    Object.assign(row, { status, reason });
    return { model: model.name, image, status, reason, performance: '', metric: '', durationSeconds: 0, rows: [row], ...extra };
  };

  // skip_gpu_arch: madengine writes a SKIPPED row.
  const arch = skipArchName(system.gpuArchitecture);
  const skipList = String(model.skip_gpu_arch ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  if (!options.disableSkipGpuArch && arch && skipList.includes(arch)) {
    logger.info(`Skipping model ${model.name} as it is not supported on ${arch} architecture.`);
    return result('SKIPPED', `Model not supported on ${arch} architecture`);
  }

  // Images are built for a vendor; a machine without GPUs runs any of them (CPU-only models).
  if (built.gpu_vendor && system.gpuVendor !== 'NONE' && built.gpu_vendor !== system.gpuVendor) {
    return result('FAILURE', `image ${image} is built for ${built.gpu_vendor} GPUs but this machine has ${system.gpuVendor} GPUs`);
  }

  const gpu = resolveGpuCount(model, context, system);
  row.gpus_per_node = String(gpu.count);
  row.n_gpus = String(gpu.count * Number(row.nnodes || '1'));
  if (gpu.requested !== 0 && system.gpuCount === 0) {
    return result('FAILURE', `model needs ${gpu.requested === -1 ? 'all GPUs (n_gpus -1)' : `${gpu.requested} GPU(s)`} but no GPU was detected on ${row.machine_name}`);
  }
  const dockerGpus = typeof context.docker_gpus === 'string' && context.docker_gpus ? parseIndexRanges(context.docker_gpus, 'docker_gpus') : undefined;
  const devices = gpu.requested === 0 ? [] : selectGpus(dockerGpus, gpu.requested, system);

  const data = options.dataConfig && typeof model.data === 'string' && model.data
    ? await prepareData(model.data, options.dataConfig, { hubDir: options.hubDir, executor: options.executor.kind, logger, counter: shared.dataCounter })
    : undefined;
  if (data) Object.assign(row, { dataname: data.dataname, data_provider_type: data.provider });

  const credName = typeof model.cred === 'string' ? model.cred : '';
  const scripts = scriptPlan(context, shared.toolDefinitions);
  const spec: ModelRunSpec = {
    runId: row.run_id!,
    modelName: model.name,
    ...(options.executor.kind === 'docker' ? await imageToRun(image, built, options.credentials, shared.env) : {}),
    hubDir: options.hubDir,
    script: String(model.scripts ?? ''),
    args: typeof context.model_args === 'string' ? context.model_args : String(model.args ?? ''),
    env: {
      ...modelEnvironment({
        modelName: model.name,
        model,
        context,
        system,
        gpuCount: devices.length,
        credentialEnv: credName ? credentialBuildArgs(credName, options.credentials, model.name) : {},
        dataEnv: data?.env ?? {},
        hostEnv: shared.env,
      }),
      ...scripts.env,
    },
    mounts: [...contextMounts(context), ...(data?.mounts ?? [])],
    gpus: { vendor: system.gpuVendor, devices, renderMinors: devices.map((d) => system.renderDevices[d] ?? -1) },
    ...(typeof model.additional_docker_run_options === 'string' && model.additional_docker_run_options.trim() ? { dockerRunOptions: model.additional_docker_run_options } : {}),
    ...(typeof context.docker_cpus === 'string' && context.docker_cpus ? { cpuset: context.docker_cpus.replaceAll(' ', '') } : {}),
    preScripts: [...(data?.preScripts ?? []), ...scripts.pre],
    postScripts: scripts.post,
    encapsulate: scripts.encapsulate,
    timeoutSeconds: resolveRunTimeout(model.timeout, options.timeout),
    keepAlive: options.keepAlive ?? false,
    keepModelDir: options.keepModelDir ?? false,
    skipModelRun: options.skipModelRun ?? false,
    outputDir: path.dirname(path.resolve(options.output)),
    logFile: path.join(path.dirname(path.resolve(options.output)), options.executor.kind === 'host' ? hostRunLogName(model.name) : runLogName(model.name, image)),
    ...(options.onModelOutput ? { onOutput: (chunk: Buffer) => options.onModelOutput!(redact(chunk.toString(), shared.secrets)) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const collect = [String(model.multiple_results ?? ''), '*_output.csv', '*_trace.csv', 'library_trace.csv'].filter(Boolean);

  if (spec.dockerRunOptions && options.executor.kind === 'host') logger.warn(`model ${model.name}: additional_docker_run_options do not apply to the host executor: ${spec.dockerRunOptions}`);
  logger.info(`running ${model.name} (${options.executor.kind}${options.executor.kind === 'docker' ? ` ${spec.image}` : ''}, timeout ${spec.timeoutSeconds ?? 'none'})`);
  const outcome: ModelRunOutcome = await options.executor.run(spec, collect);
  row.test_duration = outcome.durationSeconds.toFixed(2);
  if (outcome.imageId) row.image_digest = outcome.imageId;
  const base = { durationSeconds: outcome.durationSeconds };

  if (options.skipModelRun) return result('SKIPPED', 'model run skipped (--skip-model-run)', base);
  if (outcome.error) return result('FAILURE', outcome.error, base);
  if (outcome.cancelled) return result('FAILURE', 'cancelled', base);
  if (outcome.timedOut) return result('FAILURE', `timed out after ${spec.timeoutSeconds} s`, base);

  const scan = await scanLogFile(spec.logFile, resolveLogScanConfig(model, context));
  const multiple = String(model.multiple_results ?? '');
  // The executor copied the results CSV into the output dir; madengine looks in cwd, then the model dir.
  const check = multiple ? await checkMultipleResults(multiple, { cwd: spec.outputDir, modelDir: outcome.modelDir }) : undefined;
  const decision = decideStatus({
    ...(outcome.exitCode !== 0 ? { failure: `model script exited with status ${outcome.exitCode}` } : {}),
    scan,
    ...(check ? { multipleResults: check } : {}),
    collectMetrics: collectMetricsFromEnv(shared.env),
  });
  Object.assign(row, { performance: scan.performance ?? '', metric: scan.metric ?? '' });
  if (decision.status !== 'SUCCESS' || !check?.path) {
    return result(decision.status, decision.reason, { ...base, performance: scan.performance ?? '', metric: scan.metric ?? '' });
  }
  // multiple_results: one row per CSV row, named <model>_<row model>.
  const rows = await readMultipleResults(check.path, model.name, { ...row, status: 'SUCCESS', reason: '' });
  const ok = rows.every((r) => r.status === 'SUCCESS');
  return {
    model: model.name,
    image,
    status: ok ? 'SUCCESS' : 'FAILURE',
    reason: ok ? '' : 'some multiple_results rows have no performance',
    performance: `${rows.length} rows`,
    metric: '',
    durationSeconds: outcome.durationSeconds,
    rows,
  };
}

/**
 * Which image a docker run uses (madengine's rules): a manifest's `registry_image` is pulled and run,
 * falling back to the local build when the pull fails; a `local_image` entry runs `docker_image`,
 * pulled only when missing; otherwise the local image named by the manifest key.
 */
async function imageToRun(key: string, built: BuiltImage, credentials: Credentials, env: NodeJS.ProcessEnv): Promise<Pick<ModelRunSpec, 'image' | 'pull' | 'fallbackImage'>> {
  const auth = async (ref: string): Promise<NonNullable<ModelRunSpec['pull']>['auth']> => {
    const registry = parseImageReference(ref).registry;
    let login;
    try {
      login = registryLogin(registry, credentials);
    } catch {
      login = undefined;
    }
    login ??= await dockerConfigLogin(registry, env);
    return login ? registryAuthFor(registry, login) : undefined;
  };
  if (built.registry_image) {
    const credentials = await auth(built.registry_image);
    return { image: built.registry_image, pull: credentials ? { auth: credentials } : {}, fallbackImage: key };
  }
  if (built.local_image && built.docker_image) {
    const credentials = await auth(built.docker_image);
    return { image: built.docker_image, pull: { onlyIfMissing: true, ...(credentials ? { auth: credentials } : {}) } };
  }
  return { image: key };
}

/** Unique per run; on GitHub it starts with the workflow run id and attempt, so rows can be traced back. */
export function newRunId(env: NodeJS.ProcessEnv = process.env): string {
  return env.GITHUB_RUN_ID ? `${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}-${randomUUID().slice(0, 8)}` : randomUUID();
}

function baseRow(
  common: { runId: string; machine: string; executor: string; pipeline: string; buildNumber: string; env: NodeJS.ProcessEnv },
  model: Record<string, unknown> & { name: string },
  built: BuiltImage | undefined,
  system: SystemInfo,
  context: Record<string, unknown>,
): PerfRow {
  const tags = Array.isArray(model.tags) ? model.tags.join(',') : String(model.tags ?? '');
  return {
    model: model.name,
    n_gpus: '',
    nnodes: '1',
    gpus_per_node: '',
    training_precision: String(model.training_precision ?? ''),
    pipeline: common.pipeline,
    args: String(model.args ?? ''),
    tags,
    docker_file: built?.dockerfile ?? '',
    base_docker: built?.base_docker ?? '',
    docker_sha: built?.docker_sha ?? '',
    docker_image: built?.docker_image ?? '',
    git_commit: '',
    machine_name: common.machine,
    deployment_type: 'local',
    launcher: launcherOf(context, model, common.env) || 'docker',
    gpu_architecture: system.gpuArchitecture,
    performance: '',
    metric: '',
    relative_change: '',
    status: '',
    build_duration: built ? String(built.build_duration) : '',
    test_duration: '',
    dataname: '',
    data_provider_type: '',
    data_size: '',
    data_download_duration: '',
    build_number: common.buildNumber,
    additional_docker_run_options: String(model.additional_docker_run_options ?? ''),
    executor: common.executor,
    image_digest: built?.registry_digest ?? '',
    run_id: common.runId,
    started_at: '',
    reason: '',
  };
}

/** scripts/common/tools.json of the hub, read only when the context names tools. */
async function loadToolDefinitions(hubDir: string, context: Record<string, unknown>): Promise<Record<string, never> | undefined> {
  if (!Array.isArray(context.tools) || context.tools.length === 0) return undefined;
  try {
    return JSON.parse(await readFile(path.join(hubDir, 'scripts/common/tools.json'), 'utf8')).tools ?? {};
  } catch {
    return undefined;
  }
}
