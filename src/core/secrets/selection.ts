/**
 * Which values are secrets: the one selection that log redaction, result redaction and the runner's
 * log masking (core.setSecret) all use.
 *
 * - credential.json (and MAD_DOCKERHUB_*): every value, except the keys in NON_SECRET_CREDENTIAL_KEYS
 *   (names and addresses that identify an account, which logs must be able to show) and values written
 *   as JSON numbers or booleans (ports, flags), unless the key names a secret (password, token, ...).
 * - every MAD_SECRETS* variable of the environment, and MAD_SECRETS* entries of the context's
 *   env_vars / docker_env_vars / docker_build_arg (madengine's rule for secret names).
 * - a multi-line value is masked whole and line by line (lines of MIN_SECRET_LENGTH or more).
 * - values shorter than MIN_SECRET_LENGTH are not masked: masking `3` or `a` would shred every log
 *   line. Each one gets one warning naming its key or variable, never its value (difference 29).
 */
import type { AdditionalContext } from '../context/schema.ts';
import type { CredentialEntry, Credentials } from '../registry/credentials.ts';

/** Shorter values are not masked (see the module comment). */
export const MIN_SECRET_LENGTH = 4;

/** credential.json keys whose values identify rather than authenticate (compared case-insensitively). */
export const NON_SECRET_CREDENTIAL_KEYS: readonly string[] = ['username', 'user', 'repository', 'repo', 'registry', 'server', 'serveraddress', 'email'];

/** Keys that hold a secret whatever JSON type the value has (a numeric password is still a password). */
const SECRET_KEY = /pass|token|secret|key|auth/i;

/** madengine's rule for secrets in the environment: every variable whose name contains MAD_SECRETS. */
export function isSecretName(name: string): boolean {
  return name.includes('MAD_SECRETS');
}

/** The MAD_SECRETS* variables that are set in `env`: madengine passes them as build args and into every container. */
export function secretEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name, value]) => isSecretName(name) && value !== undefined)) as Record<string, string>;
}

/**
 * Entries' keys whose credential.json value was a number or boolean (entries hold strings, so the
 * JSON type is remembered here). Keyed by the entry object: it travels with the entry wherever the
 * credentials are spread.
 */
const nonStringKeys = new WeakMap<CredentialEntry, Set<string>>();

/** Records that `entry[key]` came from a JSON number or boolean. */
export function markNonStringValue(entry: CredentialEntry, key: string): void {
  const keys = nonStringKeys.get(entry) ?? new Set<string>();
  keys.add(key);
  nonStringKeys.set(entry, keys);
}

/** Carries the number/boolean marks of `from` over to `to` (an entry copied with some keys replaced). */
export function copyValueMarks(from: CredentialEntry | undefined, to: CredentialEntry): void {
  for (const key of (from && nonStringKeys.get(from)) ?? []) if (to[key] === from![key]) markNonStringValue(to, key);
}

/** Whether `entry[key]` is a secret by its key and JSON type (length is checked separately). */
export function isSecretCredentialKey(entry: CredentialEntry, key: string): boolean {
  if (NON_SECRET_CREDENTIAL_KEYS.includes(key.toLowerCase())) return false;
  return !nonStringKeys.get(entry)?.has(key) || SECRET_KEY.test(key);
}

export interface SecretSources {
  credentials?: Credentials;
  /** The run's environment: its MAD_SECRETS* values. */
  env?: NodeJS.ProcessEnv;
  /** The context's env_vars, docker_env_vars and docker_build_arg (contextSecretVariables): their MAD_SECRETS* values. */
  contextEnv?: readonly (Readonly<Record<string, string | null | undefined>> | undefined)[];
}

/** The context's name -> value maps whose MAD_SECRETS* entries are secrets, for SecretSources.contextEnv. */
export function contextSecretVariables(
  context: Pick<AdditionalContext, 'env_vars' | 'docker_env_vars' | 'docker_build_arg'>,
): NonNullable<SecretSources['contextEnv']> {
  return [context.env_vars, context.docker_env_vars, context.docker_build_arg];
}

export interface SecretSelection {
  /** Distinct values to mask, longest first. */
  values: string[];
  /** One line per value too short to mask, naming where it came from (never the value). */
  warnings: string[];
}

export function selectSecrets(sources: SecretSources): SecretSelection {
  const values = new Set<string>();
  const short = new Set<string>();
  const consider = (value: string | null | undefined, where: string): void => {
    if (!value) return;
    if (value.length < MIN_SECRET_LENGTH) short.add(where);
    else values.add(value);
    // A multi-line secret (a PEM key, a kubeconfig) is often printed line by line: each line is a secret too.
    if (/[\r\n]/.test(value)) {
      for (const line of value.split(/\r?\n|\r/)) if (line.trim().length >= MIN_SECRET_LENGTH) values.add(line);
    }
  };
  for (const [name, entry] of Object.entries(sources.credentials ?? {})) {
    for (const [key, value] of Object.entries(entry)) if (isSecretCredentialKey(entry, key)) consider(value, `credential '${name}.${key}'`);
  }
  for (const [name, value] of Object.entries(secretEnv(sources.env ?? {}))) consider(value, `environment variable ${name}`);
  for (const vars of sources.contextEnv ?? []) {
    for (const [name, value] of Object.entries(vars ?? {})) if (isSecretName(name)) consider(value, `context variable ${name}`);
  }
  return {
    values: [...values].sort((a, b) => b.length - a.length),
    warnings: [...short].map(
      (where) =>
        `${where} is shorter than ${MIN_SECRET_LENGTH} characters, so it is not masked in logs or results (masking so short a value would garble all output); use a longer secret`,
    ),
  };
}
