/**
 * A BuildKit session on the Docker Engine API that serves build secrets (issue 9 item 2).
 * POST /session upgrades the connection (h2c); the daemon then is the gRPC client and we the
 * server, on that socket: it asks for each secret a `RUN --mount=type=secret,id=...` needs with
 * /moby.buildkit.secrets.v1.Secrets/GetSecret. The values travel only on this connection,
 * never in build args, labels, the image or the build context.
 */
import { randomUUID } from 'node:crypto';
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { bytesField, decodeMessage, stringOf, varintField } from './protobuf.ts';

const GET_SECRET = '/moby.buildkit.secrets.v1.Secrets/GetSecret';
const HEALTH_CHECK = '/grpc.health.v1.Health/Check';

// gRPC status codes (grpc/status.h).
const OK = 0;
const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

export interface SecretSession {
  /** The id a build names with `session=`. */
  id: string;
  close(): void;
}

/** Opens a session serving `secrets` (id -> value); rejects with the daemon's reason when it refuses one (podman, old daemons). */
export async function openSecretSession(docker: Docker, secrets: Readonly<Record<string, string>>): Promise<SecretSession> {
  const id = randomUUID();
  const socket = await new Promise<Duplex>((resolve, reject) => {
    docker.modem.dial(
      {
        path: '/session',
        method: 'POST',
        hijack: true,
        headers: {
          Upgrade: 'h2c',
          'X-Docker-Expose-Session-Uuid': id,
          'X-Docker-Expose-Session-Name': 'madengine',
          'X-Docker-Expose-Session-Sharedkey': id,
          'X-Docker-Expose-Session-Grpc-Method': [GET_SECRET, HEALTH_CHECK],
        },
        statusCodes: { 101: true },
      } as unknown as Parameters<Docker['modem']['dial']>[0],
      (error: unknown, result: unknown) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result as Duplex)),
    );
  });
  const server = http2.createServer();
  server.on('stream', (stream, headers) => answer(stream, String(headers[':path'] ?? ''), secrets));
  server.emit('connection', socket);
  return {
    id,
    close: () => {
      server.close();
      socket.destroy();
    },
  };
}

/** One unary gRPC call: collect the request, reply with a message or a status. */
function answer(stream: http2.ServerHttp2Stream, method: string, secrets: Readonly<Record<string, string>>): void {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('error', () => undefined); // the daemon may drop the session at any time
  stream.on('end', () => {
    const request = unframe(Buffer.concat(chunks));
    if (method === HEALTH_CHECK) return reply(stream, OK, varintField(1, 1)); // HealthCheckResponse{status: SERVING}
    if (method !== GET_SECRET) return reply(stream, UNIMPLEMENTED, undefined, `${method} is not served by this session`);
    const secretId = request ? (stringOf(decodeMessage(request), 1) ?? '') : '';
    if (!Object.hasOwn(secrets, secretId)) return reply(stream, NOT_FOUND, undefined, `secret ${secretId} not found`);
    reply(stream, OK, bytesField(1, Buffer.from(secrets[secretId]!))); // GetSecretResponse{data}
  });
}

function reply(stream: http2.ServerHttp2Stream, status: number, message: Buffer | undefined, detail?: string): void {
  if (stream.destroyed) return;
  const trailers = { 'grpc-status': String(status), ...(detail ? { 'grpc-message': encodeURIComponent(detail) } : {}) };
  if (!message) {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...trailers }, { endStream: true });
    return;
  }
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers(trailers));
  stream.end(frame(message));
}

/** gRPC message framing: a 0 (not compressed) byte, a 4-byte big-endian length, the message. */
function frame(message: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

function unframe(body: Buffer): Buffer | undefined {
  if (body.length < 5) return undefined;
  return body.subarray(5, 5 + body.readUInt32BE(1));
}
