/**
 * Hub-relative path arithmetic with Python's `os.path` semantics, so rewritten paths are
 * byte-for-byte what madengine would write into build_manifest.json.
 */
import path from 'node:path';
import { ConfigError } from '../errors.ts';

/** `os.path.normpath` for posix paths (unlike node's normalize, drops trailing slashes; "" -> "."). */
export function pythonNormpath(value: string): string {
  const normalised = path.posix.normalize(value === '' ? '.' : value);
  return normalised.length > 1 && normalised.endsWith('/') ? normalised.slice(0, -1) : normalised;
}

/** `os.path.join`: an absolute component discards everything before it. */
export function pythonJoin(...parts: readonly string[]): string {
  let joined = '';
  for (const part of parts) {
    if (part.startsWith('/')) joined = part;
    else if (joined === '' || joined.endsWith('/')) joined += part;
    else joined += `/${part}`;
  }
  return joined;
}

/**
 * A path inside the hub in normalised posix form ("./docker/" -> "docker"). An absolute path or one that
 * climbs out of the hub is a ConfigError "<what> '<shown>' is outside the model hub: <advice>".
 */
export function hubRelative(relative: string, what: string, advice = 'use a path relative to the hub root, e.g. "docker/..."', shown = relative): string {
  const normalised = path.posix.normalize(relative).replace(/\/+$/, '') || '.';
  if (path.posix.isAbsolute(normalised) || normalised === '..' || normalised.startsWith('../')) {
    throw new ConfigError(`${what} '${shown}' is outside the model hub: ${advice}`);
  }
  return normalised;
}

/**
 * A path written relative to `scripts/<dir>/` in a sub-catalogue, rewritten relative to the hub
 * root: `normpath(join("scripts", dir, value))` (compat §1.1, §1.3 step 6).
 */
export function subCataloguePath(dir: string, value: string): string {
  return pythonNormpath(pythonJoin('scripts', dir, value));
}
