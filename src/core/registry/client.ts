/**
 * A small client for the Registry HTTP API v2 (Distribution, Docker Hub, GHCR, ...) on global fetch:
 * "does this tag exist, and what is its digest?" and "what labels does that image carry?" without pulling.
 * Auth follows the registry's 401 challenge: Basic, or the Bearer token flow (realm/service/scope).
 * Credentials come in as an object and never appear in errors or logs.
 */
import { createHash } from 'node:crypto';
import { MadError, errorMessage } from '../errors.ts';
import { registryCredentialKey, registryLogin } from './credentials.ts';
import type { Credentials, RegistryLogin } from './credentials.ts';
import { DOCKER_HUB_API_HOST, isDockerHub } from './docker-hub.ts';
import { formatImageReference, parseImageReference } from './reference.ts';
import type { ImageReference } from './reference.ts';

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;
const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.ociManifest].join(', ');
const INDEX_TYPES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);

/** A registry that cannot be reached, refuses us, or answers something unexpected. */
export class RegistryError extends MadError {
  /** HTTP status, when the registry (or its token service) answered. */
  readonly status?: number;
  readonly registry: string;

  constructor(message: string, options: { registry: string; status?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.registry = options.registry;
    if (options.status !== undefined) this.status = options.status;
  }
}

export interface RegistryClientOptions {
  /** credential.json-shaped logins, keyed by registry host (`dockerhub` for Docker Hub); anonymous when absent. */
  credentials?: Credentials;
  /** Use plain http: for every registry (true) or these hosts. localhost/127.x/[::1] always use http. */
  insecure?: boolean | readonly string[];
  /** Per-request limit (default 30 s). */
  timeoutMs?: number;
  /** Platform picked from a multi-platform index by imageLabels (default linux/amd64). */
  platform?: { os: string; architecture: string };
  fetch?: typeof globalThis.fetch;
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

export class RegistryClient {
  private readonly credentials: Credentials;
  private readonly insecure: boolean | ReadonlySet<string>;
  private readonly timeoutMs: number;
  private readonly platform: { os: string; architecture: string };
  private readonly fetchImpl: typeof globalThis.fetch;
  /** Authorization header per registry + scope, so a token is fetched once per repository and action. */
  private readonly authCache = new Map<string, CachedToken>();

