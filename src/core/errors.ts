/**
 * Errors that carry madengine's exit codes, so every layer can throw and the CLI
 * (or an action) turns the error into the right exit status and a clear message.
 */
export const ExitCode = {
  SUCCESS: 0,
  /** A hub that cannot be read (DiscoveryError), and anything unexpected. */
  FAILURE: 1,
  /** A build or push failed, or a selected model has no matching Dockerfile (BuildError). */
  BUILD_FAILURE: 2,
  /** A model run failed or was cancelled (RunError, FAILURE rows). */
  RUN_FAILURE: 3,
  /** Bad input (ConfigError): options, additional context, manifests, a tag that selects nothing, data.json. */
  INVALID_ARGS: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class MadError extends Error {
  readonly exitCode: ExitCode;
  /** The file at fault, when there is one (used for GitHub annotations). */
  readonly file?: string;
  /** 1-based line in `file`, when known. */
  readonly line?: number;
  /** 1-based column in `file`, when known. */
  readonly column?: number;

  constructor(message: string, options: { exitCode?: ExitCode; file?: string; line?: number; column?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? ExitCode.FAILURE;
    if (options.file !== undefined) this.file = options.file;
    if (options.line !== undefined) this.line = options.line;
    if (options.column !== undefined) this.column = options.column;
  }
}

/** A model hub that cannot be read: missing/malformed catalogues, failing get_models_json.py. Exit 1. */
export class DiscoveryError extends MadError {}

/** Bad user input: options and action inputs, additional context, manifests, tags (one that selects nothing too), data.json. Exit 4. */
export class ConfigError extends MadError {
  constructor(message: string, options: ConstructorParameters<typeof MadError>[1] = {}) {
    super(message, { exitCode: ExitCode.INVALID_ARGS, ...options });
  }
}

/** A build that could not produce its images, including a selected model with no matching Dockerfile. Exit 2. */
export class BuildError extends MadError {
  constructor(message: string, options: ConstructorParameters<typeof MadError>[1] = {}) {
    super(message, { exitCode: ExitCode.BUILD_FAILURE, ...options });
  }
}

/** A run that could not execute its models. Exit 3. */
export class RunError extends MadError {
  constructor(message: string, options: ConstructorParameters<typeof MadError>[1] = {}) {
    super(message, { exitCode: ExitCode.RUN_FAILURE, ...options });
  }
}

/**
 * SLURM refused or failed a command (sbatch, squeue, scontrol, scancel). `stderr` is the tool's own
 * message, verbatim. A refused submission (bad partition, malformed option) is bad input: exit 4;
 * a controller that cannot be reached is exit 1.
 */
export class SlurmError extends MadError {
  readonly command: string;
  readonly stderr: string;
  constructor(message: string, options: ConstructorParameters<typeof MadError>[1] & { command: string; stderr?: string }) {
    const { command, stderr, ...rest } = options;
    super(message, rest);
    this.command = command;
    this.stderr = stderr ?? '';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
