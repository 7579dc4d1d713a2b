/** Discovery for `madengine discover` and the discover action: the hub's models, or those the tags select. */
import type { Logger } from '../core/log.ts';
import type { DiscoveredModel } from '../core/hub/model.ts';
import type { Catalogue } from '../core/hub/discover.ts';
import { splitTags } from '../core/hub/tags.ts';
import { loadContext, loadSelection, type ContextInput } from './load.ts';

export interface DiscoverOptions {
  hubDir: string;
  tags: readonly string[];
  /** Validated when given, so a bad context fails at the first step of a workflow, not after the builds. */
  context?: ContextInput;
  logger: Logger;
}

export async function discover(options: DiscoverOptions): Promise<{ catalogue: Catalogue; chosen: DiscoveredModel[]; tags: string[] }> {
  if (options.context) await loadContext(options.context, options.logger);
  const tags = splitTags(options.tags);
  const { catalogue, selected } = await loadSelection(options.hubDir, tags, options.logger);
  return { catalogue, chosen: tags.length ? selected : catalogue.models, tags };
}
