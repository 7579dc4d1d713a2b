/**
 * Image operations on a Docker-API daemon (Docker or podman's compatible socket) through
 * dockerode: build from a context tar, find images by label, tag, push, log in.
 * Build output goes line by line to a callback (the per-image log file, the console).
 * Credentials travel only in the API's auth header, never in argv or logs.
 */
import type Docker from 'dockerode';
import { BuildError, errorMessage } from '../../core/errors.ts';
import { packBuildContext, type BuildContext } from './build-context.ts';
import type { RegistryAuth } from '../../core/registry/credentials.ts';
import { isDockerHub } from '../../core/registry/docker-hub.ts';

export interface BuildRequest {
  tag: string;
  context: BuildContext;
  /** All build args, secrets included (they never reach a log through this module). */
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  noCache?: boolean;
  pull?: boolean;
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

export interface ProgressEvent {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  /** An object for the classic builder and pushes; BuildKit's `moby.buildkit.trace` events carry a base64 string. */
  aux?: { ID?: string; Digest?: string; Tag?: string } | string;
}

/** The text of a classic-builder or push event (possibly several lines, possibly a partial one). */
function eventText(event: ProgressEvent): string {
  return event.stream ?? (event.status ? `${event.id ? `${event.id}: ` : ''}${event.status}${event.progress ? ` ${event.progress}` : ''}\n` : '');
}

/** Drain a daemon progress stream, forwarding text lines; rejects on an in-stream error. */
export function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onLine?: (line: string) => void,
  text: (event: ProgressEvent) => string = eventText,
): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    let partial = '';
    docker.modem.followProgress(
      stream,
      (error: Error | null, events: ProgressEvent[]) => {
        if (partial && onLine) onLine(partial);
        if (error) return reject(error);
        const failed = events.find((event) => event.error || event.errorDetail);
        if (failed) return reject(new Error(failed.errorDetail?.message ?? failed.error ?? 'unknown daemon error'));
        resolve(events);
      },
      (event: ProgressEvent) => {
        if (!onLine) return;
        const error = event.errorDetail?.message ?? event.error;
        const lines = (partial + text(event) + (error ? `ERROR: ${error}\n` : '')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      },
    );
  });
}

/** The Engine API's build query, as both builders send it (BuildKit adds version=2 and its session). */
export function buildQuery(request: BuildRequest) {
  return {
    t: request.tag,
    dockerfile: request.context.dockerfileName,
    buildargs: request.buildArgs,
    labels: request.labels,
    nocache: request.noCache ?? false,
    pull: request.pull ?? false,
    networkmode: 'host',
    rm: true,
    forcerm: true,
  };
}

export async function buildImage(docker: Docker, request: BuildRequest): Promise<{ imageId: string }> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(packBuildContext(request.context), {
      ...buildQuery(request),
      ...(request.signal ? { abortSignal: request.signal } : {}),
    });
  } catch (error) {
    throw new BuildError(`docker build of ${request.tag} could not start: ${errorMessage(error)}`, { cause: error });
  }
  try {
    await followProgress(docker, stream, request.onLine);
  } catch (error) {
    throw new BuildError(`docker build of ${request.tag} failed: ${errorMessage(error)}`, { cause: error });
  }
  const info = await docker.getImage(request.tag).inspect();
  return { imageId: info.Id };
}

/** Local images carrying `label=value`, newest first. */
export async function findImagesByLabel(docker: Docker, label: string, value: string): Promise<Docker.ImageInfo[]> {
  const images = await docker.listImages({ filters: JSON.stringify({ label: [`${label}=${value}`] }) });
  return images.sort((a, b) => b.Created - a.Created);
}

export async function inspectImage(docker: Docker, ref: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

/** `docker tag source target` (target may carry a registry host and a :tag). */
export async function tagImage(docker: Docker, source: string, target: string): Promise<void> {
  const { repo, tag } = splitTag(target);
  await docker.getImage(source).tag({ repo, tag });
}

/** Push `ref`; returns the manifest digest the registry reported. */
export async function pushImage(docker: Docker, ref: string, auth?: RegistryAuth, onLine?: (line: string) => void): Promise<{ digest: string }> {
  const { repo, tag } = splitTag(ref);
  const stream = await docker.getImage(repo).push({ tag, ...(auth ? { authconfig: auth } : {}) });
  const events = await followProgress(docker, stream, onLine);
  const digest =
    events.map((e) => (typeof e.aux === 'object' ? e.aux.Digest : undefined)).find(Boolean) ??
    events.map((e) => /digest: (sha256:[0-9a-f]{64})/.exec(e.status ?? '')?.[1]).find(Boolean);
  if (!digest) throw new Error(`push of ${ref} finished without a digest`);
  return { digest };
}

/** Pull `ref` (a registry image); resolves when the daemon has it. */
export async function pullImage(docker: Docker, ref: string, auth?: RegistryAuth, onLine?: (line: string) => void): Promise<void> {
  const stream = (await docker.pull(ref, auth ? { authconfig: auth } : {})) as NodeJS.ReadableStream;
  await followProgress(docker, stream, onLine);
}

/** "host:5000/a/b:tag" -> { repo: "host:5000/a/b", tag: "tag" } (a ':' after the last '/' is the tag). */
export function splitTag(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repo: ref, tag: 'latest' };
}

/** Base images named by FROM lines, with ARG defaults and build args substituted; stage names excluded. */
export function baseImages(dockerfileText: string, buildArgs: Record<string, string>): string[] {
  const args: Record<string, string> = {};
  const stages = new Set<string>();
  const bases: string[] = [];
  const lines = dockerfileText.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/i.exec(line);
    if (arg) {
      args[arg[1]!] = buildArgs[arg[1]!] ?? (arg[2] ?? '').replace(/^["']|["']$/g, '');
      continue;
    }
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!from) continue;
    const image = from[1]!.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => args[name] ?? buildArgs[name] ?? '');
    if (!stages.has(image.toLowerCase()) && image.toLowerCase() !== 'scratch') bases.push(image);
    if (from[2]) stages.add(from[2].toLowerCase());
  }
  return bases;
}

/**
 * madengine always passes --pull; that fails for images that exist only locally (nothing can be
 * pulled for them). Pull when a base is missing locally or was pulled from its own repository
 * (a RepoDigest under the same name); an imported or locally built base is used as it is.
 */
export async function shouldPull(docker: Docker, dockerfileText: string, buildArgs: Record<string, string>): Promise<boolean> {
  for (const base of baseImages(dockerfileText, buildArgs)) {
    const info = await inspectImage(docker, base);
    if (!info) return true;
    const repository = canonicalRepository(splitTag(base.split('@')[0]!).repo);
    if ((info.RepoDigests ?? []).some((digest) => canonicalRepository(digest.split('@')[0]!) === repository)) return true;
  }
  return false;
}

/**
 * "docker.io/library/ubuntu" and "ubuntu" name the same repository: a Docker Hub host in front is dropped
 * (only a host: "dockerhub/x" is the user dockerhub's repository x).
 */
function canonicalRepository(name: string): string {
  const host = name.slice(0, Math.max(0, name.indexOf('/')));
  const repository = host.includes('.') && isDockerHub(host) ? name.slice(host.length + 1) : name;
  return repository.replace(/^library\//, '');
}
