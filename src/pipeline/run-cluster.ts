/**
 * `madengine run` with a cluster target (deploy: slurm): the effective context and the manifest (given,
 * or built from --tags on this machine) go to the SLURM deployment. Nothing runs here: no GPU
 * detection, no executor, no hub lock (each task works in its own copy of the hub on its node).
 */
import type { AdditionalContext, DeployTarget } from '../core/context/schema.ts';
import { ConfigError, ExitCode } from '../core/errors.ts';
import { deployTarget } from '../core/deploy/settings.ts';
import type { BuildManifest, FailedBuild } from '../core/manifest/manifest.ts';
import { appendPerfRows, preparePerfCsv, type PerfRow } from '../core/perf/perf-csv.ts';
import { checkOutputOutsideRunDirectory } from '../core/run/run-dir-lock.ts';
import { hostManifest } from '../core/run/host-manifest.ts';
import { newRunId } from '../core/run/run-phase.ts';
import type { ModelResult } from '../core/run/run-model.ts';
import type { Redactor } from '../core/secrets/redactor.ts';
import { contextSecretVariables } from '../core/secrets/selection.ts';
import { plannedManifest } from '../core/build/planned-manifest.ts';
import { planBuilds } from '../core/images/plan.ts';
import { dockerImageEngine } from '../engines/docker/image-engine.ts';
import { buildSelection } from './build.ts';
import { deploySlurm } from './deploy.ts';
import { slurmSectionOf } from '../core/deploy/slurm/plan.ts';
import { slurmSettings } from '../core/deploy/slurm/settings.ts';
import { effectiveRunContext, withRegistryAuth } from './run-context.ts';
import { chooseExecutor } from './executor.ts';
import { addSecrets, loadAllCredentials, loadSelection } from './load.ts';
import type { LoadedContext } from '../core/context/load.ts';
import type { RunOptions, RunResult } from './run.ts';

/**
 * Where the run goes: the context's `deploy`, else the manifest's stored target, else a lone
 * slurm/k8s section (core/deploy/settings.ts). The deploy-slurm action requires slurm: a context
 * without a target gets it, one naming another target is an error.
 */
export function runTarget(
  context: AdditionalContext,
  manifest: BuildManifest | undefined,
  manifestFile: string | undefined,
  raw: Readonly<Record<string, unknown>>,
  required: DeployTarget | undefined,
): DeployTarget {
  const effective = manifest && manifestFile ? effectiveRunContext(manifest, raw, manifestFile) : context;
  const target = deployTarget(effective, manifest);
  if (required === undefined || target === required) return target;
  if (target === 'local' && effective.deploy === undefined) return required;
  throw new ConfigError(`this step deploys to ${required}, but the additional context asks for "deploy": "${target}"`);
}

interface ClusterInputs {
  loaded: LoadedContext;
  stored: BuildManifest | undefined;
  manifestFile: string | undefined;
  tags: string[];
  redactor: Redactor;
  repeat: number;
  warmup: number;
}

