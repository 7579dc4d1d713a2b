/**
 * collect-perf: gather perf.csv shards (files and globs, and the artifacts of this workflow run whose
 * names match a pattern), then report them (./report.ts): compare with a baseline, summary, comment,
 * artifact, outputs.
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import path from 'node:path';
import * as core from '@actions/core';
import { ConfigError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { downloadMatching } from '../../github/artifacts.ts';
import { runContext } from '../../github/event.ts';
import { expandFiles } from '../../github/glob.ts';
import { actionsLogger } from '../../github/logger.ts';
import { workspace } from '../../github/run-action.ts';
import type { Shard } from '../../pipeline/report.ts';
import type { Inputs } from './inputs.ts';
import { failOnRegression, reportPerf } from './report.ts';

export async function main(inputs: Inputs, logger: Logger = actionsLogger()): Promise<void> {
  const root = workspace();
  const shards: Shard[] = (await expandFiles(inputs.perfCsv, root, "input 'perf-csv'")).map((file) => ({ file, name: path.relative(root, file) }));
  if (inputs.artifactPattern) shards.push(...(await artifactShards(inputs, logger)));
  logger.info(`merging ${shards.length} perf.csv shard(s)`);
  const result = await reportPerf(shards, inputs, inputs, logger);
  core.setOutput('perf-csv', result.files.perfCsv);
  core.setOutput('failed', String(result.failed));
  failOnRegression(result, inputs);
}

/** The CSV files of every artifact matching artifact-pattern (of this run, or of artifact-run-id), named "artifact <name>/<file>". */
async function artifactShards(inputs: Inputs, logger: Logger): Promise<Shard[]> {
  const pattern = inputs.artifactPattern!;
  const directory = await mkdtemp(path.join(process.env.RUNNER_TEMP ?? workspace(), 'madengine-shards-'));
  const repository = runContext().repository;
  if (inputs.artifactRunId !== undefined && !repository) throw new ConfigError("input 'artifact-run-id' needs GITHUB_REPOSITORY (the repository of that run)");
  const from = inputs.artifactRunId !== undefined && repository ? { token: inputs.token, ...repository, runId: inputs.artifactRunId } : undefined;
  const downloaded = await downloadMatching(pattern, directory, from);
  if (downloaded.length === 0) logger.warn(`no artifact of ${from ? `workflow run ${from.runId}` : 'this workflow run'} matches '${pattern}'`);
  const shards: Shard[] = [];
  for (const artifact of downloaded) {
    const files = (await readdir(artifact.path, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile() && entry.name.endsWith('.csv'))
      .map((entry) => path.join(entry.parentPath, entry.name))
      .sort();
    if (files.length === 0) logger.warn(`artifact '${artifact.name}' holds no .csv file`);
    for (const file of files) shards.push({ file, name: `artifact ${artifact.name}/${path.relative(artifact.path, file)}` });
  }
  return shards;
}
