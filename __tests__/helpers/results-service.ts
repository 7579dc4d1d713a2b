/**
 * An in-process fake of GitHub's results service, enough for the REAL @actions/artifact@6 and
 * @actions/cache@6 clients: the Twirp JSON ArtifactService (Create/Finalize/List/GetSignedArtifactURL/
 * Delete, here), the CacheService (cache-service.ts) and the Azure block-blob endpoints their signed
 * URLs point at (blob-storage.ts). It checks what the real service checks, so a misbehaving caller
 * fails here as it would on a runner: a signed runtime token whose `scp` claim is
 * `Actions.Results:<runId>:<jobId>` (and whose `ac` claim lists the cache scopes), requests scoped to
 * that run (and job, for writes), unique names per run, finalize only after create + upload, the
 * declared size and sha256 matching the bytes received, signed blob URLs. Everything lives in memory.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { blobSigner, newBlob, serveBlob, type Blob } from './blob-storage.ts';
import { createCacheService, DEFAULT_CACHE_SCOPES, type CacheScope, type StoredCacheEntry } from './cache-service.ts';
import { readBody, TWIRP_STATUS, TwirpError } from './twirp.ts';

export type { CacheScope, StoredCacheEntry } from './cache-service.ts';

export interface StoredArtifact {
  id: number;
  runId: string;
  jobId: string;
  name: string;
  /** Bytes of the blob (0 until finalized). */
  size: number;
  finalized: boolean;
  /** `sha256:<hex>` as the client declared it at finalize. */
  digest?: string;
  /** Entry names of the zip, when the blob is one. */
  files?: string[];
}

