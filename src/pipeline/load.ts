/**
 * Loading the inputs every pipeline needs, once each: the additional context, the credentials,
 * the catalogue and its selection, the data-provider config. Nothing below the pipeline reads
 * these from disk or the environment; core steps get the loaded, typed values.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { loadAdditionalContext, type LoadedContext } from '../core/context/load.ts';
import { discoverModels, type Catalogue } from '../core/hub/discover.ts';
import type { DiscoveredModel } from '../core/hub/model.ts';
import { selectModels } from '../core/hub/tags.ts';
import { loadCredentials, type Credentials } from '../core/registry/credentials.ts';
import type { Redactor } from '../core/secrets/redactor.ts';
import { selectSecrets, type SecretSources } from '../core/secrets/selection.ts';
import { parseDataConfig, type DataConfig } from '../core/run/data.ts';
import { readJsonFile } from '../core/util/json-file.ts';

/** Where the additional context comes from: a string (CLI option or action input) and/or a file. */
export interface ContextInput {
  text?: string;
  /** How errors name the string, e.g. "input 'additional-context'" (default "--additional-context"). */
  textSource?: string;
  file?: string;
}

/** The additional context, validated; its warnings (deprecated or unknown keys) go to the log. */
export async function loadContext(input: ContextInput, logger: Logger): Promise<LoadedContext> {
  const loaded = await loadAdditionalContext(input);
  for (const warning of loaded.warnings) logger.warn(warning);
  return loaded;
}

/**
 * The hub's credential.json with MAD_DOCKERHUB_* over it, the context's registry_auth logins
 * (`contextLogins`, registryAuthCredentials) over those, and `extra` (e.g. action inputs) over all.
 */
export async function loadAllCredentials(
  hubDir: string,
  extra: Credentials = {},
  env: NodeJS.ProcessEnv = process.env,
  contextLogins: Credentials = {},
): Promise<Credentials> {
  return { ...(await loadCredentials(hubDir, env)), ...contextLogins, ...extra };
}

export interface Selection {
  catalogue: Catalogue;
  /** The models the tags select (empty for no tags). */
  selected: DiscoveredModel[];
}

/** Discovery of the hub and the selection of the (split) tags: the one place either happens. */
export async function loadSelection(hubDir: string, tags: readonly string[], logger: Logger): Promise<Selection> {
  const catalogue = await logger.group('Discover models', () => discoverModels(hubDir));
  const selected = tags.length ? selectModels(catalogue, tags) : [];
  return { catalogue, selected };
}

/** The data-provider config read when none is named: `<hub>/data.json`, if there is one. */
export const DEFAULT_DATA_CONFIG = 'data.json';

/**
 * `--data-config` (relative to the hub), validated. A file that was named (`file` given) must exist;
 * without one, `<hub>/data.json` is read when it exists. Malformed or invalid is an error either way.
 */
export async function loadDataConfig(hubDir: string, file?: string): Promise<DataConfig | undefined> {
  const candidate = path.resolve(hubDir, file ?? DEFAULT_DATA_CONFIG);
  if (!existsSync(candidate)) {
    if (file === undefined) return undefined;
    throw new ConfigError(`--data-config ${file}: file not found (looked for ${candidate}; relative paths are relative to the hub ${hubDir})`, {
      file: candidate,
    });
  }
  return parseDataConfig(await readJsonFile(candidate, ConfigError), candidate);
}

/** Adds the secrets of `sources` to the pipeline's redactor; each value too short to mask gets its warning. */
export function addSecrets(redactor: Redactor, sources: SecretSources, logger: Logger): void {
  const selection = selectSecrets(sources);
  redactor.add(selection.values);
  for (const warning of selection.warnings) logger.warn(warning);
}
