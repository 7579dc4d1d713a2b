/**
 * Registry and build credentials: `<hub>/credential.json` plus the MAD_DOCKERHUB_* environment override
 * (compat §2.5) and the `<cred>_<KEY>` build arguments a model's `cred` asks for (compat §2.4). Which
 * values are secrets, and their redaction, is src/core/secrets.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.ts';
import { describeValue } from '../util/describe.ts';
import { didYouMean } from '../util/suggest.ts';
import { lineColumnAt, parseJsonText } from '../util/json-file.ts';
import { isPlainObject } from '../util/object.ts';
import { DOCKER_HUB_CREDENTIAL_KEY, DOCKER_HUB_SERVER_ADDRESS, isDockerHub } from './docker-hub.ts';
import { copyValueMarks, markNonStringValue, selectSecrets } from '../secrets/selection.ts';

/** One credential.json entry, e.g. `{ "username": "u", "password": "p", "repository": "org/ci" }`. */
export type CredentialEntry = Record<string, string>;
/** credential.json: entry name (a registry host, `dockerhub`, or any name a model's `cred` uses) -> entry. */
export type Credentials = Record<string, CredentialEntry>;

/** What a registry needs to log in. */
export interface RegistryLogin {
  username: string;
  password: string;
}

/** A login as the Engine API takes it (pull, push, checkAuth): with the server it is for. */
export interface RegistryAuth extends RegistryLogin {
  serveraddress: string;
}

export const CREDENTIAL_FILE = 'credential.json';
/** How a bad value is described in messages: its kind, never the value itself, which may be a secret. */
const KIND_ONLY = { hideValue: true, article: true, array: 'an array' } as const;

/**
 * Reads `<hubDir>/credential.json` (absent = no credentials), then lets MAD_DOCKERHUB_USER and
 * MAD_DOCKERHUB_PASSWORD (and optionally MAD_DOCKERHUB_REPO) override the `dockerhub` entry.
 */
export async function loadCredentials(hubDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials> {
  const file = path.join(hubDir, CREDENTIAL_FILE);
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, { file, cause: error });
    }
  }
  const credentials = text === undefined ? {} : parseCredentials(text, file);
  return applyDockerhubEnv(credentials, env);
}

/** Parses and validates credential.json text; errors name the file, the entry/key and the line:column. */
export function parseCredentials(text: string, file: string = CREDENTIAL_FILE): Credentials {
  const data = parseJsonText(text, file, ConfigError);
  if (!isPlainObject(data)) {
    throw new ConfigError(
      `${file}: must be a JSON object of entries like {"dockerhub": {"username": "...", "password": "..."}}, got ${describeValue(data, KIND_ONLY)}`,
      { file, line: 1, column: 1 },
    );
  }
  const credentials: Credentials = {};
  for (const [name, entry] of Object.entries(data)) {
    const where = locateKey(text, name);
    const at = where.line === undefined ? '' : `:${where.line}:${where.column}`;
    if (!isPlainObject(entry)) {
      throw new ConfigError(
        `${file}${at}: entry '${name}' must be an object like {"username": "...", "password": "..."}, got ${describeValue(entry, KIND_ONLY)}`,
        { file, ...where },
      );
    }
    const values: CredentialEntry = {};
    for (const [key, value] of Object.entries(entry)) {
      if (typeof value === 'string') values[key] = value;
      else if (typeof value === 'number' || typeof value === 'boolean') {
        values[key] = String(value);
        markNonStringValue(values, key);
      } else {
        throw new ConfigError(`${file}${at}: '${name}.${key}' must be a string (or number/boolean), got ${describeValue(value, KIND_ONLY)}`, {
          file,
          ...where,
        });
      }
    }
    credentials[name] = values;
  }
  return credentials;
}

