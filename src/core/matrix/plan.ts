/** The matrix's view of the build plan: each model with its first planned image and the vendor of that image. */
import { BuildError } from '../errors.ts';
import type { BuildPlan } from '../images/plan.ts';
import { planBuilds, type PlanContext } from '../images/plan.ts';
import type { GpuVendor } from '../images/dockerfile.ts';
import type { DiscoveredModel, Model } from '../hub/model.ts';

/** One model as the matrix sees it: its first planned image and what it needs from a runner. */
export interface MatrixModel {
  name: string;
  /** madengine's n_gpus ("0": CPU only, "-1": all GPUs). */
  nGpus: string;
  /** Id of the build producing the model's first image: models sharing it are one job with group-by image. */
  build: string;
  /** The model's first madengine image name. */
  image: string;
  /** Hub-relative Dockerfile of that image. */
  dockerfile: string;
  gpuVendor: GpuVendor;
}

/** Each model with its first planned image, in the order given. Pure: the plan is computed by the caller. */
export function matrixModels(models: readonly Model[], plan: BuildPlan): MatrixModel[] {
  const first = new Map<string, MatrixModel>();
  for (const build of plan.builds) {
    for (const planned of build.images) {
      if (first.has(planned.model.name)) continue;
      first.set(planned.model.name, {
        name: planned.model.name,
        nGpus: planned.model.n_gpus,
        build: build.id,
        image: planned.image,
        dockerfile: planned.dockerfile,
        gpuVendor: build.gpuVendor,
      });
    }
  }
  return models.map((model) => {
    const found = first.get(model.name);
    if (found) return found;
    // A model whose every image was rejected (an invalid image name) cannot get a matrix entry.
    const rejected = plan.rejected?.find((r) => r.model === model.name);
    if (rejected) throw new BuildError(rejected.error);
    // planBuilds fails for a model without a Dockerfile, so this is a broken invariant, not bad input.
    throw new Error(`model ${model.name} is missing from the build plan`);
  });
}

export interface PlanMatrixOptions {
  hubDir: string;
  /** Validated additional context (it chooses the Dockerfiles, and so the images and vendors). */
  context: PlanContext;
  /** Injected for tests. */
  plan?: typeof planBuilds;
}

/** Plan the images of `models` (read from the hub's Dockerfiles) and return them as matrix models. */
export async function planMatrixModels(models: readonly Model[], options: PlanMatrixOptions): Promise<{ models: MatrixModel[]; warnings: string[] }> {
  const discovered: DiscoveredModel[] = models.map((model, index) => ({ model, origin: { file: 'input models', kind: 'static', index } }));
  const plan = await (options.plan ?? planBuilds)(discovered, { hubDir: options.hubDir, context: options.context });
  return { models: matrixModels(models, plan), warnings: plan.warnings };
}
