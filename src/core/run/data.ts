/**
 * Data providers (compat §3.6) for `--data-config` data.json: `local` (a host path mounted
 * read-only at MAD_DATAHOME) and `custom` (a hub script that fetches data into MAD_DATAHOME
 * before the model runs). Providers are tried in madengine's order custom -> local -> minio ->
 * nas -> aws; the network providers are reported as unsupported here instead of silently skipped.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Mount, ScriptStep } from './executor.ts';

export type DataConfig = Record<string, Record<string, Record<string, unknown>>>;

export interface PreparedData {
  dataname: string;
  provider: string;
  env: Record<string, string>;
  mounts: Mount[];
  preScripts: ScriptStep[];
}

const ORDER = ['custom', 'local', 'minio', 'nas', 'aws'] as const;

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
