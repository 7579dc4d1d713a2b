// Node module hook for running from source: `import text from './x.py'` yields the file's text, like esbuild's
// `loader: { '.py': 'text' }` does in the bundles. Usage: node --import tsx --import ./scripts/text-loader.mjs ...
import { register } from 'node:module';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !new URL(url).pathname.endsWith('.py')) return nextLoad(url, context);
  const text = await readFile(new URL(url), 'utf8');
  return { format: 'module', source: `export default ${JSON.stringify(text)};\n`, shortCircuit: true };
}

// This file is both the --import entry and, loaded again with ?hooks by register(), the hooks module.
if (!import.meta.url.endsWith('?hooks')) {
  register(`${import.meta.url}?hooks`);
  // In a test's process (node --test sets NODE_TEST_CONTEXT there) it also goes into NODE_OPTIONS, for the CLI the
  // tests start from source (node --import tsx src/cli/bin.ts); elsewhere (bench) child processes stay as they are.
  const underTest = process.env.NODE_TEST_CONTEXT !== undefined || process.execArgv.includes('--test');
  const option = `--import ${JSON.stringify(fileURLToPath(import.meta.url))}`;
  const current = process.env.NODE_OPTIONS ?? '';
  if (underTest && !current.includes(option)) process.env.NODE_OPTIONS = current ? `${current} ${option}` : option;
}
