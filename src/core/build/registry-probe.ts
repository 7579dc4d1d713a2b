import { RegistryClient } from '../registry/client.ts';
import type { Credentials } from '../registry/credentials.ts';
import { BUILD_HASH_LABEL } from './build-images.ts';

/**
 * "Does the registry already hold this build?": the digest of `ref` when its image carries the
 * build-hash label `hash`, else undefined. Used to skip builds whose inputs are unchanged.
 */
export function registryBuildProbe(credentials: Credentials): (ref: string, hash: string) => Promise<string | undefined> {
  const client = new RegistryClient({ credentials });
  return async (ref, hash) => {
    const labels = await client.imageLabels(ref);
    return labels?.[BUILD_HASH_LABEL] === hash ? client.manifestDigest(ref) : undefined;
  };
}