export async function deployToSlurm(options: RunOptions, inputs: ClusterInputs): Promise<RunResult> {
  const { logger, hubDir } = options;
  const { loaded, stored, manifestFile, redactor } = inputs;
  const dryRun = options.dryRun === true || loaded.context.dry_run === true;
  const runId = options.runId ?? newRunId();
  checkOutputOutsideRunDirectory(hubDir, options.output);
  if (!dryRun) await preparePerfCsv(options.output, { onWait: (message) => logger.info(message) });

  let manifest: BuildManifest;
  let context: AdditionalContext;
  let failedBuilds: FailedBuild[] = [];
  let buildExit: ExitCode = ExitCode.SUCCESS;
  if (stored) {
    manifest = stored;
    context = effectiveRunContext(stored, loaded.raw, manifestFile ?? 'build manifest');
    addSecrets(redactor, { contextEnv: contextSecretVariables(context) }, logger);
  } else {
    context = loaded.context;
    addSecrets(redactor, { contextEnv: contextSecretVariables(context) }, logger);
    // A bad slurm section fails now, not after a long build.
    const { section, where } = slurmSectionOf(context);
    slurmSettings(section, where);
    const selection = await loadSelection(hubDir, inputs.tags, logger);
    const credentials = withRegistryAuth(
      await loadAllCredentials(hubDir, options.credentials),
      context,
      options.registry ? [options.registry] : [],
      options.credentials,
      logger,
    );
    addSecrets(redactor, { credentials }, logger);
    if (context.executor === 'host') {
      manifest = hostManifest(selection.selected, context);
    } else if (dryRun) {
      // A dry run builds nothing: the manifest names the images a build would make.
      manifest = plannedManifest(await planBuilds(selection.selected, { hubDir, context }), context);
    } else {
      const chosen = await chooseExecutor(context.executor, logger);
      if (!chosen.docker) {
        logger.info('no Docker daemon on this machine: the models run on the nodes without containers (host executor)');
        manifest = hostManifest(selection.selected, { ...context, executor: 'host' });
        context = { ...context, executor: 'host' };
      } else {
        const built = await buildSelection({
          hubDir,
          selection,
          context,
          credentials,
          engine: dockerImageEngine(chosen.docker),
          registry: options.registry,
          noCache: options.cleanDockerCache ?? false,
          allowSecretsInImage: options.allowSecretsInImage ?? false,
          manifestOutput: options.manifestOutput,
          liveOutput: options.liveOutput ?? false,
          logger,
          redactor,
          signal: options.signal,
        });
        manifest = built.manifest;
        failedBuilds = built.failedBuilds;
        buildExit = built.exitCode;
      }
      await chosen.executor.cleanup();
    }
  }
  warnAboutLocalImages(manifest, logger);

  const failedRows = failedBuilds.map((failed) => failedBuildRow(failed, runId));
  if (failedRows.length && !dryRun) await appendPerfRows(options.output, failedRows);
  const deployed = await logger.group(dryRun ? 'SLURM dry run' : 'Deploy to SLURM', () =>
    deploySlurm({
      manifest,
      context,
      hubDir,
      runId,
      output: options.output,
      timeout: options.timeout,
      liveOutput: options.liveOutput ?? false,
      repeat: inputs.repeat,
      warmup: inputs.warmup,
      dryRun,
      cliBundle: options.cliBundle,
      redactor,
      logger,
      signal: options.signal,
      client: options.slurmClient,
      onSubmitted: options.onJobSubmitted,
      print: options.print,
    }),
  );
  const results: ModelResult[] = [...failedRows.map(failedBuildResult), ...deployed.results];
  const exitCode = deployed.exitCode !== ExitCode.SUCCESS ? deployed.exitCode : buildExit;
  return {
    runId,
    results,
    cancelled: deployed.cancelled,
    exitCode,
    executor: 'slurm',
    deployment: { target: 'slurm', dryRun, jobIds: deployed.jobIds, outcomes: deployed.outcomes, jobDir: deployed.jobDir },
  };
}

/** Images built here but never pushed exist on this machine only: a node can run them only if it is this machine. */
function warnAboutLocalImages(manifest: BuildManifest, logger: RunOptions['logger']): void {
  const local = Object.entries(manifest.built_images)
    .filter(([, entry]) => entry.dockerfile && !entry.registry_image)
    .map(([image]) => image);
  if (local.length === 0) return;
  logger.warn(
    `${local.length} image(s) are not in a registry (${local.slice(0, 3).join(', ')}${local.length > 3 ? ', ...' : ''}): ` +
      'the compute nodes must already have them; build with --registry so the nodes can pull them',
  );
}

function failedBuildRow(failed: FailedBuild, runId: string): PerfRow {
  return {
    model: failed.model,
    docker_file: failed.dockerfile ?? '',
    deployment_type: 'slurm',
    status: 'FAILURE',
    reason: `build failed: ${failed.error}`,
    run_id: runId,
    executor: 'slurm',
    started_at: new Date().toISOString(),
  };
}

function failedBuildResult(row: PerfRow): ModelResult {
  return { model: row.model ?? '', image: '', status: 'FAILURE', reason: row.reason ?? '', performance: '', metric: '', durationSeconds: 0, rows: [row] };
}
