/**
 * The `slurm` section of the context as validated SLURM options (compat §4.1 "Keys honoured"). Every
 * value that lands on an `#SBATCH` line is checked here with the same rules the templates' `sbatch`
 * filter applies, so a bad value is a ConfigError naming its key before anything is rendered.
 *
 * Defaults differ from madengine's presets on purpose: no partition (the cluster's default partition)
 * and no --time (the partition's default limit) unless given, instead of madengine's `amd-rccl` and
 * 24 h, which exist on one cluster only; no --exclusive unless asked for.
 */
import type { z } from 'zod';
import { ConfigError } from '../../errors.ts';
import { GPU_COUNT_ALIASES, type slurmSchema } from '../../context/schema.ts';

/** The validated section, plus keys the design documents add (typed here so either schema version fits). */
export type SlurmSection = z.output<typeof slurmSchema> & {
  time_limit?: number;
  max_parallel?: number;
  node?: string;
  ntasks_per_node?: number;
};

export interface SlurmSettings {
  partition?: string;
  /** slurm.nodes as given (the model's node count comes from its LaunchSettings). */
  nodes?: number;
  /** GPUs per node as given: a count, -1 (no GPU request), or undefined (from the model). */
  gpusPerNode?: number;
  /** A SLURM time string (normalised: time_limit seconds become D-HH:MM:SS). */
  time?: string;
  exclusive: boolean;
  nodelist?: string;
  exclude?: string;
  constraint?: string;
  qos?: string;
  account?: string;
  reservation?: string;
  mem?: string;
  mailUser?: string;
  mailType?: string;
  modules: string[];
  networkInterface?: string;
  sharedWorkspace?: string;
  outputDir?: string;
  resultsDir?: string;
  /** Array concurrency (%N), undefined: unlimited. */
  maxParallel?: number;
  /** The Node binary on compute nodes: a path or a name on their PATH. */
  node: string;
  /** Tasks (ranks) per node of a multi-task job. */
  ntasksPerNode: number;
}

/** What an `#SBATCH` value may not hold: sbatch splits at whitespace, reads quotes and backslashes, and `#` starts a comment. */
const SBATCH_FORBIDDEN = /[\s"'\\#\p{Cc}]/u;

/** Throws a ConfigError naming `key` unless `value` can be written unquoted on an `#SBATCH` line. */
export function checkSbatchValue(value: unknown, key: string): string {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || text === '') throw new ConfigError(`${key}: got ${JSON.stringify(value)}, expected a non-empty string`);
  if (SBATCH_FORBIDDEN.test(text)) {
    throw new ConfigError(
      `${key}: got ${JSON.stringify(text)}, which cannot be an #SBATCH value: whitespace, quotes, backslashes, '#' and control characters are not allowed`,
    );
  }
  return text;
}

/**
 * SLURM's --time forms: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, and UNLIMITED/INFINITE. Returns seconds
 * (Infinity for unlimited), or undefined when `text` is none of them.
 */
export function slurmTimeSeconds(text: string): number | undefined {
  const value = text.trim();
  if (/^(unlimited|infinite)$/i.test(value)) return Infinity;
  const match = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(value);
  if (!match) return undefined;
  const [, days, a, b, c] = match;
  const n = (part: string | undefined): number => (part === undefined ? 0 : Number(part));
  if (days !== undefined) return n(days) * 86_400 + n(a) * 3600 + n(b) * 60 + n(c); // D-H[:M[:S]]
  if (c !== undefined) return n(a) * 3600 + n(b) * 60 + n(c); // H:M:S
  return n(a) * 60 + n(b); // M[:S]
}

const TIME_FORMS = 'minutes ("30"), "M:S", "H:M:S" ("24:00:00"), "D-H", "D-H:M", "D-H:M:S" ("1-12:00:00"), or UNLIMITED';

/** Seconds as D-HH:MM:SS (what slurm.time_limit becomes). */
export function formatSlurmTime(seconds: number): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const days = Math.floor(seconds / 86_400);
  const rest = seconds % 86_400;
  return `${days}-${pad(Math.floor(rest / 3600))}:${pad(Math.floor((rest % 3600) / 60))}:${pad(rest % 60)}`;
}

