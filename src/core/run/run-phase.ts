/**
 * The run phase: every model of a manifest, in manifest order, through one executor; each
 * result becomes perf.csv row(s) the moment the model finishes. A failure, timeout or
 * cancellation is a FAILURE row with its reason, never a missing line. With --warmup/--repeat a
 * model runs its warm-ups (no rows) and then each measured run, one result (and row(s)) per run.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import { ConfigError, ExitCode, errorMessage } from '../errors.ts';
import { isFile } from '../util/fs.ts';
import { readJsonFile } from '../util/json-file.ts';
import { isPlainObject } from '../util/object.ts';
import { redactingLogger } from '../log.ts';
import { Redactor, type TextRedactor } from '../secrets/redactor.ts';
import { selectSecrets } from '../secrets/selection.ts';
import type { BuildManifest, BuiltImage } from '../manifest/manifest.ts';
import type { AdditionalContext } from '../context/schema.ts';
import { appendPerfRows, preparePerfCsv, type PerfRow } from '../perf/perf-csv.ts';
import type { ToolDefinition } from './model-env.ts';
import { baseRow } from './perf-row.ts';
import { runModel, type ModelResult, type RunModelOptions, type RunShared } from './run-model.ts';
import { checkRunCount, modelPasses, passLabel, type RunPass } from './repeats.ts';
import { publishAbandonedStaging } from './staging.ts';

export interface RunPhaseOptions extends RunModelOptions {
  manifest: BuildManifest;
  env?: NodeJS.ProcessEnv;
  /** Fixed run id (the actions save it so their post step can find this run's containers). */
  runId?: string;
  /** Rows for models whose build failed, so they are visible in perf.csv too. */
  failedBuilds?: { model: string; error: string; dockerfile?: string }[];
  /** The caller's redactor (it has logged the selection's warnings); default: one from the credentials and `env`. */
  redactor?: Redactor;
  /** Measured runs per model (--repeat), 1 to 1000; default 1. */
  repeat?: number;
  /** Discarded runs before them (--warmup), 0 to 100; default 0. A failing warm-up skips the model's measured runs. */
  warmup?: number;
}

export interface RunPhaseResult {
  runId: string;
  results: ModelResult[];
  exitCode: ExitCode;
  cancelled: boolean;
}

export async function runPhase(options: RunPhaseOptions): Promise<RunPhaseResult> {
  const { manifest, system } = options;
  const passes = modelPasses(checkRunCount(options.repeat ?? 1, 'repeat'), checkRunCount(options.warmup ?? 0, 'warmup'));
  await preparePerfCsv(options.output); // a perf.csv that cannot take rows fails here, before any model ran
  const env = options.env ?? process.env;
  const runId = options.runId ?? newRunId(env);
  const redactor = options.redactor ?? runRedactor(options, env);
  const logger = redactingLogger(options.logger, redactor);
  const modelOptions = { ...options, logger };
  // A run killed before it published its files (kill -9) left them in its staging dir: publish them now.
  const abandoned = await publishAbandonedStaging(path.dirname(path.resolve(options.output)));
  for (const message of abandoned.published) logger.info(message);
  for (const problem of abandoned.problems) logger.warn(problem);
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
    Object.assign(row, {
      docker_file: failed.dockerfile ?? '',
      status: 'FAILURE',
      reason: `build failed: ${failed.error}`,
      started_at: new Date().toISOString(),
    });
    const result = redactResult(
      {
        model: failed.model,
        image: '',
        status: 'FAILURE',
        reason: `build failed: ${failed.error}`,
        performance: '',
        metric: '',
        durationSeconds: 0,
        rows: [row],
      },
      redactor,
    );
    await appendPerfRows(options.output, result.rows);
    results.push(result);
  }

  let cancelled = false;
  const shared: RunShared = { redactor, dataCounter, toolDefinitions, env };
  for (const [image, built] of Object.entries(manifest.built_images)) {
    const model = manifest.built_models[image]!; // readManifest checked every image has its model
    const dataIndex = dataCounter.next;
    for (const pass of passes) {
      cancelled = options.signal?.aborted ?? false;
      if (cancelled) break;
      dataCounter.next = dataIndex; // every run of a model gets the same data homes (/data_dlm_<n>)
      const measured = pass.kind === 'sample';
      if (!measured) logger.info(`${passLabel(pass)} of ${model.name}`);
      const row = baseRow(common, model, built, system, options.context);
      row.started_at = new Date().toISOString();
      if (measured) row.sample = String(pass.index);
      let result = await runOnce(image, built, model, row, modelOptions, shared, pass);
      if (!measured && result.status === 'SUCCESS') {
        logger.info(`${passLabel(pass)} of ${model.name} done in ${result.durationSeconds.toFixed(2)} s: ${shown(result)} (not recorded)`);
        continue;
      }
      if (!measured && result.status === 'FAILURE') result = warmUpFailure(result, row, pass);
      // Every result field and perf.csv cell may hold model output: redacted before anything keeps or shows it.
      result = redactResult(measured ? { ...result, sample: pass.index } : result, redactor);
      if (result.rows.length) await appendPerfRows(options.output, result.rows);
      results.push(result);
      const which = measured && pass.count > 1 ? ` (${passLabel(pass)})` : '';
      logger.info(`${result.status.padEnd(7)} ${model.name}${which}: ${shown(result)}`);
      cancelled = options.signal?.aborted ?? false;
      // A failed warm-up means a broken model; a skip (skip_gpu_arch, --skip-model-run) holds for every run.
      if (cancelled || !measured || result.status === 'SKIPPED') break;
    }
    if (cancelled) break;
  }

  const failed = results.some((r) => r.status === 'FAILURE');
  return { runId, results, cancelled, exitCode: cancelled || failed ? ExitCode.RUN_FAILURE : ExitCode.SUCCESS };
}

