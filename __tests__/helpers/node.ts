/** The Node binaries the product must run on: Node 24 (actions, from the `node` devDependency) and the system Node 20 (CLI). */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

export const node24 = path.join(repoRoot, 'node_modules/node/bin/node');

/** The Node that runs npm itself (the machine's Node 20 here), else the one running the tests. */
export const systemNode: string = process.env.npm_node_execpath && existsSync(process.env.npm_node_execpath) ? process.env.npm_node_execpath : process.execPath;

/** Node flags that run the TypeScript sources as the tests do: tsx, and .py files imported as text. */
export const fromSource = ['--import', path.join(repoRoot, 'node_modules/tsx/dist/esm/index.mjs'), '--import', path.join(repoRoot, 'scripts/text-loader.mjs')];

/** `node <fromSource> src/cli/bin.ts`: the CLI from its sources. */
export const cliFromSource = [...fromSource, path.join(repoRoot, 'src/cli/bin.ts')];