function resolveTime(section: SlurmSection, where: string): string | undefined {
  const { time, time_limit: limit } = section;
  let fromLimit: string | undefined;
  if (limit !== undefined) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new ConfigError(`${where}.time_limit: got ${JSON.stringify(limit)}, expected a whole number of seconds >= 1`);
    fromLimit = formatSlurmTime(limit);
  }
  if (time === undefined) return fromLimit;
  const seconds = slurmTimeSeconds(time);
  if (seconds === undefined || seconds === 0) throw new ConfigError(`${where}.time: got ${JSON.stringify(time)}, expected a SLURM time limit: ${TIME_FORMS}`);
  if (limit !== undefined && seconds !== limit) {
    throw new ConfigError(`${where}.time ${JSON.stringify(time)} and ${where}.time_limit ${limit} disagree: give one of them`);
  }
  return checkSbatchValue(time.trim(), `${where}.time`);
}

function positive(value: number | undefined, key: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${key}: got ${JSON.stringify(value)}, expected a whole number >= 1`);
  return value;
}

/** The first GPU-count alias present in the section (compat §3.4 order). */
function gpuCount(section: SlurmSection, where: string): number | undefined {
  for (const alias of GPU_COUNT_ALIASES) {
    const value = section[alias];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < -1)
      throw new ConfigError(`${where}.${alias}: got ${JSON.stringify(value)}, expected a whole number >= 0, or -1 for no GPU request`);
    return value;
  }
  return undefined;
}

/** Validated SLURM options from a context's `slurm` section; `where` names the section in errors ("slurm", "deployment_config.slurm"). */
export function slurmSettings(section: SlurmSection | undefined, where = 'slurm'): SlurmSettings {
  const s = section ?? {};
  const sbatch = (key: keyof SlurmSection & string): string | undefined => {
    const value = s[key];
    return value === undefined ? undefined : checkSbatchValue(value, `${where}.${key}`);
  };
  const text = (key: keyof SlurmSection & string): string | undefined => {
    const value = s[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${where}.${key}: got ${JSON.stringify(value)}, expected a non-empty string`);
    if (value.includes('\0')) throw new ConfigError(`${where}.${key}: a NUL character cannot be passed to bash`);
    return value;
  };
  const modules = (s.modules ?? []).map((name, index) => {
    if (name.trim() === '' || name.includes('\0')) throw new ConfigError(`${where}.modules[${index}]: got ${JSON.stringify(name)}, expected a module name`);
    return name;
  });
  const settings: SlurmSettings = {
    exclusive: s.exclusive === true,
    modules,
    node: text('node') ?? 'node',
    ntasksPerNode: positive(s.ntasks_per_node, `${where}.ntasks_per_node`) ?? 1,
  };
  const assign = <K extends keyof SlurmSettings>(key: K, value: SlurmSettings[K] | undefined): void => {
    if (value !== undefined) settings[key] = value;
  };
  assign('partition', sbatch('partition'));
  assign('nodes', positive(s.nodes, `${where}.nodes`));
  assign('gpusPerNode', gpuCount(s, where));
  assign('time', resolveTime(s, where));
  // Empty host lists (the schema normalises "a, b" and ["a", "b"] to "a,b") mean none.
  assign('nodelist', s.nodelist ? sbatch('nodelist') : undefined);
  assign('exclude', s.exclude ? sbatch('exclude') : undefined);
  assign('constraint', sbatch('constraint'));
  assign('qos', sbatch('qos'));
  assign('account', sbatch('account'));
  assign('reservation', sbatch('reservation'));
  assign('mem', sbatch('mem'));
  assign('mailUser', sbatch('mail_user'));
  assign('mailType', sbatch('mail_type'));
  assign('networkInterface', text('network_interface'));
  assign('sharedWorkspace', text('shared_workspace'));
  assign('outputDir', text('output_dir'));
  assign('resultsDir', text('results_dir'));
  assign('maxParallel', positive(s.max_parallel, `${where}.max_parallel`));
  return settings;
}
