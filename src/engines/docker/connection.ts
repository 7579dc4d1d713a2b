/**
 * Connecting to a Docker-API engine: dockerd, or podman through `podman system service` (same API).
 * Where to connect comes from an explicit host, else DOCKER_HOST, else the default unix socket.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { ConfigError, MadError, errorMessage } from '../../core/errors.ts';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export interface DockerConnectionOptions {
  /** unix:///path, /path/to.sock (e.g. a podman socket), tcp://host:port, http(s)://host:port, ssh://user@host. */
  host?: string;
  /** Where DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH are read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface DockerEndpoint {
  /** dockerode's connection options. */
  options: Docker.DockerOptions;
  /** The endpoint as a user would write it, for messages. */
  display: string;
}

export interface DockerEngineInfo {
  version: string;
  apiVersion: string;
  /** True when the engine is podman's Docker-compatible service. */
  podman: boolean;
}

/** The endpoint a host string (or DOCKER_HOST) names; pure apart from reading TLS files for DOCKER_CERT_PATH. */
export function resolveDockerEndpoint(options: DockerConnectionOptions = {}): DockerEndpoint {
  const env = options.env ?? process.env;
  const host = (options.host ?? env.DOCKER_HOST ?? '').trim() || DEFAULT_DOCKER_HOST;
  if (host.startsWith('/')) return { options: { socketPath: host }, display: `unix://${host}` };
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath.startsWith('/')) {
      throw new ConfigError(`Docker host '${host}' has no absolute socket path (expected unix:///path/to/docker.sock)`);
    }
    return { options: { socketPath }, display: host };
  }
  let url: URL;
  try {
    url = new URL(host.includes('://') ? host : `tcp://${host}`);
  } catch {
    throw new ConfigError(invalidHost(host));
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!['tcp', 'http', 'https', 'ssh'].includes(scheme) || url.hostname === '') throw new ConfigError(invalidHost(host));
  if (scheme === 'ssh') {
    return {
      options: { protocol: 'ssh', host: url.hostname, port: url.port || 22, username: url.username || undefined, sshOptions: { agent: env.SSH_AUTH_SOCK } },
      display: host,
    };
  }
  const tls = scheme === 'https' || env.DOCKER_TLS_VERIFY === '1' || url.port === '2376';
  const port = url.port || (tls ? '2376' : '2375');
  const dockerOptions: Docker.DockerOptions = { protocol: tls ? 'https' : 'http', host: url.hostname, port };
  if (tls && env.DOCKER_CERT_PATH) {
    const file = (name: string) => {
      const filePath = path.join(env.DOCKER_CERT_PATH!, name);
      try {
        return readFileSync(filePath);
      } catch (error) {
        throw new ConfigError(`DOCKER_CERT_PATH: cannot read ${filePath}: ${errorMessage(error)} (needs ca.pem, cert.pem, key.pem)`);
      }
    };
    dockerOptions.ca = file('ca.pem');
    dockerOptions.cert = file('cert.pem');
    dockerOptions.key = file('key.pem');
  }
  return { options: dockerOptions, display: `${tls ? 'https' : 'tcp'}://${url.hostname}:${port}` };
}

const endpoints = new WeakMap<Docker, string>();

/** A dockerode client for the host given, else DOCKER_HOST, else the default socket. Does not connect yet. */
export async function connectDocker(options: DockerConnectionOptions = {}): Promise<Docker> {
  const endpoint = resolveDockerEndpoint(options);
  // Loaded on demand: dockerode (with ssh2 and gRPC) costs ~70 ms at start-up that `discover` never needs.
  const { default: DockerClient } = await import('dockerode');
  const docker = new DockerClient(endpoint.options);
  endpoints.set(docker, endpoint.display);
  return docker;
}

/** How `docker` was told to connect, for messages (works for clients made elsewhere too). */
export function dockerEndpointOf(docker: Docker): string {
  const known = endpoints.get(docker);
  if (known !== undefined) return known;
  const modem = (docker as unknown as { modem?: { socketPath?: unknown; host?: string; port?: string | number; protocol?: string } }).modem;
  if (modem && typeof modem.socketPath === 'string') return `unix://${modem.socketPath}`;
  if (modem?.host) return `${modem.protocol === 'https' ? 'https' : 'tcp'}://${modem.host}:${modem.port ?? ''}`;
  return DEFAULT_DOCKER_HOST;
}

/**
 * Checks that an engine answers and says which: throws a MadError explaining how to start one when none does.
 */
export async function ensureDocker(docker: Docker, options: { timeoutMs?: number } = {}): Promise<DockerEngineInfo> {
  const endpoint = dockerEndpointOf(docker);
  const timeoutMs = options.timeoutMs ?? 10_000;
  try {
    await withTimeout(docker.ping(), timeoutMs);
    const version = await withTimeout(docker.version(), timeoutMs);
    const components = (version.Components ?? []) as { Name?: string }[];
    const platform = (version as { Platform?: { Name?: string } }).Platform?.Name ?? '';
    const podman = /podman/i.test(platform) || components.some((component) => /podman/i.test(component.Name ?? ''));
    return { version: version.Version, apiVersion: version.ApiVersion, podman };
  } catch (error) {
    throw new MadError(
      `no Docker daemon answers at ${endpoint}: ${reason(error, timeoutMs)}; start dockerd (for the tests: bash scripts/test-infra.sh up) ` +
        `or set DOCKER_HOST to where one listens; for podman run \`podman system service --time=0 unix:///run/podman/podman.sock\` ` +
        `and set DOCKER_HOST=unix:///run/podman/podman.sock`,
      { cause: error },
    );
  }
}

function invalidHost(host: string): string {
  return `invalid Docker host '${host}': expected unix:///path/to/docker.sock, /path/to/podman.sock, tcp://host:port, https://host:port or ssh://user@host`;
}

function reason(error: unknown, timeoutMs: number): string {
  if (error instanceof TimeoutError) return `no answer within ${timeoutMs} ms`;
  const code = (error as { code?: string }).code;
  const message = errorMessage(error);
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
}

class TimeoutError extends Error {}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
