/**
 * The deployment interface shared by the cluster targets (SLURM now, Kubernetes next): a plan of
 * jobs is rendered, validated, submitted, waited for, collected into perf.csv rows, and cancelled
 * when the run is. Nothing here talks to a cluster: the target's client is passed in.
 */
import type { Launcher } from '../context/schema.ts';
import type { PerfRow } from '../perf/perf-csv.ts';

/**
 * How a model is launched, resolved once from every dialect of the context (madengine v2.1's keys and
 * the design documents' ones) and the model's own `distributed` section: core/deploy/settings.ts.
 */
export interface LaunchSettings {
  /** Normalised launcher; 'docker' when none was asked for. */
  launcher: Launcher;
  /** Number of nodes (SLURM) or pods (k8s) of one model's run. */
  nnodes: number;
  /** Processes (GPUs) per node; undefined when nothing set it (the target's default applies). */
  nprocPerNode: number | undefined;
  /** Rendezvous port (MASTER_PORT), default 29500. */
  masterPort: number;
  /** NCCL_SOCKET_IFNAME / GLOO_SOCKET_IFNAME when given. */
  ncclSocketIfname?: string;
  glooSocketIfname?: string;
  /** Communication backend (nccl, gloo, rccl, ...) when given. */
  communicationBackend?: string;
  /** Host directory with the data (shared_data / shared_storage). */
  sharedData?: string;
  /** Variables every node exports and the model receives: top-level env_vars, then launcher settings (vllm.*, sglang.*). */
  env: Record<string, string>;
}

/** One job the target submits: its rendered script (or objects) and what it runs. */
export interface PlannedJob {
  /** Stable name of this job within the run (file names, logs): e.g. "array" or the model's slug. */
  key: string;
  /** Job name on the cluster; it carries the run id so cancellation finds exactly this run's jobs. */
  name: string;
  /** Models this job runs, in task order (an array job: task i runs models[i]). */
  models: string[];
  /** Nodes per task. */
  nnodes: number;
  /** The text submitted (sbatch script; YAML documents for k8s). */
  script: string;
  /** Where the script is written before submission. */
  scriptPath: string;
}

/** Terminal states a job or task ends in, as the cluster names them (SLURM's; k8s maps onto them). */
export const JOB_END_STATES = [
  'COMPLETED',
  'FAILED',
  'TIMEOUT',
  'CANCELLED',
  'NODE_FAIL',
  'OUT_OF_MEMORY',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'UNKNOWN',
] as const;
export type JobEndState = (typeof JOB_END_STATES)[number];

/** How one task (one model's run) ended. */
export interface TaskOutcome {
  /** Cluster job id of the task (SLURM: "<array id>_<index>" or "<job id>"). */
  jobId: string;
  model: string;
  state: JobEndState;
  /** The cluster's reason / exit code in words, '' when it completed. */
  reason: string;
  /** Seconds from submission to start, and from start to end (undefined when unknown). */
  queueSeconds?: number;
  runSeconds?: number;
}

/** What a finished deployment hands the pipeline. */
export interface DeployResult {
  /** Every job id submitted (top level: array ids and job ids), in submission order. */
  jobIds: string[];
  outcomes: TaskOutcome[];
  /** Rows to append to the output perf.csv (deployment_type set, multi-node rows aggregated). */
  rows: PerfRow[];
  cancelled: boolean;
}
