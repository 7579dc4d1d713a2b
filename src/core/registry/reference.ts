/**
 * Image references the way Docker reads them: `[registry/]repository[:tag][@digest]`, where the first path
 * component is a registry only when it looks like a host (has '.' or ':', is 'localhost', or has capitals),
 * and Docker Hub's official images live under `library/`.
 */
import { ConfigError } from '../errors.ts';
import { DOCKER_HUB, isDockerHub } from './docker-hub.ts';

export interface ImageReference {
  /** Registry host[:port] as written, `docker.io` when none was. */
  registry: string;
  /** Repository path inside the registry, e.g. `library/ubuntu`, `org/ci`. */
  repository: string;
  /** Tag, `latest` when neither tag nor digest was given; undefined for a digest-only reference. */
  tag?: string;
  /** `algorithm:hex` digest, when given. */
  digest?: string;
  /** What `/v2/<repository>/manifests/<reference>` takes: the digest when given (it pins), else the tag. */
  reference: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;

/** Whether `text` is one repository path component Docker accepts (lower-case letters and digits joined by '.', '_', '__' or dashes). */
export function isRepositoryComponent(text: string): boolean {
  return COMPONENT.test(text);
}

export function parseImageReference(text: string): ImageReference {
  const fail = (why: string): never => {
    throw new ConfigError(`invalid image reference '${text}': ${why} (expected [registry/]repository[:tag][@digest], e.g. 127.0.0.1:5000/org/image:tag)`);
  };
  const input = text.trim();
  if (input === '') fail('it is empty');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail(`digest '${digest}' is not algorithm:hex (e.g. sha256:<64 hex digits>)`);
    if (digest.startsWith('sha256:') && !/^sha256:[a-f0-9]{64}$/.test(digest)) fail(`digest '${digest}' is not sha256:<64 lower-case hex digits>`);
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`tag '${tag}' must be 1-128 of [A-Za-z0-9_.-], not starting with '.' or '-'`);
  }

  let registry = DOCKER_HUB;
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      registry = first;
      repository = rest.slice(slash + 1);
      if (!HOST.test(registry)) fail(`registry '${registry}' is not a host[:port]`);
    }
  }
  if (repository === '') fail('the repository name is empty');
  for (const component of repository.split('/')) {
    if (!COMPONENT.test(component)) {
      const hint = component !== component.toLowerCase() ? ' (repository names must be lower-case)' : '';
      fail(`repository component '${component}' must be lower-case letters and digits separated by '.', '_', '__' or '-'${hint}`);
    }
  }
  // Only a host names Docker Hub here: "DockerHub/x" is, to Docker, a registry called DockerHub.
  if (registry.includes('.') && isDockerHub(registry)) {
    registry = DOCKER_HUB;
    if (!repository.includes('/')) repository = `library/${repository}`;
  }
  if (tag === undefined && digest === undefined) tag = 'latest';

  const parsed: ImageReference = { registry, repository, reference: digest ?? tag! };
  if (tag !== undefined) parsed.tag = tag;
  if (digest !== undefined) parsed.digest = digest;
  return parsed;
}

/** The fully qualified form, e.g. `docker.io/library/ubuntu:latest`, `127.0.0.1:5000/a/b@sha256:...`. */
export function formatImageReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}
