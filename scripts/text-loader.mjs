// Node module hook for running from source: `import text from './x.py'` yields the file's text, like esbuild's
// `loader: { '.py': 'text' }` does in the bundles. Usage: node --import tsx --import ./scripts/text-loader.mjs ...
// It also adds itself to NODE_OPTIONS, so node processes started from here (the CLI through tsx in tests) get it too.
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
  const option = `--import ${JSON.stringify(fileURLToPath(import.meta.url))}`;
  const current = process.env.NODE_OPTIONS ?? '';
  if (!current.includes(option)) process.env.NODE_OPTIONS = current ? `${current} ${option}` : option;
}
