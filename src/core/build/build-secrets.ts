/**
 * Which secrets reach a build, and how (issue 9 item 2). madengine passed every MAD_SECRETS* variable
 * and every `<cred>_<KEY>` value as a build arg to every build, so they ended up in `docker history`
 * and in the image config pushed to the registry. Here a secret reaches a build only where the
 * Dockerfile asks for it: as a build arg when some stage declares `ARG NAME` (baked into the image
 * history: warned about, recorded, not pushed without opt-in), or as a BuildKit secret mount
 * (`RUN --mount=type=secret,id=NAME`), which leaves no trace in the image.
 */
import { scrypt } from 'node:crypto';
import { declaredArgs, secretMountIds } from '../images/dockerfile.ts';
import { isSecretName } from '../secrets/selection.ts';

export interface BuildSecrets {
  /** Secrets the Dockerfile declares as ARG: passed as build args (they end up in the image history). */
  buildArgs: Record<string, string>;
  /** Secrets the Dockerfile mounts (`RUN --mount=type=secret,id=...`): served by a BuildKit session. */
  mounts: Record<string, string>;
  /** Mount ids that no known secret has (BuildKit leaves those files out; a `required=true` mount fails). */
  unknownMounts: string[];
}

/**
 * A build's docker_build_arg split by name: MAD_SECRETS* entries are secrets like the environment's
 * (they reach the build only where the Dockerfile asks, and are never printed; difference 35); the rest are plain build args.
 */
export function splitSecretArgs(buildArgs: Readonly<Record<string, string>>): { plain: Record<string, string>; secret: Record<string, string> } {
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [name, value] of Object.entries(buildArgs)) (isSecretName(name) ? secret : plain)[name] = value;
  return { plain, secret };
}

/** The subset of `available` (secret name -> value) the Dockerfile uses, split by how it uses it. */
export function secretsForDockerfile(available: Readonly<Record<string, string>>, dockerfileText: string): BuildSecrets {
  const args = declaredArgs(dockerfileText);
  const buildArgs: Record<string, string> = {};
  for (const [name, value] of Object.entries(available)) if (args.has(name)) buildArgs[name] = value;
  const mounts: Record<string, string> = {};
  const unknownMounts: string[] = [];
  for (const id of secretMountIds(dockerfileText)) {
    if (Object.hasOwn(available, id)) mounts[id] = available[id]!;
    else unknownMounts.push(id);
  }
  return { buildArgs, mounts, unknownMounts };
}

// A fixed, purpose-bound salt: the fingerprint must be equal across runs (it is part of the build hash),
// and the slow KDF makes guessing a secret from the public build-hash label impractical.
const FINGERPRINT_SALT = 'org.madengine.build-hash/secret-fingerprint/v1';
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const fingerprints = new Map<string, Promise<string>>();

/**
 * A fingerprint of the secret VALUES a build uses, mixed into its build hash so a rotated secret rebuilds:
 * scrypt over the sorted `kind name=value` pairs. Undefined when the build uses no secret.
 */
export function secretFingerprint(secrets: Pick<BuildSecrets, 'buildArgs' | 'mounts'>): Promise<string> | undefined {
  const pairs = [
    ...Object.entries(secrets.buildArgs).map(([name, value]) => `arg ${name}=${value}`),
    ...Object.entries(secrets.mounts).map(([id, value]) => `secret ${id}=${value}`),
  ].sort();
  if (pairs.length === 0) return undefined;
  // Length-prefixed, so no value can pose as a pair boundary.
  const input = pairs.map((pair) => `${Buffer.byteLength(pair)}:${pair}`).join('');
  let fingerprint = fingerprints.get(input);
  if (!fingerprint) {
    fingerprint = new Promise((resolve, reject) =>
      scrypt(input, FINGERPRINT_SALT, 32, SCRYPT, (error, key) => (error ? reject(error) : resolve(key.toString('hex')))),
    );
    fingerprints.set(input, fingerprint);
  }
  return fingerprint;
}

/** The hash's `extra` inputs for a build's secrets: their names and kinds, and the fingerprint of their values. */
export async function secretHashInputs(secrets: BuildSecrets): Promise<string[]> {
  const names = [
    ...Object.keys(secrets.buildArgs).map((name) => `secret-arg ${name}`),
    ...Object.keys(secrets.mounts).map((id) => `secret-mount ${id}`),
  ].sort();
  const fingerprint = await secretFingerprint(secrets);
  return fingerprint ? [...names, `secret-fingerprint ${fingerprint}`] : names;
}