  constructor(options: RegistryClientOptions = {}) {
    this.credentials = options.credentials ?? {};
    this.insecure = Array.isArray(options.insecure) ? new Set(options.insecure) : options.insecure === true;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  /**
   * The digest of the manifest `ref` names (what `docker push` reports and `image@digest` pins),
   * or undefined when the registry has no such tag/digest.
   */
  async manifestDigest(ref: string | ImageReference): Promise<string | undefined> {
    const image = toReference(ref);
    const url = this.manifestUrl(image, image.reference);
    const head = await this.request(image, 'HEAD', url, MANIFEST_ACCEPT);
    if (head.status === 404) return undefined;
    await this.expectOk(image, 'HEAD', url, head);
    const digest = head.headers.get('docker-content-digest');
    if (digest) return digest;
    // Some registries omit the header on HEAD: the digest is the sha256 of the manifest bytes.
    const get = await this.request(image, 'GET', url, MANIFEST_ACCEPT);
    if (get.status === 404) return undefined;
    await this.expectOk(image, 'GET', url, get);
    return get.headers.get('docker-content-digest') ?? sha256(Buffer.from(await get.arrayBuffer()));
  }

  /**
   * The labels of the image `ref` names (from its config blob; `{}` when it has none), or undefined when the
   * registry has no such tag. A multi-platform index is resolved to the client's platform.
   */
  async imageLabels(ref: string | ImageReference): Promise<Record<string, string> | undefined> {
    const image = toReference(ref);
    let manifest = await this.getManifest(image, image.reference);
    if (manifest === undefined) return undefined;
    if (INDEX_TYPES.has(manifest.mediaType)) {
      const entry = this.pickPlatform(image, manifest.body);
      manifest = await this.getManifest(image, entry);
      if (manifest === undefined) {
        throw new RegistryError(`registry ${image.registry}: index ${formatImageReference(image)} names ${entry}, which is missing`, {
          registry: image.registry,
        });
      }
    }
    const configDigest = (manifest.body.config as { digest?: unknown } | undefined)?.digest;
    if (typeof configDigest !== 'string') {
      throw new RegistryError(`registry ${image.registry}: manifest of ${formatImageReference(image)} has no config digest`, {
        registry: image.registry,
      });
    }
    const url = `${this.baseUrl(image.registry)}/v2/${image.repository}/blobs/${configDigest}`;
    const response = await this.request(image, 'GET', url, '*/*');
    await this.expectOk(image, 'GET', url, response);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (configDigest.startsWith('sha256:') && sha256(bytes) !== configDigest) {
      throw new RegistryError(`registry ${image.registry}: config blob ${configDigest} of ${formatImageReference(image)} does not match its digest`, {
        registry: image.registry,
      });
    }
    const config = parseJson(bytes, image, url) as { config?: { Labels?: Record<string, string> | null } };
    return { ...(config.config?.Labels ?? {}) };
  }

  /** Every tag of `ref`'s repository (the tag part of `ref` is ignored); [] when the repository is unknown. */
  async tags(ref: string | ImageReference): Promise<string[]> {
    const image = toReference(ref);
    const tags: string[] = [];
    let url: string | undefined = `${this.baseUrl(image.registry)}/v2/${image.repository}/tags/list?n=1000`;
    while (url !== undefined) {
      const response = await this.request(image, 'GET', url, 'application/json');
      if (response.status === 404) return tags;
      await this.expectOk(image, 'GET', url, response);
      const body = parseJson(Buffer.from(await response.arrayBuffer()), image, url) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      url = nextLink(response.headers.get('link'), url);
    }
    return tags;
  }

  /** Checks that the registry answers and accepts our credentials (GET /v2/). */
  async checkAccess(registry: string): Promise<void> {
    const image: ImageReference = { registry, repository: '', reference: '' };
    const url = `${this.baseUrl(registry)}/v2/`;
    await this.expectOk(image, 'GET', url, await this.request(image, 'GET', url, 'application/json'));
  }

  // ---------------------------------------------------------------- manifests

  private async getManifest(image: ImageReference, reference: string): Promise<{ mediaType: string; body: Record<string, unknown> } | undefined> {
    const url = this.manifestUrl(image, reference);
    const response = await this.request(image, 'GET', url, MANIFEST_ACCEPT);
    if (response.status === 404) return undefined;
    await this.expectOk(image, 'GET', url, response);
    const body = parseJson(Buffer.from(await response.arrayBuffer()), image, url) as Record<string, unknown>;
    const mediaType = typeof body.mediaType === 'string' ? body.mediaType : (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    return { mediaType, body };
  }

  private pickPlatform(image: ImageReference, index: Record<string, unknown>): string {
    const entries = Array.isArray(index.manifests) ? (index.manifests as { digest?: string; platform?: { os?: string; architecture?: string } }[]) : [];
    const wanted = entries.find((m) => m.platform?.os === this.platform.os && m.platform?.architecture === this.platform.architecture);
    const chosen = wanted ?? entries.find((m) => m.platform === undefined) ?? entries[0];
    if (chosen?.digest === undefined) {
      throw new RegistryError(`registry ${image.registry}: index ${formatImageReference(image)} lists no manifests`, { registry: image.registry });
    }
    if (wanted === undefined && entries.some((m) => m.platform !== undefined)) {
      const available = entries.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).join(', ');
      throw new RegistryError(
        `registry ${image.registry}: ${formatImageReference(image)} has no ${this.platform.os}/${this.platform.architecture} image (has: ${available})`,
        { registry: image.registry },
      );
    }
    return chosen.digest;
  }

  private manifestUrl(image: ImageReference, reference: string): string {
    return `${this.baseUrl(image.registry)}/v2/${image.repository}/manifests/${reference}`;
  }

  private baseUrl(registry: string): string {
    const host = isDockerHub(registry) ? DOCKER_HUB_API_HOST : registry;
    return `${this.usesHttp(host) ? 'http' : 'https'}://${host}`;
  }

  private usesHttp(host: string): boolean {
    if (this.insecure === true) return true;
    if (this.insecure !== false && this.insecure.has(host)) return true;
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
    return name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name);
  }

  // ---------------------------------------------------------------- auth

  /** One request; on a 401 challenge, authorizes (Basic or Bearer) and tries once more. */
  private async request(image: ImageReference, method: string, url: string, accept: string): Promise<Response> {
    const scope = image.repository === '' ? '' : `repository:${image.repository}:pull`;
    const cacheKey = `${image.registry} ${scope}`;
    const cached = this.authCache.get(cacheKey);
    const authorization = cached !== undefined && cached.expiresAt > Date.now() ? cached.header : undefined;
    const first = await this.send(image.registry, method, url, accept, authorization);
    if (first.status !== 401) return first;

    const challenges = parseChallenges(first.headers.get('www-authenticate') ?? '');
    await first.body?.cancel();
    const login = this.login(image.registry);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    let token: CachedToken;
    if (bearer !== undefined) token = await this.bearerToken(image, bearer, scope, login);
    else if (basic !== undefined && login !== undefined) token = { header: basicHeader(login), expiresAt: Infinity };
    else throw this.unauthorized(image, login, 401);
    this.authCache.set(cacheKey, token);

    const second = await this.send(image.registry, method, url, accept, token.header);
    if (second.status === 401) {
      this.authCache.delete(cacheKey);
      await second.body?.cancel();
      throw this.unauthorized(image, login, 401, bearer === undefined ? undefined : 'with the token its token service issued');
    }
    return second;
  }

