/** Inputs the SLURM plan tests share: a manifest of models and hand-built launch settings. */
import type { AdditionalContext } from '../../../../src/core/context/schema.ts';
import type { BuildManifest } from '../../../../src/core/manifest/manifest.ts';
import type { LaunchSettings } from '../../../../src/core/deploy/types.ts';
import type { SlurmPlanInput } from '../../../../src/core/deploy/slurm/plan.ts';

export function launch(overrides: Partial<LaunchSettings> = {}): LaunchSettings {
  return { launcher: 'docker', nnodes: 1, nprocPerNode: undefined, masterPort: 29500, env: {}, ...overrides };
}

export interface FixtureModel {
  key?: string;
  name: string;
  scripts?: string;
  args?: string;
  n_gpus?: string;
  extra?: Record<string, unknown>;
  launch?: Partial<LaunchSettings>;
}

export function manifestOf(
  models: readonly FixtureModel[],
  context: Record<string, unknown> = {},
): { manifest: BuildManifest; launch: Record<string, LaunchSettings> } {
  const manifest: BuildManifest = { built_images: {}, built_models: {}, context, credentials_required: [] };
  const settings: Record<string, LaunchSettings> = {};
  for (const m of models) {
    const key = m.key ?? `ci-${m.name.replaceAll('/', '_')}_dummy.ubuntu.amd`;
    manifest.built_images[key] = {
      docker_image: key,
      dockerfile: 'docker/dummy.Dockerfile',
      base_docker: '',
      docker_sha: '',
      build_duration: 1,
      registry_image: `localhost:5000/${key}`,
    };
    manifest.built_models[key] = {
      name: m.name,
      scripts: m.scripts ?? 'scripts/dummy/run.sh',
      args: m.args ?? '',
      n_gpus: m.n_gpus ?? '1',
      tags: ['dummies'],
      ...m.extra,
    };
    settings[key] = launch(m.launch);
  }
  return { manifest, launch: settings };
}

export function planInput(models: readonly FixtureModel[], context: Record<string, unknown> = {}, overrides: Partial<SlurmPlanInput> = {}): SlurmPlanInput {
  const { manifest, launch: settings } = manifestOf(models, context);
  return {
    manifest,
    context: { gpu_vendor: 'AMD', guest_os: 'UBUNTU', ...context } as AdditionalContext,
    launch: settings,
    runId: 'run12345-abcd',
    hubDir: '/hub',
    outputDir: '/shared/slurm_results',
    timeout: -1,
    liveOutput: false,
    ...overrides,
  };
}
