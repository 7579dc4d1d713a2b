/**
 * Logins that `docker login` (or docker/login-action) stored in the Docker CLI config, so images a
 * workflow logged in for can be pulled through the Engine API, which does not read that file itself.
 * Only plain `auths` entries are read; credential helpers (credsStore) are not run.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RegistryLogin } from './credentials.ts';
import { DOCKER_HUB_ALIASES, isDockerHub } from './docker-hub.ts';

export async function dockerConfigLogin(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<RegistryLogin | undefined> {
  const file = path.join(env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker'), 'config.json');
  let auths: Record<string, { auth?: string; username?: string; password?: string }>;
  try {
    auths = (JSON.parse(await readFile(file, 'utf8')) as { auths?: typeof auths }).auths ?? {};
  } catch {
    return undefined;
  }
  const keys = isDockerHub(registry) ? DOCKER_HUB_ALIASES : [registry, `https://${registry}`, `http://${registry}`];
  for (const key of keys) {
    const entry = auths[key];
    if (!entry) continue;
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  return undefined;
}