  private async bearerToken(image: ImageReference, challenge: Challenge, scope: string, login: RegistryLogin | undefined): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm) {
      throw new RegistryError(`registry ${image.registry} asked for a Bearer token without naming a realm`, { registry: image.registry, status: 401 });
    }
    const url = new URL(realm);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    const wantedScope = challenge.params.scope || scope;
    if (wantedScope) url.searchParams.set('scope', wantedScope);
    const where = `token service ${url.origin}${url.pathname} of registry ${image.registry}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        headers: login === undefined ? {} : { authorization: basicHeader(login) },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new RegistryError(`${where} unreachable: ${networkReason(error)}`, { registry: image.registry, cause: error });
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw this.unauthorized(image, login, response.status, `at ${where}`);
    }
    if (!response.ok) {
      throw new RegistryError(`${where} answered HTTP ${response.status}: ${await errorDetail(response)}`, {
        registry: image.registry,
        status: response.status,
      });
    }
    const body = (await response.json().catch(() => ({}))) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`${where} answered without a token`, { registry: image.registry, status: response.status });
    // Renew a little early; tokens without expires_in are valid for 60 s by the spec.
    const lifetime = Math.max(0, (body.expires_in ?? 60) - 10) * 1000;
    return { header: `Bearer ${token}`, expiresAt: Date.now() + lifetime };
  }

  private login(registry: string): RegistryLogin | undefined {
    return registryLogin(registry, this.credentials);
  }

  private unauthorized(image: ImageReference, login: RegistryLogin | undefined, status: number, detail?: string): RegistryError {
    const what = image.repository === '' ? '' : ` for ${image.repository}`;
    const message =
      login === undefined
        ? `registry ${image.registry} requires authentication${what} (HTTP ${status}): add a '${registryCredentialKey(image.registry)}' entry with username and password to credential.json`
        : `registry ${image.registry} rejected the credentials of user '${login.username}'${what}${detail ? ` ${detail}` : ''} (HTTP ${status})`;
    return new RegistryError(message, { registry: image.registry, status });
  }

  // ---------------------------------------------------------------- transport

  private async send(registry: string, method: string, url: string, accept: string, authorization: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (authorization !== undefined) headers.authorization = authorization;
    try {
      return await this.fetchImpl(url, { method, headers, redirect: 'follow', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new RegistryError(`registry ${registry} unreachable: ${networkReason(error)}`, { registry, cause: error });
    }
  }

  private async expectOk(image: ImageReference, method: string, url: string, response: Response): Promise<void> {
    if (response.ok) return;
    if (response.status === 403) {
      await response.body?.cancel();
      const login = this.login(image.registry);
      const who = login === undefined ? 'anonymous access' : `user '${login.username}'`;
      throw new RegistryError(`registry ${image.registry} denied ${who} to ${image.repository || '/v2/'} (HTTP 403)`, {
        registry: image.registry,
        status: 403,
      });
    }
    const detail = method === 'HEAD' ? response.statusText : await errorDetail(response);
    throw new RegistryError(`registry ${image.registry} answered HTTP ${response.status} to ${method} ${new URL(url).pathname}: ${detail}`, {
      registry: image.registry,
      status: response.status,
    });
  }
}

// ---------------------------------------------------------------- helpers

function toReference(ref: string | ImageReference): ImageReference {
  return typeof ref === 'string' ? parseImageReference(ref) : ref;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function basicHeader(login: RegistryLogin): string {
  return `Basic ${Buffer.from(`${login.username}:${login.password}`).toString('base64')}`;
}

function parseJson(bytes: Buffer, image: ImageReference, url: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new RegistryError(`registry ${image.registry} answered invalid JSON for ${new URL(url).pathname}`, { registry: image.registry, cause: error });
  }
}

/** Parses `WWW-Authenticate: Bearer realm="...",service="...",scope="..."` (possibly several challenges). */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  const pattern = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))|([A-Za-z][\w-]*)/g;
  let current: Challenge | undefined;
  for (const match of header.matchAll(pattern)) {
    if (match[4] !== undefined) {
      current = { scheme: match[4].toLowerCase(), params: {} };
      challenges.push(current);
    } else if (current !== undefined) {
      current.params[match[1]!.toLowerCase()] = (match[2] ?? match[3] ?? '').replace(/\\(.)/g, '$1');
    }
  }
  return challenges;
}

/** The `rel="next"` URL of a Link header, resolved against the current URL. */
function nextLink(header: string | null, current: string): string | undefined {
  const match = header === null ? null : /<([^>]+)>\s*;\s*rel="?next"?/.exec(header);
  return match ? new URL(match[1]!, current).toString() : undefined;
}

/** The registry's own explanation (`{"errors":[{"code","message"}]}`), else the start of the body. */
async function errorDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    if (Array.isArray(body.errors) && body.errors.length > 0) {
      return body.errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.trim().slice(0, 200) || response.statusText;
}

/** fetch hides the reason in `cause` ("fetch failed" -> "connect ECONNREFUSED 127.0.0.1:5999"). */
function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time (request timed out)';
  let reason: unknown = error;
  while (reason instanceof Error && reason.cause !== undefined) reason = reason.cause;
  if (reason instanceof AggregateError && reason.errors.length > 0) reason = reason.errors[0];
  return errorMessage(reason);
}
