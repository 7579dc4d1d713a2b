/**
 * The manifest one SLURM task runs with `madengine run --manifest-file` (compat §4.1 "build_manifest_local.json"):
 * only that model's built_images/built_models entry; the effective context turned into a local run
 * (deploy 'local', no slurm/k8s/kubernetes/deployment_config), the model's static variables (env_vars,
 * launcher settings) added to docker_env_vars so they reach it on the docker and the host executor, and
 * gpus_per_node at the top level when the deployment gave one. MAD_SECRETS* never reach the file.
 */
import type { AdditionalContext } from '../../context/schema.ts';
import type { BuildManifest } from '../../manifest/manifest.ts';
import { manifestContext } from '../../build/manifest-parts.ts';
import { isSecretName } from '../../secrets/selection.ts';

const CLUSTER_KEYS = ['slurm', 'k8s', 'kubernetes', 'deployment_config', 'dry_run'] as const;

export interface NodeManifestInput {
  manifest: BuildManifest;
  /** The manifest key (image name) of the model. */
  key: string;
  context: AdditionalContext;
  /** Static variables the model gets, in addition to the context's docker_env_vars (they win). */
  env: Readonly<Record<string, string>>;
  /** slurm.gpus_per_node when given (not derived from the model). */
  gpusPerNode?: number;
}

export function nodeManifest(input: NodeManifestInput): BuildManifest {
  const { manifest, key } = input;
  const context: Record<string, unknown> = { ...input.context };
  for (const name of CLUSTER_KEYS) delete context[name];
  context.deploy = 'local';
  const dockerEnv: Record<string, string | null> = { ...(input.context.docker_env_vars ?? {}) };
  for (const [name, value] of Object.entries(input.env)) if (!isSecretName(name)) dockerEnv[name] = value;
  if (Object.keys(dockerEnv).length) context.docker_env_vars = dockerEnv;
  if (input.gpusPerNode !== undefined && input.gpusPerNode >= 0) context.gpus_per_node = input.gpusPerNode;

  const result: BuildManifest = {
    ...manifest,
    built_images: { [key]: manifest.built_images[key]! },
    built_models: { [key]: manifest.built_models[key]! },
    context: manifestContext(context),
  };
  if (manifest.deployment_config !== undefined) {
    const deployment: Record<string, unknown> = { ...manifest.deployment_config, target: 'local' };
    for (const name of ['slurm', 'k8s', 'kubernetes'] as const) delete deployment[name];
    result.deployment_config = manifestContext(deployment);
  }
  return result;
}
