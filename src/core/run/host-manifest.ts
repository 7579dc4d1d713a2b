/**
 * For the host executor nothing is built: the selected models become a manifest whose
 * entries name no image, so the run phase (and its perf.csv rows) work the same way.
 */
import type { DiscoveredModel } from '../hub/model.ts';
import type { BuildManifest } from '../manifest/manifest.ts';
import type { AdditionalContext } from '../context/schema.ts';
import { manifestContext, deploymentConfig } from '../build/manifest-parts.ts';

export function hostManifest(selected: readonly DiscoveredModel[], context: AdditionalContext): BuildManifest {
  const manifest: BuildManifest = {
    built_images: {},
    built_models: {},
    context: manifestContext(context),
    credentials_required: [],
    deployment_config: deploymentConfig(context),
  };
  for (const { model } of selected) {
    const key = `host-${model.name.replaceAll('/', '_').toLowerCase()}`;
    manifest.built_images[key] = { docker_image: key, dockerfile: '', base_docker: '', docker_sha: '', build_duration: 0, model: model.name };
    manifest.built_models[key] = { ...model };
  }
  return manifest;
}
