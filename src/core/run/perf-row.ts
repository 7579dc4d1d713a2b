/** The perf.csv row skeleton of one model: every column, filled from the manifest entry, the model and the machine. */
import type { SystemInfo } from '../gpu/types.ts';
import type { AdditionalContext } from '../context/schema.ts';
import type { BuiltImage } from '../manifest/manifest.ts';
import type { PerfRow } from '../perf/perf-csv.ts';
import { launcherOf } from './model-env.ts';

/** The columns every row of one run shares. */
export interface RowCommon {
  runId: string;
  machine: string;
  executor: string;
  pipeline: string;
  buildNumber: string;
  env: NodeJS.ProcessEnv;
}

export function baseRow(
  common: RowCommon,
  model: Record<string, unknown> & { name: string },
  built: BuiltImage | undefined,
  system: SystemInfo,
  context: Pick<AdditionalContext, 'distributed'>,
): PerfRow {
  const tags = Array.isArray(model.tags) ? model.tags.join(',') : String(model.tags ?? '');
  return {
    model: model.name,
    n_gpus: '',
    nnodes: '1',
    gpus_per_node: '',
    training_precision: String(model.training_precision ?? ''),
    pipeline: common.pipeline,
    args: String(model.args ?? ''),
    tags,
    docker_file: built?.dockerfile ?? '',
    base_docker: built?.base_docker ?? '',
    docker_sha: built?.docker_sha ?? '',
    docker_image: built?.docker_image ?? '',
    git_commit: '',
    machine_name: common.machine,
    deployment_type: 'local',
    launcher: launcherOf(context, model, common.env) || 'docker',
    gpu_architecture: system.gpuArchitecture,
    performance: '',
    metric: '',
    relative_change: '',
    status: '',
    build_duration: built ? String(built.build_duration) : '',
    test_duration: '',
    dataname: '',
    data_provider_type: '',
    data_size: '',
    data_download_duration: '',
    build_number: common.buildNumber,
    additional_docker_run_options: String(model.additional_docker_run_options ?? ''),
    executor: common.executor,
    image_digest: built?.registry_digest ?? '',
    run_id: common.runId,
    sample: '',
    started_at: '',
    reason: '',
  };
}
