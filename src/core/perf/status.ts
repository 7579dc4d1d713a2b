/**
 * A model run's status (compat §3.8), always with a human reason when it is not a plain success:
 *   1. skipped -> SKIPPED; an exception in the container session -> FAILURE
 *   2. an error line in the log (unless the scan is off) -> FAILURE
 *   3. performance present and not "N/A" (multiple_results: a usable CSV) -> SUCCESS
 *   4. worker node (MAD_COLLECT_METRICS=false) -> SUCCESS; otherwise FAILURE
 */
import type { LogScan } from './log-scan.ts';
import type { MultipleResultsCheck } from './multiple.ts';

export type RunStatus = 'SUCCESS' | 'FAILURE' | 'SKIPPED';

export interface StatusDecision {
  status: RunStatus;
  /** Why; empty only for a SUCCESS with performance and no caveat. */
  reason: string;
}

export interface StatusInput {
  /** Set when the run was skipped (--skip-model-run, skip_gpu_arch): why. */
  skipped?: string;
  /** Set when the container session failed (non-zero exit, timeout, pre/post script, ...): what happened. */
  failure?: string;
  /** What the log scan found (its performance is ignored for multiple_results models). */
  scan?: Pick<LogScan, 'performance' | 'errorPattern' | 'errorLine'>;
  /** For multiple_results models: the outcome of checkMultipleResults. */
  multipleResults?: MultipleResultsCheck;
  /** false on worker nodes of a multi-node job, which report no performance of their own. Default true. */
  collectMetrics?: boolean;
}

/** madengine's worker-node switch: MAD_COLLECT_METRICS=false (any case) means "do not expect metrics". */
export function collectMetricsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return (env.MAD_COLLECT_METRICS ?? 'true').toLowerCase() !== 'false';
}

/** The reason of a run whose log has no performance line (deploy collection matches it: a worker rank without metrics is no failure). */
export const NO_PERFORMANCE_LINE_REASON = "no performance line in the log (expected 'performance: <number> <metric>')";

export function decideStatus(input: StatusInput): StatusDecision {
  if (input.skipped !== undefined) return { status: 'SKIPPED', reason: input.skipped || 'skipped' };
  if (input.failure !== undefined) return { status: 'FAILURE', reason: input.failure || 'the run failed' };

  const scan = input.scan;
  if (scan?.errorPattern !== undefined) {
    return { status: 'FAILURE', reason: `error pattern '${scan.errorPattern}' at: ${scan.errorLine ?? ''}`.trimEnd() };
  }

  let missing: string;
  if (input.multipleResults !== undefined) {
    if (input.multipleResults.path !== undefined) return { status: 'SUCCESS', reason: '' };
    missing = input.multipleResults.reason ?? 'no usable multiple_results file';
  } else {
    const performance = scan?.performance?.trim() ?? '';
    if (performance !== '' && performance !== 'N/A') return { status: 'SUCCESS', reason: '' };
    missing = performance === 'N/A' ? 'performance is N/A' : NO_PERFORMANCE_LINE_REASON;
  }

  if (input.collectMetrics === false) {
    return { status: 'SUCCESS', reason: `worker node (MAD_COLLECT_METRICS=false): ${missing}, as expected` };
  }
  return { status: 'FAILURE', reason: missing };
}
