/**
 * What integration tests need to find the infrastructure `scripts/test-infra.sh up` started
 * (Docker engine, registries, base image), and a guard that skips a test when it is not up,
 * or fails it when MADENGINE_REQUIRE_INFRA=1 (CI: a missing daemon must never pass silently).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { connectDocker, ensureDocker } from '../../src/engines/docker/connection.ts';

export const DEFAULT_INFRA_DIR = '/tmp/madengine-test-infra';

export interface InfraEnv {
  /** The script's state directory (pidfiles, logs, credentials). */
  stateDir: string;
  /** Set only when the engine is not at the default socket. */
  dockerHost?: string;
  /** Anonymous registry, host:port. */
  registry: string;
  /** htpasswd registry, host:port, with its user and (per-`up`) password. */
  authRegistry: string;
  user: string;
  password: string;
  /** Bearer-token registry; its token service (realm) is run by the tests, signing with `tokenKeyFile`. */
  token?: { registry: string; realm: string; service: string; issuer: string; keyFile: string; certFile: string };
  /** Local busybox + bash image every test can build FROM. */
  baseImage: string;
  /** podman's Docker-compatible API socket (unix://...), when the script started it. */
  podmanHost?: string;
}

export interface InfraNeeds {
  docker?: boolean;
  registries?: boolean;
}

export function infraStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MADENGINE_INFRA_DIR || DEFAULT_INFRA_DIR;
}

/** KEY=VALUE lines of a state file; {} when it is absent. */
export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return values;
}

/**
 * The infrastructure's coordinates: exported variables (`eval "$(bash scripts/test-infra.sh env)"`) win,
 * else the state dir's infra.env / registry-auth.env. Undefined when the registries' details are unknown.
 */
export function infraEnv(env: NodeJS.ProcessEnv = process.env): InfraEnv | undefined {
  const stateDir = infraStateDir(env);
  const files = { ...readEnvFile(path.join(stateDir, 'infra.env')), ...readEnvFile(path.join(stateDir, 'registry-auth.env')) };
  const get = (key: string): string | undefined => env[key] || files[key] || undefined;
  const registry = get('MADENGINE_TEST_REGISTRY');
  const authRegistry = get('MADENGINE_TEST_AUTH_REGISTRY');
  const user = get('MADENGINE_TEST_REGISTRY_USER');
  const password = get('MADENGINE_TEST_REGISTRY_PASSWORD');
  if (!registry || !authRegistry || !user || !password) return undefined;
  const infra: InfraEnv = {
    stateDir,
    registry,
    authRegistry,
    user,
    password,
    baseImage: get('MADENGINE_TEST_BASE_IMAGE') ?? 'madengine/example-base:latest',
  };
  const dockerHost = files.DOCKER_HOST;
  if (dockerHost) infra.dockerHost = dockerHost;
  const podmanHost = get('MADENGINE_TEST_PODMAN_HOST');
  if (podmanHost) infra.podmanHost = podmanHost;
  const tokenRegistry = get('MADENGINE_TEST_TOKEN_REGISTRY');
  const realm = get('MADENGINE_TEST_TOKEN_REALM');
  const keyFile = get('MADENGINE_TEST_TOKEN_KEY');
  const certFile = get('MADENGINE_TEST_TOKEN_CERT');
  if (tokenRegistry && realm && keyFile && certFile) {
    infra.token = {
      registry: tokenRegistry,
      realm,
      service: get('MADENGINE_TEST_TOKEN_SERVICE') ?? 'madengine-test-registry',
      issuer: get('MADENGINE_TEST_TOKEN_ISSUER') ?? 'madengine-test-issuer',
      keyFile,
      certFile,
    };
  }
  return infra;
}

async function registryAnswers(hostPort: string): Promise<string | undefined> {
  try {
    const response = await fetch(`http://${hostPort}/v2/`, { signal: AbortSignal.timeout(5000) });
    await response.body?.cancel();
    return response.status === 200 || response.status === 401 ? undefined : `registry ${hostPort} answered HTTP ${response.status} to /v2/`;
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    return `registry ${hostPort} unreachable: ${cause}`;
  }
}

/** What is missing for `needs` (empty when all is up), plus the coordinates when known. */
export async function probeInfra(needs: InfraNeeds = {}): Promise<{ infra?: InfraEnv; problems: string[] }> {
  const { docker = true, registries = true } = needs;
  const infra = infraEnv();
  const problems: string[] = [];
  if (docker) {
    const host = process.env.DOCKER_HOST || infra?.dockerHost;
    try {
      await ensureDocker(await connectDocker(host ? { host } : {}), { timeoutMs: 5000 });
    } catch (error) {
      problems.push((error as Error).message.split(';')[0]!);
    }
  }
  if (registries) {
    if (infra === undefined) {
      problems.push(`registry coordinates unknown (no MADENGINE_TEST_* variables and no ${infraStateDir()}/registry-auth.env)`);
    } else {
      for (const hostPort of [infra.registry, infra.authRegistry, ...(infra.token ? [infra.token.registry] : [])]) {
        const problem = await registryAnswers(hostPort);
        if (problem !== undefined) problems.push(problem);
      }
    }
  }
  return infra === undefined ? { problems } : { infra, problems };
}

/**
 * Call first in an integration test: returns the coordinates when the infrastructure is up; otherwise skips
 * the test (returns undefined: `if (!infra) return;`), or throws when MADENGINE_REQUIRE_INFRA=1.
 * Also exports DOCKER_HOST when the engine is not at the default socket, so default clients find it.
 */
export async function requireInfra(t: TestContext, needs: InfraNeeds = {}): Promise<InfraEnv | undefined> {
  const { infra, problems } = await probeInfra(needs);
  if (problems.length === 0) {
    if (infra?.dockerHost && !process.env.DOCKER_HOST) process.env.DOCKER_HOST = infra.dockerHost;
    // Registry-only needs still return coordinates; docker-only needs may have none (a bare engine is enough).
    return (
      infra ??
      ({ stateDir: infraStateDir(), registry: '', authRegistry: '', user: '', password: '', baseImage: 'madengine/example-base:latest' } satisfies InfraEnv)
    );
  }
  const message = `test infrastructure not up (${problems.join('; ')}); start it with: bash scripts/test-infra.sh up`;
  if (process.env.MADENGINE_REQUIRE_INFRA === '1') throw new Error(`${message} [MADENGINE_REQUIRE_INFRA=1 forbids skipping]`);
  t.skip(message);
  return undefined;
}
