/** The context-derived parts of build_manifest.json (compat §2.8). */
import { DEPLOYMENT_KEYS, type AdditionalContext } from '../context/schema.ts';
import { isPlainObject } from '../util/object.ts';
import { isSecretName } from '../secrets/selection.ts';

/**
 * Top-level context keys never written to a manifest: registry_auth holds a password (it is given
 * again at run time), and dry_run describes one invocation, not the build.
 */
const NOT_STORED: readonly string[] = ['registry_auth', 'dry_run'];

/**
 * The manifest's `context`: the whole validated additional context (so a run is reproducible from
 * the manifest alone), minus registry_auth and dry_run, and minus MAD_SECRETS* values (at any
 * depth), which madengine leaked into the file. Their values are read from the environment at run time.
 */
export function manifestContext<T>(context: T): T {
  if (!isPlainObject(context)) return context;
  return withoutSecrets(Object.fromEntries(Object.entries(context).filter(([key]) => !NOT_STORED.includes(key))) as T);
}

function withoutSecrets<T>(value: T): T {
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !isSecretName(key))
      .map(([key, inner]) => [key, withoutSecrets(inner)]),
  ) as T;
}

/** The context keys `deployment_config` is made of. */
export type DeploymentContext = Pick<AdditionalContext, 'deploy' | (typeof DEPLOYMENT_KEYS)[number] | 'env_vars' | 'debug'>;

/** `deployment_config`: the target and the deployment keys of the context (never registry_auth or dry_run). */
export function deploymentConfig(context: DeploymentContext): Record<string, unknown> {
  const target = context.deploy ?? ('k8s' in context || 'kubernetes' in context ? 'k8s' : 'slurm' in context ? 'slurm' : 'local');
  const config: Record<string, unknown> = { target };
  for (const key of DEPLOYMENT_KEYS) if (context[key] !== undefined) config[key] = withoutSecrets(context[key]);
  // MAD_SECRETS* values stay out of the file, as in `context` (difference 20).
  const envVars = Object.fromEntries(Object.entries(context.env_vars ?? {}).filter(([name]) => !isSecretName(name)));
  delete envVars.MIOPEN_USER_DB_PATH; // host-specific; madengine drops it too
  config.env_vars = envVars;
  config.debug = context.debug === true;
  return config;
}
