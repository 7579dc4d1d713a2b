/** The context-derived parts of build_manifest.json (reference §2.8). */
import type { AdditionalContext } from '../context/schema.ts';

/** Keys never written to a manifest: their values are secrets read from the environment at run time. */
const isSecretKey = (key: string): boolean => key.includes('MAD_SECRETS');

const isObject = (value: unknown): value is object => value !== null && typeof value === 'object' && !Array.isArray(value);

function withoutSecrets(object: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(object)
      .filter(([key]) => !isSecretKey(key))
      .map(([key, value]) => [key, isObject(value) ? withoutSecrets(value) : value]),
  );
}

/**
 * The manifest's `context`: the whole validated additional context (so a run is reproducible from
 * the manifest alone), minus MAD_SECRETS* values, which madengine leaked into the file.
 */
export function manifestContext(context: AdditionalContext): Record<string, unknown> {
  return withoutSecrets(context);
}

const DEPLOYMENT_SECTIONS = ['slurm', 'k8s', 'kubernetes', 'distributed', 'vllm', 'sglang'] as const;

/** The context keys `deployment_config` is made of. */
export type DeploymentContext = Pick<AdditionalContext, 'deploy' | (typeof DEPLOYMENT_SECTIONS)[number] | 'env_vars' | 'debug'>;

/** `deployment_config`: the target and the deployment sections of the context. */
export function deploymentConfig(context: DeploymentContext): Record<string, unknown> {
  const target = context.deploy ?? ('k8s' in context || 'kubernetes' in context ? 'k8s' : 'slurm' in context ? 'slurm' : 'local');
  const config: Record<string, unknown> = { target };
  for (const section of DEPLOYMENT_SECTIONS) if (context[section] !== undefined) config[section] = context[section];
  const envVars = { ...context.env_vars };
  delete envVars.MIOPEN_USER_DB_PATH; // host-specific; madengine drops it too
  config.env_vars = envVars;
  config.debug = context.debug === true;
  return config;
}
