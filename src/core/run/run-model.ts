/** One model's run: skip and GPU checks, the run spec, the executor, then the status and perf.csv row(s) of the outcome. */
import path from 'node:path';
import type { Logger } from '../log.ts';
import type { SystemInfo } from '../gpu/types.ts';
import type { AdditionalContext } from '../context/schema.ts';
import { resolveGpuCount, selectGpus } from '../gpu/gpu-count.ts';
import { parseIndexRanges } from '../context/ranges.ts';
import { skipArchName } from '../gpu/env.ts';
import { hostRunLogName, runLogName } from '../images/naming.ts';
import { StringDecoder } from 'node:string_decoder';
import { credentialBuildArgs, type Credentials } from '../registry/credentials.ts';
import type { Redactor } from '../secrets/redactor.ts';
import type { BuiltImage } from '../manifest/manifest.ts';
import type { PerfRow } from '../perf/perf-csv.ts';
import { scanLogFile } from '../perf/log-scan.ts';
import { resolveLogScanConfig } from '../perf/error-scan.ts';
import { collectMetricsFromEnv, decideStatus } from '../perf/status.ts';
import { checkMultipleResults, readMultipleResults } from '../perf/multiple.ts';
import type { Executor, ModelRunOutcome, ModelRunSpec } from './executor.ts';
import { contextMounts, modelEnvironment, scriptPlan, type ToolDefinition } from './model-env.ts';
import { prepareData, type DataConfig, type PreparedData } from './data.ts';
import { resolveRunTimeout } from './timeout.ts';
import { imageToRun } from './image-source.ts';
import { scriptPathProblem } from './script-paths.ts';
import { createStaging } from './staging.ts';
import { passLabel, type RunPass } from './repeats.ts';

/** What one model's run needs of the run phase's options. */
export interface RunModelOptions {
  hubDir: string;
  /** The effective context: manifest context with runtime context merged over it, validated. */
  context: AdditionalContext;
  executor: Executor;
  system: SystemInfo;
  credentials: Credentials;
  /** perf.csv path. */
  output: string;
  /** Resolved CLI timeout (cliTimeout()). */
  timeout: number | null;
  keepAlive: boolean;
  keepModelDir: boolean;
  skipModelRun: boolean;
  /** Receives model output as it arrives (secrets already redacted): --live-output. */
  onModelOutput?: (text: string) => void;
  disableSkipGpuArch: boolean;
  dataConfig?: DataConfig;
  logger: Logger;
  signal?: AbortSignal;
}

/** One model's outcome and the perf.csv row(s) it produced. */
export interface ModelResult {
  model: string;
  image: string;
  status: 'SUCCESS' | 'FAILURE' | 'SKIPPED';
  reason: string;
  performance: string;
  metric: string;
  durationSeconds: number;
  rows: PerfRow[];
  /** Which measured run of the model this is (1-based; its rows' `sample`); absent for a failed build or warm-up. */
  sample?: number;
}

/** What every model of one run shares. */
export interface RunShared {
  /** The run's secrets (credentials, MAD_SECRETS*): the log file, live output and results go through it. */
  redactor: Redactor;
  dataCounter: { next: number };
  toolDefinitions: Record<string, ToolDefinition> | undefined;
  env: NodeJS.ProcessEnv;
}

/** Close a model's run with one row: its status and reason go into the row too. */
function finish(row: PerfRow, model: string, image: string, status: ModelResult['status'], reason: string, extra: Partial<ModelResult> = {}): ModelResult {
  Object.assign(row, { status, reason });
  return { model, image, status, reason, performance: '', metric: '', durationSeconds: 0, rows: [row], ...extra };
}

