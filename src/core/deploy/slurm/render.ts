/**
 * The SLURM script templates (templates/slurm/*.njk, bundled as text) and the nunjucks environment that
 * renders them: autoescape off, throwOnUndefined, and a filter on every interpolation:
 *   sh          a bash word: always single-quoted, so nothing in it is ever expanded;
 *   sbatch      an #SBATCH value: checked (no whitespace, quotes, backslash, '#', control characters), unquoted;
 *   sbatchPath  an #SBATCH path: double-quoted with \" and \\ escapes, as sbatch's own line parser reads it;
 *   name        a variable name: checked against [A-Za-z_][A-Za-z0-9_]*, unquoted.
 */
import nunjucks from 'nunjucks';
import { ConfigError } from '../../errors.ts';
import { ENV_NAME } from '../../util/env-name.ts';
import { shellQuote } from '../../run/script.ts';
import { checkSbatchValue } from './settings.ts';
import arraySh from '../../../../templates/slurm/array.sh.njk';
import jobSh from '../../../../templates/slurm/job.sh.njk';
import multiSh from '../../../../templates/slurm/multi.sh.njk';
import partsSh from '../../../../templates/slurm/parts.sh.njk';
import taskSh from '../../../../templates/slurm/task.sh.njk';

/** Every template by name. */
export const SLURM_TEMPLATES: Readonly<Record<string, string>> = {
  'array.sh.njk': arraySh,
  'job.sh.njk': jobSh,
  'multi.sh.njk': multiSh,
  'parts.sh.njk': partsSh,
  'task.sh.njk': taskSh,
};

/** The filters an interpolation may end with. */
export const SLURM_FILTERS = ['sh', 'sbatch', 'sbatchPath', 'name'] as const;

/** A value a script may hold: strings and finite numbers (booleans only as 0/1, which the plan produces). */
function scalar(value: unknown, filter: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new ConfigError(`SLURM template: the ${filter} filter got ${value === undefined ? 'undefined' : JSON.stringify(value)}, expected a string or number`);
}

/** A bash word holding exactly `value`; a NUL cannot be passed to bash at all. */
export function shFilter(value: unknown): string {
  const text = scalar(value, 'sh');
  if (text.includes('\0')) throw new ConfigError(`SLURM script value ${JSON.stringify(text)}: a NUL character cannot be passed to bash`);
  return shellQuote(text);
}

/** An #SBATCH path: sbatch groups a quoted argument and reads \" and \\ inside it; line breaks cannot be written at all. */
export function sbatchPathFilter(value: unknown, key: string): string {
  const text = scalar(value, 'sbatchPath');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text))
    throw new ConfigError(`${key}: path ${JSON.stringify(text)} holds a control character, which an #SBATCH line cannot carry`);
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

export function nameFilter(value: unknown): string {
  const text = scalar(value, 'name');
  if (!ENV_NAME.test(text)) throw new ConfigError(`SLURM script variable name ${JSON.stringify(text)}: names must match [A-Za-z_][A-Za-z0-9_]*`);
  return text;
}

const loader: nunjucks.ILoader = {
  getSource(name) {
    const src = SLURM_TEMPLATES[name];
    if (src === undefined) throw new Error(`no SLURM template '${name}'`);
    return { src, path: `templates/slurm/${name}`, noCache: false };
  },
};

let environment: nunjucks.Environment | undefined;
/** The ConfigError a filter threw during the current render (nunjucks wraps it in a plain Error without a cause). */
let filterError: ConfigError | undefined;

function guarded<A extends unknown[]>(filter: (...args: A) => string): (...args: A) => string {
  return (...args) => {
    try {
      return filter(...args);
    } catch (error) {
      if (error instanceof ConfigError) filterError ??= error;
      throw error;
    }
  };
}

function slurmEnvironment(): nunjucks.Environment {
  if (environment === undefined) {
    environment = new nunjucks.Environment(loader, { throwOnUndefined: true, trimBlocks: true, lstripBlocks: true, autoescape: false });
    environment.addFilter('sh', guarded(shFilter));
    environment.addFilter(
      'sbatch',
      guarded((value: unknown, key: string) => checkSbatchValue(value, key)),
    );
    environment.addFilter('sbatchPath', guarded(sbatchPathFilter));
    environment.addFilter('name', guarded(nameFilter));
  }
  return environment;
}

/**
 * Renders a template of SLURM_TEMPLATES. A ConfigError from a filter (a value that cannot go where the
 * template puts it) surfaces as itself, not as nunjucks' template error.
 */
export function renderSlurmTemplate(name: string, context: object): string {
  filterError = undefined;
  try {
    return slurmEnvironment().render(name, context);
  } catch (error) {
    if (filterError) throw filterError;
    throw error;
  } finally {
    filterError = undefined;
  }
}
