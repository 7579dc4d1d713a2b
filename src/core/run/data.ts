/**
 * Data providers (compat §3.6) for `--data-config` data.json: `local` (a host path mounted
 * read-only at MAD_DATAHOME) and `custom` (a hub script that fetches data into MAD_DATAHOME
 * before the model runs). Providers are tried in madengine's order custom -> local -> minio ->
 * nas -> aws; the network providers are reported as unsupported here instead of silently skipped.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { describeValue } from '../util/describe.ts';
import { closestMatch } from '../util/suggest.ts';
import { formatIssue } from '../util/zod.ts';
import type { Mount, ScriptStep } from './executor.ts';

export interface PreparedData {
  dataname: string;
  provider: string;
  env: Record<string, string>;
  mounts: Mount[];
  preScripts: ScriptStep[];
}

const ORDER = ['custom', 'local', 'minio', 'nas', 'aws'] as const;

/** Keys every provider may have (compat §3.6); network providers keep their own keys (endpoints...) too. */
const settingsShape = {
  path: z.string({ error: 'a string (the source path)' }).optional(),
  home: z.string({ error: 'a string (MAD_DATAHOME in the container)' }).optional(),
  mirrorlocal: z.string({ error: 'a string (a host directory)' }).optional(),
  args: z.string({ error: 'a string (arguments of the custom script)' }).optional(),
  readwrite: z.union([z.boolean(), z.enum(['true', 'false'])], { error: 'true or false' }).optional(),
};
const withPath = z.looseObject({ ...settingsShape, path: z.string({ error: 'a string (the source path)' }) });
const providerSchema = z.strictObject(
  {
    custom: withPath.optional(),
    local: withPath.optional(),
    minio: z.looseObject(settingsShape).optional(),
    nas: z.looseObject(settingsShape).optional(),
    aws: z.looseObject(settingsShape).optional(),
  },
  { error: `an object of providers (${ORDER.join(', ')})` },
);
const dataConfigSchema = z.record(z.string(), providerSchema, { error: 'an object of {"<data name>": {"<provider>": {...}}}' });

/** data.json, validated (parseDataConfig). */
export type DataConfig = z.output<typeof dataConfigSchema>;

/**
 * Validate a parsed data.json (`file` names it in errors): every problem with its key path, the value
 * found and what is valid; an unknown provider gets the closest known name.
 */
export function parseDataConfig(raw: unknown, file: string): DataConfig {
  const parsed = dataConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const suggestion = closestMatch(key, ORDER, 2);
        return `${[...issue.path, key].join('.')}: unknown provider '${key}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; known: ${ORDER.join(', ')}`;
      });
    }
    return [
      formatIssue(issue, raw, {
        missing: (at, { message }) => `${at}: missing; expected ${message}`,
        invalid: (at, value, { message }) => `${at || '(top level)'}: expected ${message}, found ${describeValue(value)}`,
      }),
    ];
  });
  throw new ConfigError(`${file}: invalid data config: ${problems.join('; ')}`, { file });
}

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

/**
 * Resolve a model's `data` (comma-separated names) against the data config. Unknown names are
 * errors; a name with no usable provider leaves the model to run without data (as madengine),
 * with a warning.
 */
export async function prepareData(
  dataField: string,
  config: DataConfig,
  options: { hubDir: string; executor: 'docker' | 'host'; logger: Logger; counter: { next: number } },
): Promise<PreparedData | undefined> {
  const names = dataField
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (names.length === 0) return undefined;
  const homes: string[] = [];
  const result: PreparedData = { dataname: names.join(','), provider: '', env: {}, mounts: [], preScripts: [] };
  const providers: string[] = [];
  for (const name of names) {
    const entry = config[name];
    if (!entry) throw new ConfigError(`data '${name}' is not defined in the data config (known: ${Object.keys(config).join(', ') || 'none'})`);
    const index = options.counter.next++;
    let used: string | undefined;
    for (const provider of ORDER) {
      const settings = entry[provider];
      if (!settings) continue;
      const sourcePath = typeof settings.path === 'string' ? settings.path : '';
      const home = typeof settings.home === 'string' && settings.home ? settings.home : `/data_dlm_${index}`;
      if (provider === 'local') {
        if (!sourcePath || !(await exists(sourcePath))) continue;
        if (options.executor === 'host') homes.push(sourcePath);
        else {
          result.mounts.push({ hostPath: sourcePath, containerPath: home, readOnly: settings.readwrite !== 'true' && settings.readwrite !== true });
          homes.push(home);
        }
      } else if (provider === 'custom') {
        if (!sourcePath || !(await exists(path.resolve(options.hubDir, sourcePath)))) continue;
        const dataHome = options.executor === 'host' ? path.join(options.hubDir, 'run_data', name) : home;
        result.preScripts.push({ path: sourcePath, args: typeof settings.args === 'string' ? settings.args : '', cwd: dataHome });
        homes.push(dataHome);
      } else {
        options.logger.warn(`data '${name}': provider '${provider}' is not supported by this runner yet; trying the next one`);
        continue;
      }
      used = provider;
      break;
    }
    if (used) providers.push(used);
    else options.logger.warn(`data '${name}': no usable provider (tried ${Object.keys(entry).join(', ')}); the model runs without it`);
  }
  if (homes.length === 0) return { ...result, provider: '' };
  result.provider = providers.join(',');
  result.env.MAD_DATAHOME = homes.join(',');
  result.env.MAD_DATANAME = result.dataname;
  return result;
}
