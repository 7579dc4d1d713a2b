/**
 * Before a model runs: every file its run script copies or runs (the model's script dir tree, pre- and
 * post-scripts) must really lie inside the hub. The run script copies with `cp -L`, so a symlink in the
 * hub pointing elsewhere (`scripts/x -> /etc`) would otherwise bring, and run, files from outside it.
 */
import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { ModelRunSpec } from './executor.ts';
import { resolveModelCommand, scriptPath } from './script.ts';

/** Why `relative` (or something under it) escapes the hub, else undefined. Missing paths are left to the script's own error. */
async function escapes(hubReal: string, hubDir: string, relative: string, visited: Set<string>): Promise<string | undefined> {
  const absolute = path.join(hubDir, relative);
  let real: string;
  try {
    real = await realpath(absolute);
  } catch {
    return undefined; // missing or dangling: cp fails on it and says so
  }
  if (real !== hubReal && !real.startsWith(hubReal + path.sep)) {
    const link = await symlinkOnTheWay(hubDir, relative);
    const through = link === undefined ? '' : ` (through the symlink ${link.path} -> ${link.target})`;
    return `${relative} resolves to ${real}, outside the model hub ${hubReal}${through}`;
  }
  if (visited.has(real) || !(await lstat(real)).isDirectory()) return undefined;
  visited.add(real);
  for (const name of (await readdir(real)).sort()) {
    const problem = await escapes(hubReal, hubDir, path.join(relative, name), visited);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** The first symlink among the components of `relative`, to show where the path was sent. */
async function symlinkOnTheWay(hubDir: string, relative: string): Promise<{ path: string; target: string } | undefined> {
  const parts = relative.split(/[\\/]/);
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    try {
      if ((await lstat(path.join(hubDir, prefix))).isSymbolicLink()) return { path: prefix, target: await readlink(path.join(hubDir, prefix)) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Why the model must not run because a script path leaves the hub (the message names the path and
 * where it points), else undefined. Lexically bad paths throw the run script's ConfigError.
 */
export async function scriptPathProblem(spec: Pick<ModelRunSpec, 'hubDir' | 'script' | 'preScripts' | 'postScripts'>): Promise<string | undefined> {
  const hubReal = await realpath(spec.hubDir);
  const sources = [
    ...spec.preScripts.map((step, index) => scriptPath(step.path, `pre-scripts[${index}].path`)),
    resolveModelCommand(spec.script).sourceDir,
    ...spec.postScripts.map((step, index) => scriptPath(step.path, `post-scripts[${index}].path`)),
  ];
  const visited = new Set<string>();
  for (const source of sources) {
    const problem = await escapes(hubReal, spec.hubDir, source, visited);
    if (problem !== undefined) return `refusing to run: ${problem}; scripts must stay inside the hub (replace the symlink with a copy)`;
  }
  return undefined;
}
