/**
 * What the SLURM deployment needs of a cluster, so the core stays free of processes: the real one
 * (src/engines/slurm) runs sbatch, squeue, scontrol and scancel; tests may pass their own.
 */

/** One job or array task as the controller reports it. */
export interface SlurmJobInfo {
  /** "123" for a plain job, "123_4" for task 4 of array 123. */
  jobId: string;
  /** The array's id and this task's index, for array tasks. */
  arrayJobId?: string;
  arrayTaskId?: number;
  name: string;
  comment: string;
  /** SLURM's state name: PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, TIMEOUT, CANCELLED, ... */
  state: string;
  /** SLURM's Reason (e.g. "Resources", "NonZeroExitCode"), "" or "None" when there is none. */
  reason: string;
  /** "exit:signal" as scontrol prints it, e.g. "0:0", "1:0", "0:15". */
  exitCode?: string;
  /** When it was submitted; when it started (absent while it waits: SLURM's estimate is dropped); when it ended (only once it has). */
  submitTime?: Date;
  startTime?: Date;
  endTime?: Date;
  nodeList?: string;
  /** The job's time limit as SLURM prints it ("1:00", "1-00:00:00", "UNLIMITED"), for the TIMEOUT reason. */
  timeLimit?: string;
}

export interface SlurmClient {
  /** `sbatch --test-only`: rejects with a SlurmError carrying sbatch's own message when the script would be refused. */
  testSubmit(scriptPath: string): Promise<void>;
  /** `sbatch --parsable`; resolves to the job id (the array id for an array job). */
  submit(scriptPath: string): Promise<string>;
  /** Every job and array task of these job ids that the controller still knows (forgotten ones are absent). */
  jobs(jobIds: readonly string[]): Promise<SlurmJobInfo[]>;
  /** `scancel` these ids (array ids cancel every task); ids already gone are not an error. */
  cancel(jobIds: readonly string[]): Promise<void>;
  /** Ids of this user's jobs whose comment is `madengine-run=<runId>` (what the post step cancels). */
  findRunJobs(runId: string): Promise<string[]>;
}

/** The comment that marks a job as submitted by run `runId`. */
export const runComment = (runId: string): string => `madengine-run=${runId}`;