/** One run of a model; an error escaping runModel becomes its FAILURE result. */
async function runOnce(
  image: string,
  built: BuiltImage,
  model: Record<string, unknown> & { name: string },
  row: PerfRow,
  options: RunModelOptions,
  shared: RunShared,
  pass: RunPass,
): Promise<ModelResult> {
  try {
    return await runModel(image, built, model, row, options, shared, pass.tag ? pass : undefined);
  } catch (error) {
    const reason = errorMessage(error);
    row.status = 'FAILURE';
    row.reason = reason;
    return { model: model.name, image, status: 'FAILURE', reason, performance: '', metric: '', durationSeconds: 0, rows: [row] };
  }
}

/**
 * A failed warm-up as the model's one FAILURE row: `row` (the run's, with its start, duration and image)
 * without the discarded numbers, and a reason that says which warm-up failed.
 */
function warmUpFailure(result: ModelResult, row: PerfRow, pass: RunPass): ModelResult {
  const reason = `warm-up run ${pass.index} of ${pass.count} failed: ${result.reason}`;
  Object.assign(row, { status: 'FAILURE', reason, performance: '', metric: '' });
  return { ...result, status: 'FAILURE', reason, performance: '', metric: '', rows: [row] };
}

function shown(result: ModelResult): string {
  return result.status === 'SUCCESS' ? `${result.performance} ${result.metric}`.trim() : result.reason;
}

/** The run's secrets: credentials, MAD_SECRETS* of the environment and of the context; one warning per value too short to mask. */
function runRedactor(options: Pick<RunPhaseOptions, 'credentials' | 'context' | 'logger'>, env: NodeJS.ProcessEnv): Redactor {
  const selection = selectSecrets({ credentials: options.credentials, env, contextEnv: [options.context.env_vars, options.context.docker_env_vars] });
  for (const warning of selection.warnings) options.logger.warn(warning);
  return new Redactor(selection.values);
}

/** `result` with every text field and every perf.csv cell redacted. */
export function redactResult(result: ModelResult, redactor: TextRedactor): ModelResult {
  const clean = (text: string): string => redactor.redact(text);
  return {
    ...result,
    model: clean(result.model),
    image: clean(result.image),
    reason: clean(result.reason),
    performance: clean(result.performance),
    metric: clean(result.metric),
    rows: result.rows.map((row) => Object.fromEntries(Object.entries(row).map(([column, value]) => [column, value === undefined ? value : clean(value)]))),
  };
}

/** Unique per run; on GitHub it starts with the workflow run id and attempt, so rows can be traced back. */
export function newRunId(env: NodeJS.ProcessEnv = process.env): string {
  return env.GITHUB_RUN_ID ? `${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}-${randomUUID().slice(0, 8)}` : randomUUID();
}

/**
 * scripts/common/tools.json of the hub, read only when the context names tools. A hub without one has no
 * tools (scriptPlan says so per tool); a tools.json that is there but malformed is an error naming it.
 */
async function loadToolDefinitions(hubDir: string, context: Pick<AdditionalContext, 'tools'>): Promise<Record<string, ToolDefinition> | undefined> {
  if (!context.tools?.length) return undefined;
  const file = path.join(hubDir, 'scripts/common/tools.json');
  if (!(await isFile(file))) return undefined;
  const data = await readJsonFile(file, ConfigError);
  const tools = isPlainObject(data) ? (data.tools ?? {}) : undefined;
  if (!isPlainObject(tools)) throw new ConfigError(`${file}: expected {"tools": {"<name>": {"cmd": ..., "env_vars": {...}}}}`, { file });
  return tools as Record<string, ToolDefinition>;
}
