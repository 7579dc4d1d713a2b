/**
 * The cluster branch of `madengine run` and the deploy-slurm action (compat §4.1): every model of the
 * manifest planned as SLURM jobs, the job files written to shared storage, each script checked with
 * `sbatch --test-only` before anything is submitted, then submitted, waited for, collected into
 * perf.csv rows, and cancelled (exactly this run's jobs) when the run is. A dry run prints the scripts
 * and touches nothing. Kubernetes comes next; until then `deploy: k8s` is refused before any work.
 */
import { constants } from 'node:fs';
import { access, chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdditionalContext } from '../core/context/schema.ts';
import { ConfigError, ExitCode, RunError, errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { BuildManifest } from '../core/manifest/manifest.ts';
import { appendPerfRows, type PerfRow } from '../core/perf/perf-csv.ts';
import type { TextRedactor } from '../core/secrets/redactor.ts';
import type { ModelResult } from '../core/run/run-model.ts';
import { launchSettings } from '../core/deploy/settings.ts';
import type { LaunchSettings, TaskOutcome } from '../core/deploy/types.ts';
import type { SlurmClient } from '../core/deploy/slurm/client.ts';
import { collectSlurmResults } from '../core/deploy/slurm/collect.ts';
import { planSlurmJobs, slurmDirectories, slurmSectionOf, type SlurmPlan } from '../core/deploy/slurm/plan.ts';
import { slurmSettings } from '../core/deploy/slurm/settings.ts';
import { waitForJobs, type WaitTask } from '../core/deploy/slurm/wait.ts';
import { jobEnvironment } from '../core/deploy/slurm/job-env.ts';
import { slurmCli } from '../engines/slurm/client.ts';

export interface SlurmDeployOptions {
  manifest: BuildManifest;
  /** The effective context (runtime merged over the manifest's), validated. */
  context: AdditionalContext;
  hubDir: string;
  runId: string;
  /** perf.csv the collected rows are appended to. */
  output: string;
  /** The CLI's --timeout for every node's run (cliTimeout(); null = none -> 0). */
  timeout: number | null;
  liveOutput: boolean;
  repeat: number;
  warmup: number;
  dryRun: boolean;
  /** Single-file CLI bundle the nodes run; default: dist/cli/madengine.mjs next to this bundle. */
  cliBundle?: string;
  redactor: TextRedactor;
  logger: Logger;
  signal?: AbortSignal;
  /** Default: the real sbatch/squeue/scontrol/scancel. */
  client?: SlurmClient;
  /** Called once per submitted job id (the action's post step finds them by run id too). */
  onSubmitted?: (jobId: string) => void;
  /** Where dry-run scripts go; default stdout. */
  print?: (text: string) => void;
}

export interface SlurmDeployResult {
  results: ModelResult[];
  jobIds: string[];
  outcomes: TaskOutcome[];
  cancelled: boolean;
  exitCode: ExitCode;
  /** The run's job directory (scripts, node manifests, logs). */
  jobDir: string;
}

export async function deploySlurm(options: SlurmDeployOptions): Promise<SlurmDeployResult> {
  const { manifest, context, logger } = options;
  const launch: Record<string, LaunchSettings> = {};
  for (const [key, model] of Object.entries(manifest.built_models)) launch[key] = launchSettings(context, model as Record<string, unknown>);
  const { section, where } = slurmSectionOf(context, manifest);
  const directories = slurmDirectories(slurmSettings(section, where), options.output, process.cwd());
  const plan = planSlurmJobs({
    manifest,
    context,
    launch,
    runId: options.runId,
    hubDir: path.resolve(options.hubDir),
    outputDir: directories.outputDir,
    ...(directories.resultsDir !== undefined ? { resultsDir: directories.resultsDir } : {}),
    timeout: options.timeout ?? 0,
    liveOutput: options.liveOutput,
    repeat: options.repeat,
    warmup: options.warmup,
  });
  for (const warning of plan.warnings) logger.warn(warning);

  if (options.dryRun) {
    const print = options.print ?? ((text: string) => process.stdout.write(text));
    // The scripts hold env_vars values: a secret among them is masked like every other output.
    printPlan(plan, (text) => print(options.redactor.redact(text)));
    return { results: [], jobIds: [], outcomes: [], cancelled: false, exitCode: ExitCode.SUCCESS, jobDir: plan.jobDir };
  }

  const client = options.client ?? slurmCli({ env: jobEnvironment(process.env) });
  await writePlanFiles(plan, options.cliBundle ?? defaultCliBundle());
  // Every script passes sbatch's own checks before the first is submitted: a bad partition submits nothing.
  for (const job of plan.jobs) await client.testSubmit(job.scriptPath);

  const jobIds: string[] = [];
  const submitted: { jobId: string; key: string }[] = [];
  let outcomes: TaskOutcome[] = [];
  try {
    for (const job of plan.jobs) {
      if (options.signal?.aborted) break;
      const jobId = await client.submit(job.scriptPath);
      jobIds.push(jobId);
      submitted.push({ jobId, key: job.key });
      options.onSubmitted?.(jobId);
      logger.info(`submitted ${job.key} as SLURM job ${jobId} (${job.models.length} model${job.models.length === 1 ? '' : 's'}): ${job.scriptPath}`);
    }
    outcomes = await waitForJobs(
      client,
      submitted.map(({ jobId, key }) => ({
        jobId,
        tasks: plan.models.filter((m) => m.job === key).map((m) => (m.task === undefined ? { model: m.name } : { index: m.task, model: m.name })),
      })),
      { signal: options.signal, logger, fallback: (task) => exitCodeFallback(plan, task) },
    );
  } catch (error) {
    // A submission or the wait failed: the jobs already submitted would run unwatched and unreported.
    await cancelJobs(client, jobIds, options.runId, logger);
    throw error;
  }
  const cancelled = options.signal?.aborted ?? false;
  if (cancelled) {
    await cancelJobs(client, jobIds, options.runId, logger);
    outcomes = cancelledOutcomes(plan, submitted, outcomes);
  }

  const rows = (await collectSlurmResults(plan, outcomes, { readFile: readIfExists, logger })).map((row) => redactRow(row, options.redactor));
  if (rows.length) await appendPerfRows(options.output, rows);
  const results = modelResults(rows);
  for (const result of results)
    logger.info(`${result.status.padEnd(7)} ${result.model}: ${result.status === 'SUCCESS' ? `${result.performance} ${result.metric}` : result.reason}`);
  const failed = results.some((r) => r.status === 'FAILURE');
  return { results, jobIds, outcomes, cancelled, exitCode: cancelled || failed ? ExitCode.RUN_FAILURE : ExitCode.SUCCESS, jobDir: plan.jobDir };
}

/** The post step and stray-job cleanup: scancel every job still known under this run id, and nothing else. */
export async function cancelDeployedRun(
  runId: string,
  logger: Logger,
  client: SlurmClient = slurmCli({ env: jobEnvironment(process.env) }),
): Promise<string[]> {
  const ids = await client.findRunJobs(runId);
  if (ids.length === 0) return [];
  logger.info(`cancelling SLURM job(s) ${ids.join(', ')} of run ${runId}`);
  await client.cancel(ids);
  return ids;
}

async function cancelJobs(client: SlurmClient, jobIds: readonly string[], runId: string, logger: Logger): Promise<void> {
  try {
    // The ids we know, and any the controller lists under our run id (a submission cut short by the signal).
    const ids = [...new Set([...jobIds, ...(await client.findRunJobs(runId))])];
    if (ids.length === 0) return;
    logger.warn(`cancelling SLURM job(s) ${ids.join(', ')}`);
    await client.cancel(ids);
  } catch (error) {
    logger.error(`could not cancel the run's SLURM jobs (${jobIds.join(', ')}): ${errorMessage(error)}; cancel them with scancel`);
  }
}

/** Tasks the wait did not see end (the run was cancelled) end CANCELLED; the others keep what was seen. */
function cancelledOutcomes(plan: SlurmPlan, submitted: readonly { jobId: string; key: string }[], seen: readonly TaskOutcome[]): TaskOutcome[] {
  const outcomes = [...seen];
  for (const model of plan.models) {
    if (outcomes.some((o) => o.model === model.name && (model.task === undefined || o.jobId.endsWith(`_${model.task}`)))) continue;
    const job = submitted.find((s) => s.key === model.job);
    const jobId = job ? (model.task === undefined ? job.jobId : `${job.jobId}_${model.task}`) : '';
    outcomes.push({
      jobId,
      model: model.name,
      state: 'CANCELLED',
      reason: job ? 'CANCELLED: the run was cancelled' : 'CANCELLED: the run was cancelled before this job was submitted',
    });
  }
  return outcomes;
}

/** A task the controller forgot: the exit code its first rank wrote on the node, if any. */
async function exitCodeFallback(plan: SlurmPlan, task: WaitTask): Promise<{ state: 'COMPLETED' | 'FAILED'; reason?: string } | undefined> {
  const model = plan.models.find((m) => m.name === task.model && (task.index === undefined || m.task === task.index));
  if (!model) return undefined;
  const file = path.join(model.resultsDir, 'node_0', 'exit_code');
  const text = await readIfExists(file);
  if (text === undefined) return undefined;
  const code = text.trim();
  return code === '0' ? { state: 'COMPLETED' } : { state: 'FAILED', reason: `FAILED: exit code ${code} (${file})` };
}

async function writePlanFiles(plan: SlurmPlan, cliBundle: string): Promise<void> {
  for (const dir of plan.directories) {
    try {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
    } catch (error) {
      throw new ConfigError(
        `SLURM directory ${dir} is not writable (${errorMessage(error)}): set slurm.output_dir / slurm.results_dir to a writable shared directory`,
      );
    }
  }
  try {
    await copyFile(cliBundle, plan.bundlePath);
  } catch (error) {
    throw new RunError(`cannot copy the CLI bundle ${cliBundle} to ${plan.bundlePath}: ${errorMessage(error)}`);
  }
  for (const file of plan.nodeManifests) await writeFile(file.path, file.json, { mode: 0o600 });
  // Owner-only, like the node manifests: the scripts hold the env_vars values.
  for (const file of plan.files) await writeFile(file.path, file.content, { mode: 0o700 });
  for (const job of plan.jobs) {
    await writeFile(job.scriptPath, job.script, { mode: 0o700 });
    await chmod(job.scriptPath, 0o700);
  }
}

function printPlan(plan: SlurmPlan, print: (text: string) => void): void {
  print(`# dry run: ${plan.jobs.length} SLURM job(s) for ${plan.models.length} model(s); nothing is written or submitted\n`);
  for (const job of plan.jobs) print(`\n# ---- ${job.scriptPath} (${job.models.join(', ')})\n${job.script}`);
  for (const file of plan.files) print(`\n# ---- ${file.path}\n${file.content}`);
}

/**
 * dist/cli/madengine.mjs beside the running bundle (dist/cli/madengine.mjs itself, or an action's
 * dist/<name>/index.mjs); from the sources (src/pipeline/), the repository's committed bundle.
 */
function defaultCliBundle(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  if (path.basename(here) === 'pipeline') return path.join(here, '..', '..', 'dist', 'cli', 'madengine.mjs');
  return path.basename(here) === 'cli' ? path.join(here, 'madengine.mjs') : path.join(here, '..', 'cli', 'madengine.mjs');
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function redactRow(row: PerfRow, redactor: TextRedactor): PerfRow {
  return Object.fromEntries(Object.entries(row).map(([column, value]) => [column, value === undefined ? value : redactor.redact(value)]));
}

/** One result per row, as the run phase reports them (a multi-metric model has several). */
function modelResults(rows: readonly PerfRow[]): ModelResult[] {
  return rows.map((row) => ({
    model: row.model ?? '',
    image: row.docker_image ?? '',
    status: (row.status as ModelResult['status']) || 'FAILURE',
    reason: row.reason ?? '',
    performance: row.performance ?? '',
    metric: row.metric ?? '',
    durationSeconds: Number(row.test_duration) || 0,
    rows: [row],
    ...(row.sample ? { sample: Number(row.sample) } : {}),
  }));
}
