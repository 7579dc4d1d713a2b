/** Model hubs: discovery of a MAD-format hub's models and madengine-compatible tag selection. */
export { discoverModels } from './discover.ts';
export type { Catalogue, DiscoverOptions } from './discover.ts';
export { modelSchema } from './model.ts';
export type { DiscoveredModel, Model, ModelOrigin } from './model.ts';
export { parseTag, selectModels, splitTags, tagMatches } from './tags.ts';
export type { ParsedTag } from './tags.ts';
export { DEFAULT_DISCOVERY_TIMEOUT_MS } from './python-shim.ts';
