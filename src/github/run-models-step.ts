/**
 * Running models in an action: a manifest (a path, or an artifact from build-push) or tags on
 * this runner, perf.csv appended and uploaded as an artifact named uniquely per matrix cell, a job
 * summary. The post step removes any container the run left behind when the job was cancelled.
 * Used by the run-local action and the one-step root action.
 */
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import * as core from '@actions/core';
import { ConfigError } from '../core/errors.ts';
import { splitTags } from '../core/hub/tags.ts';
import { cliTimeout } from '../core/run/timeout.ts';
import { newRunId } from '../core/run/run-phase.ts';
import { runWorkflow } from '../workflows/run.ts';
import { cancellationSignal } from '../workflows/cancellation.ts';
import { connectDocker } from '../engines/docker-connection.ts';
import { LABEL_RUN_ID } from '../engines/docker/container-options.ts';
import { booleanInput, integerInput, listInput, optionalInput } from './inputs.ts';
import { actionsLogger } from './logger.ts';
import { workspace } from './run-action.ts';
import { writeSummaryTable } from './summary.ts';
import { downloadNamed, uploadFiles } from './artifacts.ts';
import { maskHubSecrets } from './secrets.ts';

async function manifestPath(root: string): Promise<string | undefined> {
  const file = optionalInput('manifest');
  const artifact = optionalInput('manifest-artifact');
  if (file && artifact) throw new ConfigError("inputs 'manifest' and 'manifest-artifact' cannot be used together");
  if (file) return path.resolve(root, file);
  if (!artifact) return undefined;
  const directory = await downloadNamed(artifact, await mkdtemp(path.join(process.env.RUNNER_TEMP ?? root, 'madengine-manifest-')));
  return path.join(directory, 'build_manifest.json');
}

/** Unique per matrix cell (and per output file within a job), stable across re-runs of the same cell. */
function defaultArtifactName(tags: readonly string[], manifest: string | undefined, output: string): string {
  const cell = createHash('sha256').update(JSON.stringify([process.env.GITHUB_JOB, tags, manifest ? path.basename(manifest) : '', optionalInput('manifest-artifact'), process.env.RUNNER_NAME, output])).digest('hex');
  return `perf-${process.env.GITHUB_JOB ?? 'run'}-${cell.slice(0, 10)}`;
}

export async function runModelsStep(options: { defaultTags: string[] }): Promise<void> {
  const logger = actionsLogger();
  const root = workspace();
  const manifest = await manifestPath(root);
  const given = splitTags(listInput('tags'));
  const tags = given.length || manifest ? given : options.defaultTags;
  if (!manifest && tags.length === 0) throw new ConfigError("give 'manifest', 'manifest-artifact' or 'tags'");
  const output = path.resolve(root, optionalInput('output') ?? 'perf.csv');
  const runId = newRunId();
  core.saveState('run-id', runId);
  const contextText = optionalInput('additional-context');
  const contextFile = optionalInput('additional-context-file');
  const { signal, dispose } = cancellationSignal(logger);
  const hubDir = path.resolve(root, optionalInput('hub') ?? '.');
  await maskHubSecrets(hubDir);
  let result;
  try {
    result = await runWorkflow({
      hubDir,
      tags,
      manifestFile: manifest,
      timeout: cliTimeout(integerInput('timeout', -1)),
      ...(contextText !== undefined ? { contextText, contextTextSource: "input 'additional-context'" } : {}),
      ...(contextFile !== undefined ? { contextFile: path.resolve(root, contextFile) } : {}),
      keepAlive: booleanInput('keep-alive', false),
      manifestOutput: path.join(path.dirname(output), 'build_manifest.json'),
      output,
      runId,
      logger,
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
  await writeSummaryTable(
    `madengine run: ${succeeded} succeeded, ${failed} failed (${result.executor})`,
    ['Model', 'Status', 'Performance', 'Metric', 'Duration (s)', 'Reason'],
    result.results.map((r) => [r.model, r.status, r.performance, r.metric, r.durationSeconds.toFixed(2), r.reason]),
  );
  if (booleanInput('upload-artifact', true)) {
    const name = optionalInput('artifact-name') ?? defaultArtifactName(tags, manifest, path.relative(workspace(), output));
    await uploadFiles(name, [output], path.dirname(output));
    core.setOutput('artifact-name', name);
    core.info(`uploaded ${output} as artifact '${name}'`);
  }
  if (result.cancelled) throw new Error('the run was cancelled; finished models kept their perf.csv rows');
  if (failed > 0 && !booleanInput('continue-on-failure', false)) {
    throw new Error(`${failed} model(s) failed (see the job summary and perf.csv); set continue-on-failure: true to keep the job green`);
  }
}

/** Cancelled jobs: remove every container this run created (keep-alive ones were asked for, and are kept). */
export async function runModelsPost(): Promise<void> {
  const runId = core.getState('run-id');
  if (!runId) return;
  if (booleanInput('keep-alive', false)) return;
  let docker;
  try {
    docker = await connectDocker();
    await docker.ping();
  } catch {
    return; // no engine: the host executor kills its process group itself
  }
  const containers = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_RUN_ID}=${runId}`] }) });
  for (const container of containers) {
    await docker.getContainer(container.Id).remove({ force: true });
    core.info(`removed container ${container.Names[0] ?? container.Id} left by run ${runId}`);
  }
}

