/** The effective context of a run and the registry logins it brings (shared by the local and cluster runs). */
import { mergeContexts, storedContext } from '../core/context/merge.ts';
import type { AdditionalContext } from '../core/context/schema.ts';
import { validateContext } from '../core/context/validate.ts';
import type { Logger } from '../core/log.ts';
import type { BuildManifest } from '../core/manifest/manifest.ts';
import { registryAuthCredentials, type Credentials } from '../core/registry/credentials.ts';
import { parseImageReference } from '../core/registry/reference.ts';

/**
 * A `run --manifest-file`'s context: the runtime context (`runtimeRaw`, before defaults) merged over the
 * manifest's stored one (with madengine's deployment_config sections filled in), validated. The runtime
 * context wins (madengine let the manifest win; difference 8).
 */
export function effectiveRunContext(manifest: BuildManifest, runtimeRaw: Readonly<Record<string, unknown>>, manifestFile: string): AdditionalContext {
  return validateContext(mergeContexts(storedContext(manifest), runtimeRaw), `${manifestFile} context + runtime context`).context;
}

/**
 * The context's registry_auth as the login for `registries` (--registry, else the registries the
 * manifest's images are pulled from), under the extra credentials (action inputs) as in a build.
 */
export function withRegistryAuth(
  credentials: Credentials,
  context: AdditionalContext,
  registries: readonly string[],
  extra: Credentials | undefined,
  logger: Logger,
): Credentials {
  if (!context.registry_auth) return credentials;
  if (registries.length === 0) {
    logger.warn('registry_auth: no registry to use it for (no --registry, and no image of the manifest comes from a registry); it is ignored');
    return credentials;
  }
  return { ...credentials, ...registryAuthCredentials(context.registry_auth, registries), ...extra };
}

/** The registries a manifest's images are pulled from. */
export function pullRegistries(manifest: BuildManifest): string[] {
  const registries = Object.values(manifest.built_images).flatMap((image) => {
    const ref = image.registry_image ?? (image.local_image ? image.docker_image : undefined);
    if (!ref) return [];
    try {
      return [parseImageReference(ref).registry];
    } catch {
      return []; // a bad reference fails where the image is used, with its own message
    }
  });
  return [...new Set(registries)];
}
