/** The context-derived parts of build_manifest.json (compat §2.8). */
import type { AdditionalContext } from '../context/schema.ts';
import { isPlainObject } from '../util/object.ts';
import { isSecretName } from '../secrets/selection.ts';

/**
 * The manifest's `context`: the whole validated additional context (so a run is reproducible from
 * the manifest alone), minus MAD_SECRETS* values (at any depth), which madengine leaked into the file.
 * Their values are read from the environment at run time.
 */
export function manifestContext<T>(context: T): T {
  if (!isPlainObject(context)) return context;
  return Object.fromEntries(
    Object.entries(context)
      .filter(([key]) => !isSecretName(key))
      .map(([key, value]) => [key, manifestContext(value)]),
  ) as T;
}

const DEPLOYMENT_SECTIONS = ['slurm', 'k8s', 'kubernetes', 'distributed', 'vllm', 'sglang'] as const;

/** The context keys `deployment_config` is made of. */
export type DeploymentContext = Pick<AdditionalContext, 'deploy' | (typeof DEPLOYMENT_SECTIONS)[number] | 'env_vars' | 'debug'>;

/** `deployment_config`: the target and the deployment sections of the context. */
export function deploymentConfig(context: DeploymentContext): Record<string, unknown> {
  const target = context.deploy ?? ('k8s' in context || 'kubernetes' in context ? 'k8s' : 'slurm' in context ? 'slurm' : 'local');
  const config: Record<string, unknown> = { target };
  for (const section of DEPLOYMENT_SECTIONS) if (context[section] !== undefined) config[section] = manifestContext(context[section]);
  // MAD_SECRETS* values stay out of the file, as in `context` (difference 20).
  const envVars = Object.fromEntries(Object.entries(context.env_vars ?? {}).filter(([name]) => !isSecretName(name)));
  delete envVars.MIOPEN_USER_DB_PATH; // host-specific; madengine drops it too
  config.env_vars = envVars;
  config.debug = context.debug === true;
  return config;
}
