/**
 * Builds that mount secrets (`RUN --mount=type=secret,id=...`) run on the daemon's BuildKit
 * (POST /build?version=2) with a session serving the secrets, so no value enters build args,
 * labels, the image history or the context tar (issue 9 item 2). Podman's compatible API has no
 * BuildKit sessions: the build then fails with what to do instead.
 */
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { secretFingerprint } from '../../../core/build/build-secrets.ts';
import { BuildError, errorMessage } from '../../../core/errors.ts';
import { secretMountIds, secretMountRuns } from '../../../core/images/dockerfile.ts';
import { packBuildContext, type BuildContext } from '../build-context.ts';
import { buildQuery, followProgress, type BuildRequest, type ProgressEvent } from '../images.ts';
import { openSecretSession, type SecretSession } from './session.ts';
import { TraceLines } from './trace.ts';

export interface SecretBuildRequest extends BuildRequest {
  /** id -> value, served to the build through the session; a mounted id without one gets no file (BuildKit's rule). */
  secrets: Readonly<Record<string, string>>;
  /** Hub-relative Dockerfile, for messages. */
  dockerfile: string;
}

export async function buildWithSecrets(docker: Docker, request: SecretBuildRequest): Promise<{ imageId: string }> {
  const ids = secretMountIds(request.context.dockerfileText).join(', ');
  let session: SecretSession;
  try {
    session = await openSecretSession(docker, request.secrets);
  } catch (error) {
    throw new BuildError(
      `${request.dockerfile} mounts the secret(s) ${ids} (RUN --mount=type=secret), which needs a BuildKit session, and the engine refused one ` +
        `(${errorMessage(error).trim().replace(/\s+/g, ' ')}); build it on Docker Engine 18.09 or later (podman's Docker-compatible API has no BuildKit sessions)`,
      { cause: error },
    );
  }
  try {
    // No value served, nothing to rotate: the steps keep their ordinary cache key.
    const fingerprint = await secretFingerprint({ buildArgs: {}, mounts: request.secrets });
    const keyed = fingerprint
      ? { ...request, context: withSecretCacheKey(request.context), buildArgs: { ...request.buildArgs, [CACHE_KEY_ARG]: fingerprint } }
      : request;
    const stream = await dialBuild(docker, keyed, session.id).catch((error: unknown) => {
      throw new BuildError(`BuildKit build of ${request.tag} could not start: ${errorMessage(error)}`, { cause: error });
    });
    const trace = new TraceLines();
    const events = await followProgress(docker, stream, request.onLine, (event: ProgressEvent) =>
      event.id === 'moby.buildkit.trace' && typeof event.aux === 'string'
        ? trace
            .lines(event.aux)
            .map((line) => `${line}\n`)
            .join('')
        : (event.stream ?? ''),
    ).catch((error: unknown) => {
      throw new BuildError(`BuildKit build of ${request.tag} failed: ${errorMessage(error)}`, { cause: error });
    });
    const built = events.find((event) => event.id === 'moby.image.id' && typeof event.aux === 'object')?.aux;
    const imageId = typeof built === 'object' && built.ID ? built.ID : (await docker.getImage(request.tag).inspect()).Id;
    return { imageId };
  } finally {
    session.close();
  }
}

const CACHE_KEY_ARG = 'MADENGINE_SECRETS_FINGERPRINT';

/**
 * BuildKit leaves secret values out of its layer cache key, so a rotated secret would reuse the step that
 * read the old one. `ARG MADENGINE_SECRETS_FINGERPRINT` right before each secret-mount RUN puts the values'
 * fingerprint (scrypt, as in the build hash; never a value) into that step's key; earlier steps stay cached.
 */
export function withSecretCacheKey(context: BuildContext): BuildContext {
  const starts = new Set(secretMountRuns(context.dockerfileText).map((run) => run.line));
  const lines = context.dockerfileText.split('\n').flatMap((line, index) => (starts.has(index) ? [`ARG ${CACHE_KEY_ARG}`, line] : [line]));
  const dockerfileText = lines.join('\n');
  return { ...context, dockerfileText, dockerfileName: `.madengine.Dockerfile.${createHash('sha256').update(dockerfileText).digest('hex').slice(0, 12)}` };
}

/** POST /build with the context tar, as BuildKit (version=2) on `session`. */
function dialBuild(docker: Docker, request: SecretBuildRequest, session: string): Promise<NodeJS.ReadableStream> {
  const query = { ...buildQuery(request), version: '2', session };
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: '/build?',
        method: 'POST',
        file: packBuildContext(request.context),
        options: query,
        isStream: true,
        ...(request.signal ? { abortSignal: request.signal } : {}),
        statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
      } as unknown as Parameters<Docker['modem']['dial']>[0],
      (error: unknown, stream: unknown) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(stream as NodeJS.ReadableStream),
    );
  });
}
