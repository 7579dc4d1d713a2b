/**
 * The manifest a build of `plan` would write, without building: each planned image under its name, with
 * its Dockerfile and model. A dry run of a cluster deployment shows its scripts from it.
 */
import type { BuildPlan } from '../images/plan.ts';
import type { BuildManifest } from '../manifest/manifest.ts';
import type { AdditionalContext } from '../context/schema.ts';
import { deploymentConfig, manifestContext } from './manifest-parts.ts';

export function plannedManifest(plan: BuildPlan, context: AdditionalContext): BuildManifest {
  const manifest: BuildManifest = {
    built_images: {},
    built_models: {},
    context: manifestContext(context),
    credentials_required: [],
    deployment_config: deploymentConfig(context),
  };
  for (const build of plan.builds) {
    for (const image of build.images) {
      manifest.built_images[image.image] = {
        docker_image: image.image,
        dockerfile: image.dockerfile,
        base_docker: '',
        docker_sha: '',
        build_duration: 0,
        model: image.model.name,
      };
      manifest.built_models[image.image] = { ...image.model };
    }
  }
  return manifest;
}
