/**
 * The Azure block-blob subset the results service's signed URLs point at, as the REAL clients use it:
 * uploads through the Azure SDK (a single `PUT`, or `PUT ?comp=block` + `PUT ?comp=blocklist`) and
 * plain `GET` downloads (@actions/cache uses the SDK's ranged reads only for *.blob.core.windows.net).
 * Every request needs a signature for its path and permission; errors are Azure-style XML with
 * an x-ms-error-code header. A sealed blob (finalized artifact or cache entry) no longer changes.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './twirp.ts';

export interface Blob {
  id: number;
  /** For messages, e.g. "artifact 'perf'". */
  what: string;
  contentType: string;
  /** Committed bytes (undefined until a PUT or a block list commits them). */
  bytes?: Buffer;
  size: number;
  blocks: Map<string, Buffer>;
  /** Finalized: readable, no longer writable. */
  sealed: boolean;
}

export function newBlob(id: number, what: string, contentType: string): Blob {
  return { id, what, contentType, size: 0, blocks: new Map(), sealed: false };
}

/** Signed URLs: `sp` is the permission (r or w), `sig` an HMAC of permission and path under the service's secret. */
export function blobSigner(secret: string) {
  const sign = (permission: 'r' | 'w', pathname: string): string => createHmac('sha256', secret).update(`${permission}:${pathname}`).digest('base64url');
  return {
    url: (origin: string, permission: 'r' | 'w', pathname: string): string => `${origin}${pathname}?sp=${permission}&sig=${sign(permission, pathname)}`,
    allows: (url: URL, permission: 'r' | 'w'): boolean =>
      url.searchParams.get('sp') === permission && url.searchParams.get('sig') === sign(permission, url.pathname),
  };
}

export async function serveBlob(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  blob: Blob | undefined,
  signer: ReturnType<typeof blobSigner>,
): Promise<void> {
  const fail = (status: number, code: string, message: string) => {
    response.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': code });
    response.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
  };
  const permission = request.method === 'GET' ? 'r' : 'w';
  if (!signer.allows(url, permission)) return fail(403, 'AuthenticationFailed', `signature does not grant '${permission}' on ${url.pathname}`);
  if (!blob) return fail(404, 'BlobNotFound', `no blob at ${url.pathname}`);
  const ok = (status: number, headers: Record<string, string | number> = {}) => {
    response.writeHead(status, { etag: `"${blob.id}-${blob.size}"`, 'x-ms-request-id': randomUUID(), ...headers });
  };

  if (request.method === 'GET') {
    if (!blob.sealed || !blob.bytes) return fail(404, 'BlobNotFound', `${blob.what} is not finalized`);
    ok(200, { 'content-type': blob.contentType, 'content-length': blob.bytes.length });
    return void response.end(blob.bytes);
  }
  if (request.method !== 'PUT') return fail(405, 'UnsupportedHttpVerb', `${request.method} is not supported`);
  if (blob.sealed) return fail(409, 'BlobImmutable', `${blob.what} is finalized; its blob can no longer change`);
  const body = await readBody(request);
  const commit = (bytes: Buffer) => {
    blob.bytes = bytes;
    blob.size = bytes.length;
    blob.blocks.clear();
    const type = request.headers['x-ms-blob-content-type'] ?? request.headers['content-type'];
    if (typeof type === 'string') blob.contentType = type;
    ok(201);
    response.end();
  };
  switch (url.searchParams.get('comp')) {
    case 'block': {
      const blockId = url.searchParams.get('blockid');
      if (!blockId) return fail(400, 'InvalidQueryParameterValue', 'blockid is required');
      blob.blocks.set(blockId, body);
      ok(201);
      return void response.end();
    }
    case 'blocklist': {
      const ids = [...body.toString().matchAll(/<(?:Latest|Uncommitted)>([^<]*)<\//g)].map((m) => m[1]!);
      const missing = ids.find((id) => !blob.blocks.has(id));
      if (missing !== undefined) return fail(400, 'InvalidBlockList', `block '${missing}' was never staged`);
      return commit(Buffer.concat(ids.map((id) => blob.blocks.get(id)!)));
    }
    case null:
      if (request.headers['x-ms-blob-type'] !== 'BlockBlob') return fail(400, 'MissingRequiredHeader', 'x-ms-blob-type: BlockBlob is required');
      return commit(body);
    default:
      return fail(400, 'InvalidQueryParameterValue', `comp=${url.searchParams.get('comp')} is not supported`);
  }
}
