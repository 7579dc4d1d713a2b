/**
 * The seam between the run orchestrator and the places a model can run: a container on a
 * Docker-API daemon (src/engines/docker/container-executor.ts) or the host itself
 * (src/engines/host/host-executor.ts). Both run the same madengine sequence (compat §3.3):
 * fresh model dir, pre-scripts, copy of the model's script dir, the model script with its args
 * (under encapsulate_script), post-scripts; all output goes to one log file.
 */
import type { RegistryAuth } from '../registry/credentials.ts';
import type { Redactor } from '../secrets/redactor.ts';

export interface ScriptStep {
  /** Hub-relative path of a script (or directory) to copy into the model dir and run with bash. */
  path: string;
  /** Shell words appended to the command, as madengine does (a string, not re-quoted). */
  args?: string;
  /**
   * Run in this directory (created first) instead of copying the script into the model dir:
   * `mkdir -p D && cd D && bash <workspace>/<path> <args>` (madengine's custom data provider).
   */
  cwd?: string;
}

export interface GpuAssignment {
  vendor: 'AMD' | 'NVIDIA' | 'NONE';
  /** GPU indices given to the model (empty: none). */
  devices: number[];
  /** AMD only: render minor numbers of those GPUs (renderD<minor>), same order. */
  renderMinors: number[];
}

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface ModelRunSpec {
  /** Unique per model run (used in container names and logs). */
  runId: string;
  modelName: string;
  /** Names this run when the model runs several times in one run (--repeat, --warmup): "sample2"; part of the container name. */
  pass?: string;
  /** Image to run (docker executor); ignored by the host executor. */
  image?: string;
  /**
   * Pull `image` first (a registry image from the manifest, as madengine does). When the pull fails,
   * `fallbackImage` (the local build's name) is run if it exists.
   */
  pull?: { auth?: RegistryAuth; onlyIfMissing?: boolean };
  fallbackImage?: string;
  /** The hub: mounted at /myworkspace in containers, the working directory on the host. */
  hubDir: string;
  /** Hub-relative path of the model's script: *.sh (bash), *.py (python3), or a directory (its run.sh). */
  script: string;
  /** The model's args (with tag extras), appended as shell words like madengine. */
  args: string;
  /** Environment for every step (names already validated as identifiers). */
  env: Record<string, string>;
  mounts: Mount[];
  gpus: GpuAssignment;
  /** The model's additional_docker_run_options (docker executor; e.g. "--shm-size 16g"). */
  dockerRunOptions?: string;
  /** docker --cpuset-cpus value, e.g. "0-3,8". */
  cpuset?: string;
  preScripts: ScriptStep[];
  postScripts: ScriptStep[];
  /** Prefix for the model command (tools' cmd chain + encapsulate_script). */
  encapsulate: string;
  /** Seconds; null = no limit. Applies to the whole in-container sequence. */
  timeoutSeconds: number | null;
  /** Leave the container running afterwards (docker). */
  keepAlive: boolean;
  /** Keep <hub>/run_directory afterwards. */
  keepModelDir: boolean;
  /** Prepare everything but do not run the model script. */
  skipModelRun: boolean;
  /**
   * Where collected result files are copied: this model run's private staging directory inside the
   * perf.csv directory (src/core/run/staging.ts), published there under the same names afterwards.
   */
  outputDir: string;
  /** Run log path (absolute, in the staging directory too); created/truncated by the executor. */
  logFile: string;
  /** Streams output as it arrives (--live-output); gets it redacted like the log file. */
  onOutput?: (chunk: Buffer) => void;
  /** The run's secrets: the executor writes the log, onOutput and the collected copies through it. */
  redactor?: Redactor;
  signal?: AbortSignal;
}

export interface ModelRunOutcome {
  /** Exit status of the sequence; null when it was killed. */
  exitCode: number | null;
  timedOut: boolean;
  cancelled: boolean;
  /** Seconds spent in the model script step (madengine's test_duration), else the whole sequence. */
  durationSeconds: number;
  /** Host path of the model dir (results CSVs are looked up there); removed unless kept. */
  modelDir: string;
  /** Files copied out of the model dir before it was removed (multiple_results CSV etc.), host paths. */
  collected: string[];
  /** Set when the executor itself failed (image missing, daemon error): the model never ran properly. */
  error?: string;
  /** docker: the container's name (still there only with keepAlive). */
  container?: string;
  /** The image digest/ID actually run (docker). */
  imageId?: string;
}

export interface Executor {
  readonly kind: 'docker' | 'host';
  /**
   * Run one model. `collect`: file names/globs relative to the model dir to copy into
   * spec.outputDir afterwards (madengine: the multiple_results CSV, *_output.csv, *_trace.csv,
   * library_trace.csv, *_profiler_output.csv). Never throws for model failures: they are outcomes.
   */
  run(spec: ModelRunSpec, collect: readonly string[]): Promise<ModelRunOutcome>;
  /** Remove any container this executor created and still owns (cancellation, post step). */
  cleanup(): Promise<void>;
}
