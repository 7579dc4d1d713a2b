// Node module hook for running from source: `import text from "./x.py"` (or a .njk template) yields the file's text, like esbuild's
// `loader: { '.py': 'text' }` does in the bundles. Usage: node --import tsx --import ./scripts/text-loader.mjs ...
// (tests that start the CLI from source pass the same flags: __tests__/helpers/node.ts fromSource).
import { register } from 'node:module';
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !new URL(url).pathname.match(/\.(py|njk)$/)) return nextLoad(url, context);
  const text = await readFile(new URL(url), 'utf8');
  return { format: 'module', source: `export default ${JSON.stringify(text)};\n`, shortCircuit: true };
}

// This file is both the --import entry and, loaded again with ?hooks by register(), the hooks module.
if (!import.meta.url.endsWith('?hooks')) register(`${import.meta.url}?hooks`);
