/** discover: the models of a hub (or those `tags` select) as a JSON output and a job-summary table. */
import path from 'node:path';
import * as core from '@actions/core';
import { loadAdditionalContext } from '../core/context/load.ts';
import { discoverModels } from '../core/hub/discover.ts';
import { selectModels, splitTags } from '../core/hub/tags.ts';
import { optionalInput, listInput } from '../github/inputs.ts';
import { actionsLogger } from '../github/logger.ts';
import { runAction, workspace } from '../github/run-action.ts';
import { writeSummaryTable } from '../github/summary.ts';

async function main(): Promise<void> {
  const logger = actionsLogger();
  const hub = path.resolve(workspace(), optionalInput('hub') ?? '.');
  const tags = splitTags(listInput('tags'));
  // Validated here so a bad context fails at the first step of a workflow, not after the builds.
  const contextFile = optionalInput('additional-context-file');
  const contextText = optionalInput('additional-context');
  const { warnings } = await loadAdditionalContext({
    ...(contextText !== undefined ? { text: contextText, textSource: "input 'additional-context'" } : {}),
    ...(contextFile !== undefined ? { file: path.resolve(workspace(), contextFile) } : {}),
  });
  for (const warning of warnings) logger.warn(warning);

  const catalogue = await logger.group('Discover models', () => discoverModels(hub));
  const chosen = tags.length ? selectModels(catalogue, tags) : catalogue.models;
  core.setOutput('models', JSON.stringify(chosen.map((entry) => entry.model)));
  core.setOutput('count', String(chosen.length));
  core.info(`${chosen.length} model(s)${tags.length ? ` selected by ${tags.join(', ')}` : ''} of ${catalogue.models.length} in ${hub}`);
  await writeSummaryTable(
    `madengine: ${chosen.length} model(s)`,
    ['Model', 'Tags', 'GPUs', 'Dockerfile', 'Catalogue'],
    chosen.map(({ model, origin }) => [model.name, model.tags.join(', '), model.n_gpus, model.dockerfile, origin.file]),
  );
}

await runAction(main);
