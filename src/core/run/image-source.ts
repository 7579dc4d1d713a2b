/** Where a docker run's image comes from: the registry image (pulled, local build as fallback), a local_image, or the local build. */
import { registryAuthFor, registryLogin, type Credentials } from '../registry/credentials.ts';
import { parseImageReference } from '../registry/reference.ts';
import { dockerConfigLogin } from '../registry/docker-config.ts';
import type { BuiltImage } from '../manifest/manifest.ts';
import type { ModelRunSpec } from './executor.ts';

/**
 * Which image a docker run uses (madengine's rules): a manifest's `registry_image` is pulled and run,
 * falling back to the local build when the pull fails; a `local_image` entry runs `docker_image`,
 * pulled only when missing; otherwise the local image named by the manifest key.
 */
export async function imageToRun(
  key: string,
  built: BuiltImage,
  credentials: Credentials,
  env: NodeJS.ProcessEnv,
): Promise<Pick<ModelRunSpec, 'image' | 'pull' | 'fallbackImage'>> {
  const auth = async (ref: string): Promise<NonNullable<ModelRunSpec['pull']>['auth']> => {
    const registry = parseImageReference(ref).registry;
    let login;
    try {
      login = registryLogin(registry, credentials);
    } catch {
      login = undefined;
    }
    login ??= await dockerConfigLogin(registry, env);
    return login ? registryAuthFor(registry, login) : undefined;
  };
  if (built.registry_image) {
    const credentials = await auth(built.registry_image);
    return { image: built.registry_image, pull: credentials ? { auth: credentials } : {}, fallbackImage: key };
  }
  if (built.local_image && built.docker_image) {
    const credentials = await auth(built.docker_image);
    return { image: built.docker_image, pull: { onlyIfMissing: true, ...(credentials ? { auth: credentials } : {}) } };
  }
  return { image: key };
}
