/** Twirp JSON errors and request bodies, shared by the fakes of the results service's ArtifactService and CacheService. */
import type { IncomingMessage } from 'node:http';

/** Twirp error codes the fakes use, with the HTTP status Twirp maps each to (none is retried by the clients). */
export const TWIRP_STATUS = {
  malformed: 400,
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  failed_precondition: 412,
} as const;
export type TwirpCode = keyof typeof TWIRP_STATUS;

export class TwirpError extends Error {
  constructor(
    readonly code: TwirpCode,
    message: string,
  ) {
    super(message);
  }
}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