export interface ResultsService {
  /** Origin of the fake, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Env for the default run/job: ACTIONS_RESULTS_URL, ACTIONS_RUNTIME_TOKEN, GITHUB_SERVER_URL, ACTIONS_CACHE_SERVICE_V2. */
  env: Record<string, string>;
  /**
   * Env for another job of the same run (or another run), e.g. a later job that downloads; `cacheScopes`
   * are the refs its token may read/write in the cache (default: read and write refs/heads/main).
   */
  envFor(jobId: string, runId?: string, cacheScopes?: readonly CacheScope[]): Record<string, string>;
  /** Finalized artifacts of every run, oldest first. */
  artifacts(): Pick<StoredArtifact, 'name' | 'size' | 'files' | 'id' | 'runId' | 'jobId' | 'digest'>[];
  /** A signed, short-lived-style read URL of a finalized artifact's zip (what the REST API redirects to). */
  downloadUrl(artifactId: number): string | undefined;
  /** Cache entries of every scope, oldest first (reserved ones too). */
  cacheEntries(): StoredCacheEntry[];
  /** Storage gone wrong: the blob of `artifactId` now serves the bytes of `fromArtifactId` (its recorded digest stays). */
  overwriteBlob(artifactId: number, fromArtifactId: number): void;
  close(): Promise<void>;
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/**
 * An HS256 JWT like the runner's ACTIONS_RUNTIME_TOKEN, scoped to one workflow run and job; its `ac`
 * claim (a JSON string, as on GitHub) lists the cache scopes.
 */
export function buildRuntimeToken(runId: string, jobId: string, secret: string, cacheScopes: readonly CacheScope[] = DEFAULT_CACHE_SCOPES): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({
      scp: `Actions.GenericRead:${runId} Actions.Results:${runId}:${jobId}`,
      ac: JSON.stringify(cacheScopes),
      iat: Math.floor(Date.now() / 1000),
    }),
  );
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** Characters the real service refuses in artifact names (the client's own list). */
const FORBIDDEN_NAME = /["<>|*?\r\n:\\/]/;

/** Entry names from a zip's central directory (enough to tell a test what an artifact holds). */
function zipEntryNames(zip: Buffer): string[] | undefined {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0 || end + 22 > zip.length) return undefined;
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count && at + 46 <= zip.length && zip.readUInt32LE(at) === 0x02014b50; i++) {
    const nameLength = zip.readUInt16LE(at + 28);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return names;
}

/** Start the fake on 127.0.0.1 (random port); `env` is for the default run/job (random ids unless given). */
export async function startResultsService(options: { runId?: string; jobId?: string } = {}): Promise<ResultsService> {
  const runId = options.runId ?? randomUUID();
  const jobId = options.jobId ?? randomUUID();
  // A fresh secret per instance: tokens and signed URLs from elsewhere are refused.
  const secret = randomUUID();
  const store: (StoredArtifact & { blob: Blob })[] = [];
  let nextId = 1000;
  let origin = '';

  const signer = blobSigner(secret);
  const signedUrl = (permission: 'r' | 'w', artifact: StoredArtifact): string =>
    signer.url(origin, permission, `/blob/${artifact.id}/${encodeURIComponent(artifact.name)}.zip`);
  const cache = createCacheService(
    (permission, entry) => signer.url(origin, permission, `/cache-blob/${entry.id}/cache.tzst`),
    () => nextId++,
  );

  /** The run and job the bearer token is scoped to, and its cache scopes: unsigned is unauthenticated, unscoped is permission_denied. */
  function tokenScope(request: IncomingMessage): { runId: string; jobId: string; cacheScopes: CacheScope[] } {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const [header, payload, signature] = token?.split('.') ?? [];
    if (!header || !payload || !signature) throw new TwirpError('unauthenticated', 'missing or malformed bearer runtime token');
    const expected = Buffer.from(createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url'));
    if (expected.length !== signature.length || !timingSafeEqual(expected, Buffer.from(signature))) {
      throw new TwirpError('unauthenticated', 'runtime token signature is invalid');
    }
    let scp: string;
    let cacheScopes: CacheScope[];
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { scp?: unknown; ac?: unknown };
      scp = String(claims.scp ?? '');
      cacheScopes = typeof claims.ac === 'string' ? (JSON.parse(claims.ac) as CacheScope[]) : [];
    } catch {
      throw new TwirpError('unauthenticated', 'runtime token payload (or its ac claim) is not JSON');
    }
    const scope = scp
      .split(' ')
      .map((s) => s.split(':'))
      .find((parts) => parts[0] === 'Actions.Results' && parts.length === 3);
    if (!scope) throw new TwirpError('permission_denied', `runtime token has no 'Actions.Results:<runId>:<jobId>' scope (scp: '${scp}')`);
    return { runId: scope[1]!, jobId: scope[2]!, cacheScopes };
  }

  function find(run: string, name: string, what: string) {
    const artifact = store.find((a) => a.runId === run && a.name === name);
    if (!artifact) throw new TwirpError('not_found', `${what}: no artifact named '${name}' in workflow run ${run}`);
    return artifact;
  }

  /** One Twirp method: `body` is the request message in proto-name JSON; returns the response message. */
  function twirp(method: string, body: Record<string, unknown>, scope: { runId: string; jobId: string }): object {
    if (body.workflow_run_backend_id !== scope.runId) {
      throw new TwirpError(
        'permission_denied',
        `workflow_run_backend_id '${String(body.workflow_run_backend_id)}' is not the run of the runtime token (${scope.runId})`,
      );
    }
    const writes = method === 'CreateArtifact' || method === 'FinalizeArtifact';
    if (writes && body.workflow_job_run_backend_id !== scope.jobId) {
      throw new TwirpError(
        'permission_denied',
        `workflow_job_run_backend_id '${String(body.workflow_job_run_backend_id)}' is not the job of the runtime token (${scope.jobId})`,
      );
    }
    const name = typeof body.name === 'string' ? body.name : '';
    switch (method) {
      case 'CreateArtifact': {
        if (!name || name.length > 256 || FORBIDDEN_NAME.test(name))
          throw new TwirpError('invalid_argument', `invalid artifact name '${name}': 1-256 characters, none of " < > | * ? : \\ / CR LF`);
        if (body.expires_at !== undefined && !(Date.parse(String(body.expires_at)) > Date.now()))
          throw new TwirpError('invalid_argument', `expires_at '${String(body.expires_at)}' is not in the future`);
        if (store.some((a) => a.runId === scope.runId && a.name === name)) {
          throw new TwirpError(
            'already_exists',
            `an artifact named '${name}' already exists in workflow run ${scope.runId}; artifact names must be unique per run`,
          );
        }
        const id = nextId++;
        const artifact = {
          id,
          runId: scope.runId,
          jobId: scope.jobId,
          name,
          size: 0,
          finalized: false,
          blob: newBlob(id, `artifact '${name}'`, String(body.mime_type ?? 'application/zip')),
        };
        store.push(artifact);
        return { ok: true, signed_upload_url: signedUrl('w', artifact) };
      }
      case 'FinalizeArtifact': {
        const artifact = find(scope.runId, name, 'FinalizeArtifact (call CreateArtifact first)');
        if (artifact.finalized) throw new TwirpError('failed_precondition', `artifact '${name}' is already finalized`);
        const bytes = artifact.blob.bytes;
        if (!bytes) throw new TwirpError('failed_precondition', `artifact '${name}' has no committed blob to finalize`);
        if (!/^\d+$/.test(String(body.size ?? '0')) || Number(body.size ?? 0) !== bytes.length) {
          throw new TwirpError('invalid_argument', `declared size ${String(body.size)} does not match the ${bytes.length} bytes uploaded for '${name}'`);
        }
        const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
        if (body.hash !== undefined && body.hash !== actual)
          throw new TwirpError('invalid_argument', `declared hash ${String(body.hash)} does not match the uploaded blob (${actual})`);
        Object.assign(artifact, { finalized: true, size: bytes.length, digest: actual, files: zipEntryNames(bytes) });
        artifact.blob.sealed = true;
        return { ok: true, artifact_id: String(artifact.id) };
      }
      case 'ListArtifacts': {
        const listed = store.filter(
          (a) =>
            a.runId === scope.runId &&
            a.finalized &&
            (body.name_filter === undefined || a.name === body.name_filter) &&
            (body.id_filter === undefined || String(a.id) === String(body.id_filter)),
        );
        return {
          artifacts: listed.map((a) => ({
            workflow_run_backend_id: a.runId,
            workflow_job_run_backend_id: a.jobId,
            database_id: String(a.id),
            name: a.name,
            size: String(a.size),
            digest: a.digest,
          })),
        };
      }
      case 'GetSignedArtifactURL': {
        const artifact = find(scope.runId, name, 'GetSignedArtifactURL');
        if (!artifact.finalized) throw new TwirpError('not_found', `artifact '${name}' is not finalized yet`);
        return { signed_url: signedUrl('r', artifact) };
      }
      case 'DeleteArtifact': {
        const artifact = find(scope.runId, name, 'DeleteArtifact');
        store.splice(store.indexOf(artifact), 1);
        return { ok: true, artifact_id: String(artifact.id) };
      }
      default:
        throw new TwirpError('bad_route', `no method ArtifactService/${method}`);
    }
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', origin);
    const twirpRoute = /^\/twirp\/github\.actions\.results\.api\.v1\.(ArtifactService|CacheService)\/(\w+)$/.exec(url.pathname);
    const blobRoute = /^\/(blob|cache-blob)\/(\d+)\//.exec(url.pathname);
    const handle = async () => {
      if (blobRoute) {
        const id = Number(blobRoute[2]);
        const blob = blobRoute[1] === 'blob' ? store.find((a) => a.id === id)?.blob : cache.blob(id);
        return serveBlob(request, response, url, blob, signer);
      }
      try {
        if (!twirpRoute || request.method !== 'POST') throw new TwirpError('bad_route', `no route ${request.method} ${url.pathname}`);
        const scope = tokenScope(request);
        let body: Record<string, unknown>;
        try {
          body = JSON.parse((await readBody(request)).toString()) as Record<string, unknown>;
        } catch {
          throw new TwirpError('malformed', 'request body is not JSON');
        }
        const [, service, method] = twirpRoute;
        const result = JSON.stringify(service === 'CacheService' ? cache.twirp(method!, body, scope.cacheScopes) : twirp(method!, body, scope));
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(result);
      } catch (error) {
        if (!(error instanceof TwirpError)) throw error;
        response.writeHead(TWIRP_STATUS[error.code], { 'content-type': 'application/json' });
        response.end(JSON.stringify({ code: error.code, msg: error.message }));
      }
    };
    handle().catch((error: unknown) => {
      // A bug in the fake: answer non-retryably so the client fails fast instead of backing off.
      if (!response.headersSent) response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ code: 'internal', msg: `fake results service: ${String(error)}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const envFor = (job: string, run = runId, cacheScopes: readonly CacheScope[] = DEFAULT_CACHE_SCOPES): Record<string, string> => ({
    ACTIONS_RESULTS_URL: `${origin}/`,
    ACTIONS_RUNTIME_TOKEN: buildRuntimeToken(run, job, secret, cacheScopes),
    // github.com (not GHES): @actions/artifact v2+ refuses to run against GHES, @actions/cache uses v1 there.
    GITHUB_SERVER_URL: 'https://github.com',
    ACTIONS_CACHE_SERVICE_V2: 'true',
  });
  return {
    url: origin,
    env: envFor(jobId),
    envFor,
    artifacts: () =>
      store
        .filter((a) => a.finalized)
        .map(({ id, runId: run, jobId: job, name, size, digest, files }) => ({ id, runId: run, jobId: job, name, size, digest, files })),
    downloadUrl: (artifactId) => {
      const artifact = store.find((a) => a.id === artifactId && a.finalized);
      return artifact && signedUrl('r', artifact);
    },
    cacheEntries: () => cache.entries(),
    overwriteBlob(artifactId, fromArtifactId) {
      const [target, source] = [artifactId, fromArtifactId].map((id) => store.find((a) => a.id === id && a.finalized));
      if (!target || !source) throw new Error(`fake results service: no finalized artifacts ${artifactId} and ${fromArtifactId}`);
      target.blob.bytes = source.blob.bytes;
      target.blob.size = source.blob.size;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The clients keep connections alive; drop them so close() resolves now.
        server.closeAllConnections();
      }),
  };
}
