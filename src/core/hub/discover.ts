/**
 * Model discovery from a MAD-format hub (compat §1.1): the root models.json, then
 * scripts/<dir>/models.json (static) in sorted directory order, then
 * scripts/<dir>/get_models_json.py (dynamic). Sub-catalogue names get a `<dir>/` prefix and
 * their dockerfile/scripts paths are rewritten relative to the hub root.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { DiscoveryError, errorMessage } from '../errors.ts';
import { describeValue } from '../util/describe.ts';
import { parseJsonText } from '../util/json-file.ts';
import { formatIssue } from '../util/zod.ts';
import { MODEL_ISSUE_WORDING, normaliseModel } from './normalise.ts';
import type { DiscoveredModel, Model, ModelOrigin } from './model.ts';
import { subCataloguePath } from './paths.ts';
import { runDynamicCatalogues } from './python-shim.ts';
import type { DynamicResult } from './python-shim.ts';
import { isPlainObject } from '../util/object.ts';
import { isDirectory } from '../util/fs.ts';
import { modelNameProblem } from '../images/naming.ts';

export interface Catalogue {
  /** Absolute path of the hub root. */
  hubDir: string;
  /** Root models first, then static sub-catalogues (sorted by directory), then dynamic ones. */
  models: DiscoveredModel[];
}

export interface DiscoverOptions {
  /** Python interpreter for get_models_json.py files. Default `python3`. */
  python?: string;
  /** Limit for running all get_models_json.py files. Default 60 000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A sub-catalogue directory under scripts/ and the kind of catalogue it holds. */
interface SubCatalogue {
  dir: string;
  file: string; // hub-relative
  kind: 'static' | 'dynamic';
}

const ROOT_CATALOGUE = 'models.json';

export async function discoverModels(hubDir: string, options: DiscoverOptions = {}): Promise<Catalogue> {
  const root = path.resolve(hubDir);
  // Paths in messages (and on errors, for annotations) are shown the way the caller named the hub.
  const display = (relative: string): string => path.join(hubDir, relative);
  await checkHubDir(root, hubDir);

  // Everything is read concurrently, python3 included; a failure anywhere stops the python run early.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const watch = <T>(promise: Promise<T>): Promise<T> => {
    promise.catch(() => stop.abort());
    return promise;
  };
  // Catalogues are parsed as soon as they are read, while python3 is still running.
  const rootModels = watch(
    readCatalogue(root, ROOT_CATALOGUE, display, true).then((text) =>
      catalogueModels(parseJsonText(text, display(ROOT_CATALOGUE)), ROOT_CATALOGUE, 'root', display),
    ),
  );
  const subs = watch(listSubCatalogues(root, display));
  const statics = watch(
    subs.then((found) =>
      allInOrder(
        found
          .filter((sub) => sub.kind === 'static')
          .map(async (sub) => {
            const text = await readCatalogue(root, sub.file, display, false);
            return catalogueModels(parseJsonText(text, display(sub.file)), sub.file, 'static', display, sub.dir);
          }),
      ),
    ),
  );
  const dynamics = watch(
    subs.then((found) => {
      const files = found.filter((sub) => sub.kind === 'dynamic').map((sub) => sub.file);
      return runDynamicCatalogues(root, files, { python: options.python, timeoutMs: options.timeoutMs, signal, display });
    }),
  );
  const settled = await Promise.allSettled([rootModels, subs, statics, dynamics]);
  options.signal?.throwIfAborted();
  // Report the first problem in catalogue order, whichever finished first.
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;

  const models: DiscoveredModel[] = [...(await rootModels), ...(await statics).flat()];
  const byFile = new Map((await dynamics).map((result) => [result.file, result]));
  const failures: DynamicResult[] = [];
  for (const sub of (await subs).filter((entry) => entry.kind === 'dynamic')) {
    const result = byFile.get(sub.file);
    if (result === undefined || 'error' in result) {
      failures.push(result ?? { file: sub.file, error: 'no result was reported', line: null });
      continue;
    }
    models.push(...catalogueModels(result.models, sub.file, 'dynamic', display, sub.dir));
  }
  if (failures.length > 0) throw dynamicFailure(failures, display);

  checkUniqueNames(models, display);
  return { hubDir: root, models };
}

/** Like Promise.all, but on failure rejects with the first failure in list order, not in time. */
async function allInOrder<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<T>).value);
}

async function checkHubDir(root: string, hubDir: string): Promise<void> {
  try {
    if (!(await stat(root)).isDirectory()) throw new DiscoveryError(`hub '${hubDir}' is not a directory`, { file: hubDir });
  } catch (error) {
    if (error instanceof DiscoveryError) throw error;
    throw new DiscoveryError(`hub directory '${hubDir}' (${root}) does not exist or cannot be read: ${errorMessage(error)}`, {
      file: hubDir,
      cause: error,
    });
  }
}

async function readCatalogue(root: string, file: string, display: (relative: string) => string, isRoot: boolean): Promise<string> {
  try {
    return await readFile(path.join(root, file), 'utf8');
  } catch (error) {
    const hint =
      isRoot && errnoCode(error) === 'ENOENT'
        ? `not found; a MAD hub needs a models.json (a JSON list of models) at its root (${root})`
        : `cannot be read: ${errorMessage(error)}`;
    throw new DiscoveryError(`${display(file)}: ${hint}`, { file: display(file), cause: error });
  }
}

