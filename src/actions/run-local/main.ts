/**
 * run-local (and the one-step root action): run a manifest (a path, or an artifact from
 * build-push) or tags on this self-hosted runner, append perf.csv and upload it as an artifact
 * named uniquely per matrix cell, write a job summary. The post step stops any host process and
 * removes any container the run left behind when the job was cancelled or its process killed, and
 * publishes the logs a killed run left in its staging directory.
 */
import path from 'node:path';
import * as core from '@actions/core';
import type { Logger } from '../../core/log.ts';
import { releaseDeadRun } from '../../core/run/run-dir-lock.ts';
import { newRunId } from '../../core/run/run-phase.ts';
import { publishAbandonedStaging } from '../../core/run/staging.ts';
import { uploadFiles } from '../../github/artifacts.ts';
import { actionsLogger } from '../../github/logger.ts';
import { maskValues } from '../../github/masking.ts';
import { workspace } from '../../github/run-action.ts';
import { getState, saveState } from '../../github/state.ts';
import { writeSummaryTable } from '../../github/summary.ts';
import { cancellationSignal } from '../../pipeline/cancellation.ts';
import { removeRunContainers } from '../../pipeline/cleanup.ts';
import { runModels, type RunResult } from '../../pipeline/run.ts';
import type { Inputs } from './inputs.ts';
import { defaultPerfArtifactName } from '../perf-artifact.ts';
import { downloadManifest } from '../manifest-artifact.ts';

export async function main(inputs: Inputs, logger: Logger = actionsLogger()): Promise<void> {
  const manifest = inputs.manifest ?? (inputs.manifestArtifact ? await downloadManifest(inputs.manifestArtifact) : undefined);
  const { output } = inputs;
  const runId = newRunId();
  saveState('run-id', runId);
  const { signal, dispose } = cancellationSignal(logger);
  let result: RunResult;
  try {
    result = await runModels({
      hubDir: inputs.hubDir,
      tags: inputs.tags,
      manifestFile: manifest,
      timeout: inputs.timeout,
      repeat: inputs.repeat,
      warmup: inputs.warmup,
      context: inputs.context,
      keepAlive: inputs.keepAlive,
      manifestOutput: path.join(path.dirname(output), 'build_manifest.json'),
      output,
      runId,
      logger,
      // Every secret the pipeline learns (credentials, MAD_SECRETS* of the env and the context) is masked on the runner.
      onSecrets: maskValues,
      signal,
    });
  } finally {
    dispose();
  }
  const succeeded = result.results.filter((r) => r.status === 'SUCCESS').length;
  const failed = result.results.filter((r) => r.status === 'FAILURE').length;
  core.setOutput('perf-csv', output);
  core.setOutput('succeeded', String(succeeded));
  core.setOutput('failed', String(failed));
  // With repeats every sample is a line of its own: the Sample column tells them apart.
  const samples = inputs.repeat > 1;
  await writeSummaryTable(
    `madengine run: ${succeeded} succeeded, ${failed} failed (${result.executor})`,
    ['Model', ...(samples ? ['Sample'] : []), 'Status', 'Performance', 'Metric', 'Duration (s)', 'Reason'],
    result.results.map((r) => [
      r.model,
      ...(samples ? [r.sample === undefined ? '' : String(r.sample)] : []),
      r.status,
      r.performance,
      r.metric,
      r.durationSeconds.toFixed(2),
      r.reason,
    ]),
  );
  if (inputs.uploadArtifact) {
    const name =
      inputs.artifactName ??
      defaultPerfArtifactName({ tags: inputs.tags, manifest, manifestArtifact: inputs.manifestArtifact, output: path.relative(workspace(), output) });
    await uploadFiles(name, [output], path.dirname(output));
    core.setOutput('artifact-name', name);
    core.info(`uploaded ${output} as artifact '${name}'`);
  }
  if (result.cancelled) throw new Error('the run was cancelled; finished models kept their perf.csv rows');
  if (failed > 0 && !inputs.continueOnFailure) {
    throw new Error(`${failed} model run(s) failed (see the job summary and perf.csv); set continue-on-failure: true to keep the job green`);
  }
}

/**
 * Cancelled or killed jobs: stop the host model processes this run left running and free its hub (by
 * the run-dir lock's record), and remove every container this run created (keep-alive ones were
 * asked for, and are kept; keep-alive never keeps host processes).
 */
export async function post(inputs: Pick<Inputs, 'keepAlive' | 'hubDir' | 'output'>, logger: Logger = actionsLogger()): Promise<void> {
  const runId = getState('run-id');
  if (!runId) return;
  await releaseDeadRun(inputs.hubDir, runId, logger);
  // A killed main step never published its model's log and result copies: give them their documented names.
  const abandoned = await publishAbandonedStaging(path.dirname(inputs.output));
  for (const message of abandoned.published) logger.info(message);
  for (const problem of abandoned.problems) logger.warn(problem);
  if (inputs.keepAlive) return;
  await removeRunContainers(runId, logger);
}
