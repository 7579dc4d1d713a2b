/**
 * The run phase: every model of a manifest, in manifest order, through one executor; each
 * result becomes perf.csv row(s) the moment the model finishes. A failure, timeout or
 * cancellation is a FAILURE row with its reason, never a missing line.
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
import type { BuildManifest } from '../manifest/manifest.ts';
import type { AdditionalContext } from '../context/schema.ts';
import { appendPerfRows, preparePerfCsv } from '../perf/perf-csv.ts';
import type { ToolDefinition } from './model-env.ts';
import { baseRow } from './perf-row.ts';
import { runModel, type ModelResult, type RunModelOptions } from './run-model.ts';
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
}

export interface RunPhaseResult {
  runId: string;
  results: ModelResult[];
  exitCode: ExitCode;
  cancelled: boolean;
}

export async function runPhase(options: RunPhaseOptions): Promise<RunPhaseResult> {
  const { manifest, system } = options;
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
  for (const [image, built] of Object.entries(manifest.built_images)) {
    if (options.signal?.aborted) {
      cancelled = true;
      break;
    }
    const model = manifest.built_models[image]!; // readManifest checked every image has its model
    const started = new Date();
    const row = baseRow(common, model, built, system, options.context);
    row.started_at = started.toISOString();
    let result: ModelResult;
    try {
      result = await runModel(image, built, model, row, modelOptions, { redactor, dataCounter, toolDefinitions, env });
    } catch (error) {
      const reason = errorMessage(error);
      row.status = 'FAILURE';
      row.reason = reason;
      result = { model: model.name, image, status: 'FAILURE', reason, performance: '', metric: '', durationSeconds: 0, rows: [row] };
    }
    // Every result field and perf.csv cell may hold model output: redacted before anything keeps or shows it.
    result = redactResult(result, redactor);
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
