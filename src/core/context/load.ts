/**
 * The additional context from its two inputs, as madengine combines them (compat §2.1): the
 * file first, then the string on top (shallow: a top-level key from the string replaces the file's).
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import { ConfigError, errorMessage } from '../errors.ts';
import { parseContextText } from './parse.ts';
import { type ValidatedContext, validateContext } from './validate.ts';

export interface LoadContextOptions {
  /** The context string (--additional-context / the action input). */
  text?: string;
  /** Path of a JSON (or Python-literal) file holding an object (--additional-context-file). */
  file?: string;
  /** How errors name the string; default "--additional-context". */
  textSource?: string;
  /** Injected for tests; defaults to fs.promises.readFile as UTF-8. */
  readFile?: (path: string) => Promise<string>;
}

export interface LoadedContext extends ValidatedContext {
  /**
   * The merged input before defaults and normalisation. Merge this (not `context`) over a
   * manifest's stored context, so defaults such as gpu_vendor "AMD" do not override stored values.
   */
  raw: Record<string, unknown>;
}

export async function loadAdditionalContext(options: LoadContextOptions = {}): Promise<LoadedContext> {
  const textSource = options.textSource ?? '--additional-context';
  const fromFile = options.file === undefined ? {} : await readContextFile(options.file, options.readFile);
  const fromText = options.text === undefined ? {} : parseContextText(options.text, textSource);
  const raw = { ...fromFile, ...fromText };
  const sourceOf = (key: string) => (options.file !== undefined && !Object.hasOwn(fromText, key) && Object.hasOwn(fromFile, key) ? options.file : textSource);
  return { ...validateContext(raw, sourceOf), raw };
}

async function readContextFile(
  file: string,
  readFile: (path: string) => Promise<string> = (path) => fsReadFile(path, 'utf8'),
): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, expected a file' : errorMessage(error);
    throw new ConfigError(`${file}: cannot read the additional context file: ${reason}`, { file, cause: error });
  }
  return parseContextText(text, file, { file });
}
