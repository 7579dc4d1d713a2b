/**
 * squeue's output in a form that cannot be misread: `-O` fields of unlimited width (`:0`) each followed
 * by a unit separator (0x1f), the record ended by a record separator (0x1e) before squeue's newline.
 * Job names and comments are free text (a '|' or a space in them is ordinary); control characters are
 * not something sbatch directives or our comments carry. One squeue call gives state, reason, exit code
 * and times of every task (`-t all` keeps ended jobs for MinJobAge, 300 s by default; `-r` one line
 * per array task, pending ones included), so a poll needs no scontrol.
 */
import type { SlurmJobInfo } from '../../core/deploy/slurm/client.ts';
import { isEndedState, isStartedState } from '../../core/deploy/slurm/states.ts';

const FIELD = '\x1f';
const RECORD = '\x1e';

/** The fields `jobs()` asks for, in order; Name and Comment last (free text). */
const JOB_FIELDS = [
  'JobID',
  'ArrayJobID',
  'ArrayTaskID',
  'State',
  'Reason',
  'exit_code',
  'TimeLimit',
  'SubmitTime',
  'StartTime',
  'EndTime',
  'NodeList',
  'Name',
  'Comment',
] as const;

/** The fields `findRunJobs()` asks for; Comment last. */
const RUN_FIELDS = ['JobID', 'ArrayJobID', 'ArrayTaskID', 'Comment'] as const;

const format = (fields: readonly string[]): string => fields.map((field, i) => `${field}:0${i === fields.length - 1 ? RECORD : FIELD}`).join(',');

/** squeue's `-O` argument for jobs(). */
export const JOBS_FORMAT = format(JOB_FIELDS);
/** squeue's `-O` argument for findRunJobs(). */
export const RUN_JOBS_FORMAT = format(RUN_FIELDS);

/** Records of squeue output in `fields` order; the last field takes whatever is left (a separator inside free text stays). */
function records(stdout: string, fieldCount: number): string[][] {
  const rows: string[][] = [];
  for (let record of stdout.split(RECORD)) {
    record = record.replace(/^\r?\n/, '');
    if (record.trim() === '') continue;
    const parts = record.split(FIELD);
    if (parts.length < fieldCount) continue; // a warning line squeue printed to stdout, not a record
    rows.push([...parts.slice(0, fieldCount - 1), parts.slice(fieldCount - 1).join(FIELD)]);
  }
  return rows;
}

/** How squeue prints "no value": N/A, Unknown, None/NONE (an unlimited job's EndTime), (null) (no comment). */
const absent = (value: string): boolean => ['', 'N/A', 'UNKNOWN', 'NONE', '(NULL)'].includes(value.trim().toUpperCase());

/**
 * SLURM's timestamps ("2026-12-02T20:44:10") are the controller's local time without a zone, as the
 * login node (same site) reads them. Undefined for N/A, Unknown, None.
 */
export function parseSlurmTime(value: string): Date | undefined {
  const match = value.trim().match(/^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)$/);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(year, month - 1, day, hour, minute, second);
}

/** squeue's exit_code is the raw wait status (exit code << 8 | signal); scontrol prints it "exit:signal". */
export function waitStatusToExitCode(value: string): string | undefined {
  if (!/^\d+$/.test(value.trim())) return undefined;
  const status = Number(value.trim());
  return `${(status >> 8) & 0xff}:${status & 0x7f}`;
}

/** jobs()'s squeue output -> one SlurmJobInfo per job or array task. */
export function parseJobs(stdout: string): SlurmJobInfo[] {
  return records(stdout, JOB_FIELDS.length).map((fields) => {
    const [rawId, arrayJobId, arrayTaskId, state, reason, exitCode, timeLimit, submit, start, end, nodeList, name, comment] = fields.map((field, i) =>
      i < JOB_FIELDS.length - 2 ? field.trim() : field,
    ) as [string, string, string, string, string, string, string, string, string, string, string, string, string];
    const isTask = /^\d+$/.test(arrayTaskId) && /^\d+$/.test(arrayJobId);
    const info: SlurmJobInfo = {
      // A pending array task's JobID is the array's own id: the task is named by array id and index.
      jobId: isTask ? `${arrayJobId}_${arrayTaskId}` : rawId,
      name,
      comment: absent(comment) ? '' : comment,
      state,
      reason: absent(reason) ? '' : reason,
    };
    if (isTask) {
      info.arrayJobId = arrayJobId;
      info.arrayTaskId = Number(arrayTaskId);
    }
    const exit = waitStatusToExitCode(exitCode);
    if (exit !== undefined) info.exitCode = exit;
    if (!absent(timeLimit)) info.timeLimit = timeLimit;
    const submitTime = parseSlurmTime(submit);
    if (submitTime) info.submitTime = submitTime;
    // While a job waits, StartTime is the scheduler's estimate; until it ends, EndTime is start + limit.
    const startTime = isStartedState(state) ? parseSlurmTime(start) : undefined;
    if (startTime) info.startTime = startTime;
    const endTime = isEndedState(state) ? parseSlurmTime(end) : undefined;
    if (endTime) info.endTime = endTime;
    if (!absent(nodeList.trim())) info.nodeList = nodeList.trim();
    return info;
  });
}

/** findRunJobs()'s squeue output -> the top-level ids (an array once, by its array id) whose comment is exactly `comment`. */
export function parseRunJobs(stdout: string, comment: string): string[] {
  const ids = new Set<string>();
  for (const [jobId = '', arrayJobId = '', arrayTaskId = '', jobComment] of records(stdout, RUN_FIELDS.length)) {
    if (jobComment !== comment) continue;
    const isArray = !absent(arrayTaskId.trim()) && /^\d+$/.test(arrayJobId.trim());
    ids.add(isArray ? arrayJobId.trim() : jobId.trim());
  }
  return [...ids];
}