function applyDockerhubEnv(credentials: Credentials, env: NodeJS.ProcessEnv): Credentials {
  const user = env.MAD_DOCKERHUB_USER;
  const password = env.MAD_DOCKERHUB_PASSWORD;
  const repository = env.MAD_DOCKERHUB_REPO;
  if (!user && !password) return credentials;
  if (!user || !password) {
    const missing = user ? 'MAD_DOCKERHUB_PASSWORD' : 'MAD_DOCKERHUB_USER';
    const present = user ? 'MAD_DOCKERHUB_USER' : 'MAD_DOCKERHUB_PASSWORD';
    throw new ConfigError(`${present} is set but ${missing} is not: set both to log in to Docker Hub, or neither`);
  }
  // The environment wins for what it sets; other keys of the file's entry (e.g. repository) stay.
  const dockerhub: CredentialEntry = { ...credentials[DOCKER_HUB_CREDENTIAL_KEY], username: user, password };
  copyValueMarks(credentials[DOCKER_HUB_CREDENTIAL_KEY], dockerhub);
  if (repository) dockerhub.repository = repository;
  return { ...credentials, [DOCKER_HUB_CREDENTIAL_KEY]: dockerhub };
}

/** The credential.json key holding a registry's login: Docker Hub's names map to `dockerhub`, others are verbatim. */
export function registryCredentialKey(registry: string): string {
  const trimmed = registry.trim();
  return trimmed === '' || isDockerHub(trimmed) ? DOCKER_HUB_CREDENTIAL_KEY : trimmed;
}

/**
 * The login for `registry`, or undefined when credential.json has no entry for it.
 * An entry without both username and password is an error: it was clearly meant to be used.
 */
export function registryLogin(registry: string, credentials: Credentials): RegistryLogin | undefined {
  const key = registryCredentialKey(registry);
  const entry = credentials[key];
  if (entry === undefined) return undefined;
  const missing = ['username', 'password'].filter((field) => !entry[field]);
  if (missing.length > 0) {
    throw new ConfigError(`credential '${key}' for registry ${registry} has no ${missing.join(' or ')} in ${CREDENTIAL_FILE}`);
  }
  return { username: entry.username!, password: entry.password! };
}

/**
 * The context's registry_auth as credential.json entries, one per registry it is for (a build's
 * --registry; the registries a run pulls from), so it goes wherever those credentials go.
 */
export function registryAuthCredentials(login: RegistryLogin | undefined, registries: readonly string[]): Credentials {
  if (login === undefined) return {};
  return Object.fromEntries(registries.map((registry) => [registryCredentialKey(registry), { username: login.username, password: login.password }]));
}

/** The Engine API auth for `login` on `registry`; Docker Hub's logins are for its legacy server address. */
export function registryAuthFor(registry: string, login: RegistryLogin): RegistryAuth {
  return { username: login.username, password: login.password, serveraddress: isDockerHub(registry) ? DOCKER_HUB_SERVER_ADDRESS : registry };
}

/**
 * Build arguments for a model's `cred`: every key K of `credentials[credName]` becomes `<credName>_<K upper>`.
 * An empty `credName` means the model needs none.
 */
export function credentialBuildArgs(credName: string, credentials: Credentials, modelName = '?'): Record<string, string> {
  if (credName === '') return {};
  const entry = credentials[credName];
  if (entry === undefined) {
    const keys = Object.keys(credentials);
    const known = keys.length === 0 ? 'none: no credential.json and no MAD_DOCKERHUB_USER/PASSWORD' : keys.join(', ');
    throw new ConfigError(`credential '${credName}' for model ${modelName} not found in ${CREDENTIAL_FILE} (keys: ${known})${didYouMean(credName, keys)}`);
  }
  const args: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry)) args[`${credName}_${key.toUpperCase()}`] = value;
  return args;
}

/** Every credential value that is a secret (selection.ts decides which), longest first, for masking and redaction. */
export function secretValues(credentials: Credentials): string[] {
  return selectSecrets({ credentials }).values;
}

// ---------------------------------------------------------------- helpers

/** Where a top-level key appears (first `"key":`), for pointing at an entry; best effort. */
function locateKey(text: string, key: string): { line?: number; column?: number } {
  const pattern = new RegExp(`${escapeRegExp(JSON.stringify(key))}\\s*:`);
  const match = pattern.exec(text);
  return match ? lineColumnAt(text, match.index) : {};
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