export async function runModel(
  image: string,
  built: BuiltImage,
  model: Record<string, unknown> & { name: string },
  row: PerfRow,
  options: RunModelOptions,
  shared: RunShared,
  /** Which run of the model this is, when it runs more than once (--repeat, --warmup). */
  pass?: RunPass,
): Promise<ModelResult> {
  const { system, context, logger } = options;
  const result = (status: ModelResult['status'], reason: string, extra: Partial<ModelResult> = {}): ModelResult =>
    finish(row, model.name, image, status, reason, extra);

  // skip_gpu_arch: madengine writes a SKIPPED row.
  const arch = skipArchName(system.gpuArchitecture);
  const skipList = String(model.skip_gpu_arch ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
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
    return result(
      'FAILURE',
      `model needs ${gpu.requested === -1 ? 'all GPUs (n_gpus -1)' : `${gpu.requested} GPU(s)`} but no GPU was detected on ${row.machine_name}`,
    );
  }
  const dockerGpus = context.docker_gpus ? parseIndexRanges(context.docker_gpus, 'docker_gpus') : undefined;
  const devices = gpu.requested === 0 ? [] : selectGpus(dockerGpus, gpu.requested, system);

  const data =
    options.dataConfig && typeof model.data === 'string' && model.data
      ? await prepareData(model.data, options.dataConfig, { hubDir: options.hubDir, executor: options.executor.kind, logger, counter: shared.dataCounter })
      : undefined;
  if (data) Object.assign(row, { dataname: data.dataname, data_provider_type: data.provider });

  // The log and the collected copies go to this run's own directory: runs from other hubs may share the output dir.
  const staging = await createStaging(path.dirname(path.resolve(options.output)));
  try {
    const spec = await modelRunSpec(image, built, model, row.run_id!, devices, data, options, shared, staging.dir, pass?.tag);
    const collect = [String(model.multiple_results ?? ''), '*_output.csv', '*_trace.csv', 'library_trace.csv'].filter(Boolean);

    if (spec.dockerRunOptions && options.executor.kind === 'host')
      logger.warn(`model ${model.name}: additional_docker_run_options do not apply to the host executor: ${spec.dockerRunOptions}`);
    logger.info(
      `running ${model.name}${pass?.tag ? ` ${passLabel(pass)}` : ''} (${options.executor.kind}${options.executor.kind === 'docker' ? ` ${spec.image}` : ''}, timeout ${spec.timeoutSeconds ?? 'none'})`,
    );
    const escaped = await scriptPathProblem(spec);
    if (escaped !== undefined) return result('FAILURE', escaped);
    const startedAtMs = Date.now();
    const outcome: ModelRunOutcome = await options.executor.run(spec, collect);
    row.test_duration = outcome.durationSeconds.toFixed(2);
    if (outcome.imageId) row.image_digest = outcome.imageId;
    // Judged from the staged files; messages name the files where they are published.
    return mapResultText(await judgeOutcome(image, model, row, spec, { ...outcome, startedAtMs }, options, shared.env, staging.outputDir), staging.published);
  } catch (error) {
    if (error instanceof Error) {
      error.message = staging.published(error.message);
      if (error.stack) error.stack = staging.published(error.stack);
    }
    throw error;
  } finally {
    for (const problem of await staging.publish()) logger.warn(problem);
  }
}

/** `result` with `map` applied to its text fields and every row cell. */
function mapResultText(result: ModelResult, map: (text: string) => string): ModelResult {
  return {
    ...result,
    reason: map(result.reason),
    performance: map(result.performance),
    metric: map(result.metric),
    rows: result.rows.map((row) => Object.fromEntries(Object.entries(row).map(([column, value]) => [column, value === undefined ? value : map(value)]))),
  };
}