/** scripts/<dir> entries holding a catalogue, sorted by name (madengine uses filesystem order). */
async function listSubCatalogues(root: string, display: (relative: string) => string): Promise<SubCatalogue[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(path.join(root, 'scripts'), { withFileTypes: true });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return []; // a hub without sub-catalogues needs no scripts/ directory
    throw new DiscoveryError(`${display('scripts')}: cannot be listed: ${errorMessage(error)}`, { file: display('scripts'), cause: error });
  }
  const names = entries.map((entry) => entry.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const found = await Promise.all(
    names.map(async (dir): Promise<SubCatalogue | undefined> => {
      const base = path.join(root, 'scripts', dir);
      const [isDir, hasStatic, hasDynamic] = await Promise.all([
        isDirectory(base),
        exists(path.join(base, 'models.json')),
        exists(path.join(base, 'get_models_json.py')),
      ]);
      if (!isDir) return undefined;
      if (hasStatic && hasDynamic) {
        throw new DiscoveryError(
          `${display(`scripts/${dir}`)}: has both models.json and get_models_json.py; a sub-catalogue directory must use exactly one of them`,
          { file: display(`scripts/${dir}/get_models_json.py`) },
        );
      }
      if (hasStatic) return { dir, file: `scripts/${dir}/models.json`, kind: 'static' };
      if (hasDynamic) return { dir, file: `scripts/${dir}/get_models_json.py`, kind: 'dynamic' };
      return undefined;
    }),
  );
  return found.filter((sub): sub is SubCatalogue => sub !== undefined);
}

/**
 * Validate one catalogue's entries with madengine's defaults, prefix sub-catalogue names with
 * `<dir>/` and rewrite their paths relative to the hub root. All bad entries are reported at once.
 */
function catalogueModels(raw: unknown, file: string, kind: ModelOrigin['kind'], display: (relative: string) => string, dir?: string): DiscoveredModel[] {
  if (!Array.isArray(raw)) {
    throw new DiscoveryError(`${display(file)}: expected a JSON list of model objects, found ${describeValue(raw)}`, {
      file: display(file),
    });
  }
  const problems: string[] = [];
  const models: DiscoveredModel[] = [];
  raw.forEach((entry: unknown, index) => {
    const where = `${display(file)}[${index}]${entryName(entry)}`;
    if (!isPlainObject(entry)) {
      problems.push(`${where}: expected a model object, found ${describeValue(entry)}`);
      return;
    }
    if (kind === 'static') {
      // madengine fails on these (KeyError): a sub-catalogue path cannot be rewritten without them.
      for (const key of ['dockerfile', 'scripts']) {
        if (!(key in entry)) problems.push(`${where}: key '${key}' is required in a sub-catalogue (a path relative to scripts/${dir}/)`);
      }
    }
    const parsed = normaliseModel(entry);
    if (!parsed.success) {
      problems.push(...parsed.issues.map((issue) => `${where}: ${formatIssue(issue, entry, MODEL_ISSUE_WORDING)}`));
      return;
    }
    const model: Model = parsed.data;
    if (dir !== undefined) {
      model.name = `${dir}/${model.name}`;
      model.dockerfile = subCataloguePath(dir, model.dockerfile);
      model.scripts = subCataloguePath(dir, model.scripts);
    }
    const badName = modelNameProblem(model.name);
    if (badName !== undefined) {
      problems.push(`${where}: key 'name': ${badName}`);
      return;
    }
    models.push({ model, origin: { file, kind, index } });
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : '';
    throw new DiscoveryError(problems.length === 1 ? `invalid model: ${shown[0]}` : `invalid models in ${display(file)}:\n  ${shown.join('\n  ')}${more}`, {
      file: display(file),
    });
  }
  return models;
}

function dynamicFailure(failures: readonly DynamicResult[], display: (relative: string) => string): DiscoveryError {
  const lines = failures.map((failure) => {
    const line = 'line' in failure && failure.line ? `:${failure.line}` : '';
    return `${display(failure.file)}${line}: ${'error' in failure ? failure.error : 'failed'}`;
  });
  const first = failures[0]!;
  const line = 'line' in first && first.line ? first.line : undefined;
  const message = lines.length === 1 ? `get_models_json.py failed: ${lines[0]}` : `${lines.length} get_models_json.py files failed:\n  ${lines.join('\n  ')}`;
  return new DiscoveryError(message, { file: display(first.file), ...(line === undefined ? {} : { line }) });
}

function checkUniqueNames(models: readonly DiscoveredModel[], display: (relative: string) => string): void {
  const seen = new Map<string, ModelOrigin>();
  for (const { model, origin } of models) {
    const first = seen.get(model.name);
    if (first === undefined) {
      seen.set(model.name, origin);
      continue;
    }
    throw new DiscoveryError(
      `duplicate model name '${model.name}': defined in ${display(first.file)}[${first.index}] and in ` +
        `${display(origin.file)}[${origin.index}]; model names must be unique across the hub`,
      { file: display(origin.file) },
    );
  }
}

function entryName(entry: unknown): string {
  if (typeof entry === 'object' && entry !== null && 'name' in entry && typeof entry.name === 'string') {
    return ` ('${entry.name}')`;
  }
  return '';
}

async function exists(target: string): Promise<boolean> {
  try {
    await stat(target);
    return true;
  } catch {
    return false;
  }
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
