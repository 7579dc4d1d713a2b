import { readFileSync } from 'node:fs';

// Bundles get the version inlined by the build (scripts/build.mjs); from source it is read from package.json.
declare const __MADENGINE_VERSION__: string | undefined;

export const VERSION: string =
  typeof __MADENGINE_VERSION__ === 'string'
    ? __MADENGINE_VERSION__
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
