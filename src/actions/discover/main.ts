/** discover: the models of a hub (or those `tags` select) as a JSON output and a job-summary table. */
import * as core from '@actions/core';
import type { Logger } from '../../core/log.ts';
import { actionsLogger } from '../../github/logger.ts';
import { writeSummaryTable } from '../../github/summary.ts';
import { discover } from '../../pipeline/discover.ts';
import type { Inputs } from './inputs.ts';

export async function main(inputs: Inputs, logger: Logger = actionsLogger()): Promise<void> {
  const { catalogue, chosen, tags } = await discover({ hubDir: inputs.hubDir, tags: inputs.tags, context: inputs.context, logger });
  core.setOutput('models', JSON.stringify(chosen.map((entry) => entry.model)));
  core.setOutput('count', String(chosen.length));
  core.info(`${chosen.length} model(s)${tags.length ? ` selected by ${tags.join(', ')}` : ''} of ${catalogue.models.length} in ${inputs.hubDir}`);
  await writeSummaryTable(
    `madengine: ${chosen.length} model(s)`,
    ['Model', 'Tags', 'GPUs', 'Dockerfile', 'Catalogue'],
    chosen.map(({ model, origin }) => [model.name, model.tags.join(', '), model.n_gpus, model.dockerfile, origin.file]),
  );
}