/** What the executor gets for one model: image, script, environment, mounts, GPUs, scripts around it, limits, log file. */
async function modelRunSpec(
  image: string,
  built: BuiltImage,
  model: Record<string, unknown> & { name: string },
  runId: string,
  devices: number[],
  data: PreparedData | undefined,
  options: RunModelOptions,
  shared: RunShared,
  stagingDir: string,
  passTag: string | undefined,
): Promise<ModelRunSpec> {
  const { system, context } = options;
  const credName = typeof model.cred === 'string' ? model.cred : '';
  const scripts = scriptPlan(context, shared.toolDefinitions);
  return {
    runId,
    modelName: model.name,
    ...(passTag ? { pass: passTag } : {}),
    ...(options.executor.kind === 'docker' ? await imageToRun(image, built, options.credentials, shared.env) : {}),
    hubDir: options.hubDir,
    script: String(model.scripts ?? ''),
    args: context.model_args ?? String(model.args ?? ''),
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
    ...(typeof model.additional_docker_run_options === 'string' && model.additional_docker_run_options.trim()
      ? { dockerRunOptions: model.additional_docker_run_options }
      : {}),
    ...(context.docker_cpus ? { cpuset: context.docker_cpus.replaceAll(' ', '') } : {}),
    preScripts: [...(data?.preScripts ?? []), ...scripts.pre],
    postScripts: scripts.post,
    encapsulate: scripts.encapsulate,
    timeoutSeconds: resolveRunTimeout(model.timeout, options.timeout, `model ${model.name}`, context.timeout_multiplier),
    keepAlive: options.keepAlive,
    keepModelDir: options.keepModelDir,
    skipModelRun: options.skipModelRun,
    outputDir: stagingDir,
    logFile: path.join(
      stagingDir,
      options.executor.kind === 'host' ? hostRunLogName(model.name, passTag) : runLogName(model.name, image, passTag ? `.${passTag}.run` : '.run'),
    ),
    redactor: shared.redactor,
    ...(options.onModelOutput ? { onOutput: liveText(options.onModelOutput) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/** Redacted output chunks as text: a character split across two chunks is decoded whole. */
function liveText(onText: (text: string) => void): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8');
  return (chunk) => {
    const text = decoder.write(chunk);
    if (text) onText(text);
  };
}

/** The status of a finished run (compat §3.8): executor failures, the log scan, multiple_results rows. */
async function judgeOutcome(
  image: string,
  model: Record<string, unknown> & { name: string },
  row: PerfRow,
  spec: ModelRunSpec,
  outcome: ModelRunOutcome & { startedAtMs: number },
  options: Pick<RunModelOptions, 'context' | 'skipModelRun'>,
  env: NodeJS.ProcessEnv,
  /** Where the staged files will be published (the perf.csv directory). */
  outputDir: string,
): Promise<ModelResult> {
  const base = { durationSeconds: outcome.durationSeconds };
  const result = (status: ModelResult['status'], reason: string, extra: Partial<ModelResult> = {}): ModelResult =>
    finish(row, model.name, image, status, reason, extra);

  if (options.skipModelRun) return result('SKIPPED', 'model run skipped (--skip-model-run)', base);
  if (outcome.error) return result('FAILURE', outcome.error, base);
  if (outcome.cancelled) return result('FAILURE', 'cancelled', base);
  if (outcome.timedOut) return result('FAILURE', `timed out after ${spec.timeoutSeconds} s`, base);

  const scan = await scanLogFile(spec.logFile, resolveLogScanConfig(model, options.context));
  const multiple = String(model.multiple_results ?? '');
  // The executor copied the results CSV into this run's staging dir (published into the output dir later);
  // madengine looks in cwd, then the model dir. Only a file this run produced counts: a kept model dir may hold an older one.
  const check = multiple
    ? await checkMultipleResults(
        multiple,
        { cwd: spec.outputDir, modelDir: outcome.modelDir, publishedTo: outputDir },
        { startedAtMs: outcome.startedAtMs, collected: outcome.collected },
      )
    : undefined;
  const decision = decideStatus({
    ...(outcome.exitCode !== 0 ? { failure: `model script exited with status ${outcome.exitCode}` } : {}),
    scan,
    ...(check ? { multipleResults: check } : {}),
    collectMetrics: collectMetricsFromEnv(env),
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
