/**
 * An in-process fake of GitHub's results service, enough for the REAL @actions/artifact@6 client:
 * the Twirp JSON ArtifactService (Create/Finalize/List/GetSignedArtifactURL/Delete) and the Azure
 * block-blob endpoints its signed URLs point at (`PUT ?comp=block`, `PUT ?comp=blocklist`, a single
 * `PUT`, `GET`). It checks what the real service checks, so a misbehaving caller fails here as it
 * would on a runner: a signed runtime token whose `scp` claim is `Actions.Results:<runId>:<jobId>`,
 * requests scoped to that run (and job, for writes), unique names per run, finalize only after
 * create + upload, the declared size and sha256 matching the bytes received, signed blob URLs.
 * Artifacts live in memory, per run.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredArtifact {
  id: number;
  runId: string;
  jobId: string;
  name: string;
  /** Bytes received (0 until the blob is committed). */
  size: number;
  finalized: boolean;
  contentType: string;
  /** `sha256:<hex>` as the client declared it at finalize. */
  digest?: string;
  /** Entry names of the zip, when the blob is one. */
  files?: string[];
}

export interface ResultsService {
  /** Origin of the fake, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Env for the default run/job: ACTIONS_RESULTS_URL, ACTIONS_RUNTIME_TOKEN, GITHUB_SERVER_URL. */
  env: Record<string, string>;
  /** Env for another job of the same run (or another run), e.g. a later job that downloads. */
  envFor(jobId: string, runId?: string): Record<string, string>;
  /** Finalized artifacts of every run, oldest first. */
  artifacts(): Pick<StoredArtifact, 'name' | 'size' | 'files' | 'id' | 'runId' | 'jobId' | 'digest'>[];
  close(): Promise<void>;
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** An HS256 JWT like the runner's ACTIONS_RUNTIME_TOKEN, scoped to one workflow run and job. */
export function buildRuntimeToken(runId: string, jobId: string, secret: string): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ scp: `Actions.GenericRead:${runId} Actions.Results:${runId}:${jobId}`, iat: Math.floor(Date.now() / 1000) }));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** Twirp error codes the fake uses, with the HTTP status Twirp maps each to (none is retried by the client). */
const TWIRP_STATUS = {
  malformed: 400,
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  failed_precondition: 412,
} as const;
type TwirpCode = keyof typeof TWIRP_STATUS;

