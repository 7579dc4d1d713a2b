/**
 * deploy-slurm: from a self-hosted runner on a SLURM login node, submit every model of a manifest (a
 * path, an artifact, or a build of `tags`) as SLURM jobs, wait for them, append their rows to perf.csv,
 * upload it and write a job summary with queue and run times. The post step scancels the jobs this
 * run submitted (found by the run id in their comment) when the workflow was cancelled.
 */
import path from 'node:path';
import * as core from '@actions/core';
import type { Logger } from '../../core/log.ts';
import { newRunId } from '../../core/run/run-phase.ts';
import { uploadFiles } from '../../github/artifacts.ts';
import { actionsLogger } from '../../github/logger.ts';
import { maskValues } from '../../github/masking.ts';
import { workspace } from '../../github/run-action.ts';
import { getState, saveState } from '../../github/state.ts';
import { writeSummaryTable } from '../../github/summary.ts';
import { cancellationSignal } from '../../pipeline/cancellation.ts';
import { cancelDeployedRun } from '../../pipeline/deploy.ts';
import { runModels, type RunResult } from '../../pipeline/run.ts';
import { downloadManifest } from '../manifest-artifact.ts';
import { defaultPerfArtifactName } from '../perf-artifact.ts';
import type { Inputs } from './inputs.ts';

export async function main(inputs: Inputs, logger: Logger = actionsLogger()): Promise<void> {
  const manifest = inputs.manifest ?? (inputs.manifestArtifact ? await downloadManifest(inputs.manifestArtifact) : undefined);
  const { output } = inputs;
  const runId = newRunId();
  // The post step cancels by this id. A dry run submits nothing, so it leaves none: its post step then
  // needs no SLURM commands (a dry run on a machine without them stays green).
  if (!inputs.dryRun) saveState('run-id', runId);
  const { signal, dispose } = cancellationSignal(logger);
  let result: RunResult;
  try {
    result = await runModels({
      hubDir: inputs.hubDir,
      tags: inputs.tags,
      manifestFile: manifest,
      registry: inputs.registry,
      timeout: inputs.timeout,
      context: inputs.context,
      requiredTarget: 'slurm',
      dryRun: inputs.dryRun,
      manifestOutput: path.join(path.dirname(output), 'build_manifest.json'),
      output,
      runId,
      logger,
      onSecrets: maskValues,
      signal,
    });
  } finally {
    dispose();
  }
  const jobIds = result.deployment?.jobIds ?? [];
  core.setOutput('job-ids', jobIds.join(' '));
  core.setOutput('perf-csv', output);
  const succeeded = result.results.filter((r) => r.status === 'SUCCESS').length;
  const failed = result.results.filter((r) => r.status === 'FAILURE').length;
  // Set on a dry run too (0 and 0), so a later `test "$FAILED" -eq 0` reads a number.
  core.setOutput('succeeded', String(succeeded));
  core.setOutput('failed', String(failed));
  if (result.deployment?.dryRun ?? inputs.dryRun) {
    // `dry_run` in the context is a dry run too: forget the run id saved for the post step.
    if (!inputs.dryRun) saveState('run-id', '');
    core.info('dry run: nothing was submitted');
    return;
  }
  // By the row's job_id: a multiple_results model's rows are named model_1, model_2, ...
  const outcomes = new Map((result.deployment?.outcomes ?? []).map((outcome) => [outcome.jobId, outcome]));
  const seconds = (value: number | undefined): string => (value === undefined ? '' : value.toFixed(0));
  await writeSummaryTable(
    `madengine deploy-slurm: ${succeeded} succeeded, ${failed} failed (jobs ${jobIds.join(', ') || 'none'})`,
    ['Model', 'Job', 'SLURM state', 'Queued (s)', 'Ran (s)', 'Status', 'Performance', 'Metric', 'Reason'],
    result.results.map((r) => {
      const outcome = outcomes.get(r.rows[0]?.job_id ?? '');
      return [
        r.model,
        outcome?.jobId ?? '',
        outcome?.state ?? '',
        seconds(outcome?.queueSeconds),
        seconds(outcome?.runSeconds),
        r.status,
        r.performance,
        r.metric,
        r.reason,
      ];
    }),
  );
  if (inputs.uploadArtifact) {
    const name =
      inputs.artifactName ??
      defaultPerfArtifactName({ tags: inputs.tags, manifest, manifestArtifact: inputs.manifestArtifact, output: path.relative(workspace(), output) });
    await uploadFiles(name, [output], path.dirname(output));
    core.setOutput('artifact-name', name);
    core.info(`uploaded ${output} as artifact '${name}'`);
  }
  if (result.cancelled) throw new Error('the deployment was cancelled: its jobs were cancelled, finished models kept their perf.csv rows');
  if (failed > 0 && !inputs.continueOnFailure) {
    throw new Error(`${failed} model(s) failed (see the job summary and perf.csv); set continue-on-failure: true to keep the job green`);
  }
}

/** After a cancelled or killed main step: scancel every job still queued or running under this run's id, and nothing else. */
export async function post(logger: Logger = actionsLogger()): Promise<void> {
  const runId = getState('run-id');
  if (!runId) return;
  await cancelDeployedRun(runId, logger);
}
