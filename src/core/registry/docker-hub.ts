/**
 * Docker Hub's names. Image references and `docker login` use its hosts, the Engine API wants the
 * legacy server address for a login, and madengine's credential.json keys it `dockerhub` (compat §2.5).
 * One table, so every place that meets a registry name (--registry, credential lookup, image naming,
 * logins, docker config.json) treats them all alike.
 */

/** The host image references are normalised to (`ubuntu` is `docker.io/library/ubuntu`). */
export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's Registry API actually answers. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** The address Docker Hub logins are stored under by `docker login` and sent as to the Engine API. */
export const DOCKER_HUB_SERVER_ADDRESS = 'https://index.docker.io/v1/';
/** credential.json's entry for Docker Hub (also what --registry may say). */
export const DOCKER_HUB_CREDENTIAL_KEY = 'dockerhub';

/** Every name of Docker Hub, lower-case, in the order a docker config.json's `auths` are searched. */
export const DOCKER_HUB_ALIASES: readonly string[] = [DOCKER_HUB_SERVER_ADDRESS, 'index.docker.io', DOCKER_HUB, DOCKER_HUB_API_HOST, DOCKER_HUB_CREDENTIAL_KEY];

/** Whether `registry` is one of Docker Hub's names (any case, surrounding blanks ignored). */
export function isDockerHub(registry: string): boolean {
  return DOCKER_HUB_ALIASES.includes(registry.trim().toLowerCase());
}