class TwirpError extends Error {
  constructor(
    readonly code: TwirpCode,
    message: string,
  ) {
    super(message);
  }
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

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Start the fake on 127.0.0.1 (random port); `env` is for the default run/job (random ids unless given). */
export async function startResultsService(options: { runId?: string; jobId?: string } = {}): Promise<ResultsService> {
  const runId = options.runId ?? randomUUID();
  const jobId = options.jobId ?? randomUUID();
  // A fresh secret per instance: tokens and signed URLs from elsewhere are refused.
  const secret = randomUUID();
  const store: (StoredArtifact & { bytes?: Buffer; blocks: Map<string, Buffer> })[] = [];
  let nextId = 1000;
  let origin = '';

  const sign = (permission: 'r' | 'w', pathname: string): string => createHmac('sha256', secret).update(`${permission}:${pathname}`).digest('base64url');
  const signedUrl = (permission: 'r' | 'w', artifact: StoredArtifact): string => {
    const pathname = `/blob/${artifact.id}/${encodeURIComponent(artifact.name)}.zip`;
    return `${origin}${pathname}?sp=${permission}&sig=${sign(permission, pathname)}`;
  };

  /** The run and job the bearer token is scoped to: unsigned is unauthenticated, unscoped is permission_denied. */
  function tokenScope(request: IncomingMessage): { runId: string; jobId: string } {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const [header, payload, signature] = token?.split('.') ?? [];
    if (!header || !payload || !signature) throw new TwirpError('unauthenticated', 'missing or malformed bearer runtime token');
    const expected = Buffer.from(createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url'));
    if (expected.length !== signature.length || !timingSafeEqual(expected, Buffer.from(signature))) {
      throw new TwirpError('unauthenticated', 'runtime token signature is invalid');
    }
    let scp: string;
    try {
      scp = String((JSON.parse(Buffer.from(payload, 'base64url').toString()) as { scp?: unknown }).scp ?? '');
    } catch {
      throw new TwirpError('unauthenticated', 'runtime token payload is not JSON');
    }
    const scope = scp
      .split(' ')
      .map((s) => s.split(':'))
      .find((parts) => parts[0] === 'Actions.Results' && parts.length === 3);
    if (!scope) throw new TwirpError('permission_denied', `runtime token has no 'Actions.Results:<runId>:<jobId>' scope (scp: '${scp}')`);
    return { runId: scope[1]!, jobId: scope[2]! };
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
        const artifact = {
          id: nextId++,
          runId: scope.runId,
          jobId: scope.jobId,
          name,
          size: 0,
          finalized: false,
          contentType: String(body.mime_type ?? 'application/zip'),
          blocks: new Map<string, Buffer>(),
        };
        store.push(artifact);
        return { ok: true, signed_upload_url: signedUrl('w', artifact) };
      }
      case 'FinalizeArtifact': {
        const artifact = find(scope.runId, name, 'FinalizeArtifact (call CreateArtifact first)');
        if (artifact.finalized) throw new TwirpError('failed_precondition', `artifact '${name}' is already finalized`);
        if (!artifact.bytes) throw new TwirpError('failed_precondition', `artifact '${name}' has no committed blob to finalize`);
        if (!/^\d+$/.test(String(body.size ?? '0')) || Number(body.size ?? 0) !== artifact.size) {
          throw new TwirpError('invalid_argument', `declared size ${String(body.size)} does not match the ${artifact.size} bytes uploaded for '${name}'`);
        }
        const actual = `sha256:${createHash('sha256').update(artifact.bytes).digest('hex')}`;
        if (body.hash !== undefined && body.hash !== actual)
          throw new TwirpError('invalid_argument', `declared hash ${String(body.hash)} does not match the uploaded blob (${actual})`);
        Object.assign(artifact, { finalized: true, digest: actual, files: zipEntryNames(artifact.bytes) });
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

  /** Azure block-blob subset; errors are Azure-style XML with an x-ms-error-code header. */
  async function blob(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const fail = (status: number, code: string, message: string) => {
      response.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': code });
      response.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
    };
    const permission = request.method === 'GET' ? 'r' : 'w';
    const signature = url.searchParams.get('sig') ?? '';
    if (url.searchParams.get('sp') !== permission || signature !== sign(permission, url.pathname)) {
      return fail(403, 'AuthenticationFailed', `signature does not grant '${permission}' on ${url.pathname}`);
    }
    const artifact = store.find((a) => a.id === Number(url.pathname.split('/')[2]));
    if (!artifact) return fail(404, 'BlobNotFound', `no blob at ${url.pathname}`);
    const ok = (status: number, headers: Record<string, string | number> = {}) => {
      response.writeHead(status, { etag: `"${artifact.id}-${artifact.size}"`, 'x-ms-request-id': randomUUID(), ...headers });
    };
    if (request.method === 'GET') {
      if (!artifact.finalized || !artifact.bytes) return fail(404, 'BlobNotFound', `artifact '${artifact.name}' is not finalized`);
      ok(200, { 'content-type': artifact.contentType, 'content-length': artifact.bytes.length });
      return void response.end(artifact.bytes);
    }
    if (request.method !== 'PUT') return fail(405, 'UnsupportedHttpVerb', `${request.method} is not supported`);
    if (artifact.finalized) return fail(409, 'BlobImmutable', `artifact '${artifact.name}' is finalized; its blob can no longer change`);
    const body = await readBody(request);
    const commit = (bytes: Buffer) => {
      artifact.bytes = bytes;
      artifact.size = bytes.length;
      artifact.blocks.clear();
      const type = request.headers['x-ms-blob-content-type'] ?? request.headers['content-type'];
      if (typeof type === 'string') artifact.contentType = type;
      ok(201);
      response.end();
    };
    switch (url.searchParams.get('comp')) {
      case 'block': {
        const blockId = url.searchParams.get('blockid');
        if (!blockId) return fail(400, 'InvalidQueryParameterValue', 'blockid is required');
        artifact.blocks.set(blockId, body);
        ok(201);
        return void response.end();
      }
      case 'blocklist': {
        const ids = [...body.toString().matchAll(/<(?:Latest|Uncommitted)>([^<]*)<\//g)].map((m) => m[1]!);
        const missing = ids.find((id) => !artifact.blocks.has(id));
        if (missing !== undefined) return fail(400, 'InvalidBlockList', `block '${missing}' was never staged`);
        return commit(Buffer.concat(ids.map((id) => artifact.blocks.get(id)!)));
      }
      case null:
        if (request.headers['x-ms-blob-type'] !== 'BlockBlob') return fail(400, 'MissingRequiredHeader', 'x-ms-blob-type: BlockBlob is required');
        return commit(body);
      default:
        return fail(400, 'InvalidQueryParameterValue', `comp=${url.searchParams.get('comp')} is not supported`);
    }
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', origin);
    const twirpRoute = /^\/twirp\/github\.actions\.results\.api\.v1\.ArtifactService\/(\w+)$/.exec(url.pathname);
    const handle = async () => {
      if (url.pathname.startsWith('/blob/')) return blob(request, response, url);
      try {
        if (!twirpRoute || request.method !== 'POST') throw new TwirpError('bad_route', `no route ${request.method} ${url.pathname}`);
        const scope = tokenScope(request);
        let body: Record<string, unknown>;
        try {
          body = JSON.parse((await readBody(request)).toString()) as Record<string, unknown>;
        } catch {
          throw new TwirpError('malformed', 'request body is not JSON');
        }
        const result = JSON.stringify(twirp(twirpRoute[1]!, body, scope));
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

  const envFor = (job: string, run = runId): Record<string, string> => ({
    ACTIONS_RESULTS_URL: `${origin}/`,
    ACTIONS_RUNTIME_TOKEN: buildRuntimeToken(run, job, secret),
    // github.com (not GHES): @actions/artifact v2+ refuses to run against GHES.
    GITHUB_SERVER_URL: 'https://github.com',
  });
  return {
    url: origin,
    env: envFor(jobId),
    envFor,
    artifacts: () =>
      store
        .filter((a) => a.finalized)
        .map(({ id, runId: run, jobId: job, name, size, digest, files }) => ({ id, runId: run, jobId: job, name, size, digest, files })),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The clients keep connections alive; drop them so close() resolves now.
        server.closeAllConnections();
      }),
  };
}
