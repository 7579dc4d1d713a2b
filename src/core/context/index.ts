/** Additional context: parse, merge, validate (one schema), and index-list helpers. */
export { parseContextText, lineColumn, isPlainObject } from './parse.ts';
export { loadAdditionalContext, type LoadContextOptions, type LoadedContext } from './load.ts';
export { validateContext, validateContextFrom, formatPath, type ValidatedContext, type SourceOf } from './validate.ts';
export { mergeContexts } from './merge.ts';
export { parseIndexRanges, indexRangeProblem } from './ranges.ts';
export {
  additionalContextSchema,
  slurmSchema,
  k8sSchema,
  distributedSchema,
  pythonString,
  KNOWN_CONTEXT_KEYS,
  GPU_COUNT_ALIASES,
  GPU_VENDORS,
  GUEST_OSES,
  EXECUTORS,
  LAUNCHERS,
  DEPLOY_TARGETS,
  DATA_PROVIDERS,
  type AdditionalContext,
  type Launcher,
  type DeployTarget,
} from './schema.ts';
