/** Successful runs of a named workflow on a branch: where a baseline (and a trend history) comes from. */
import path from 'node:path';
import { ConfigError, MadError, errorMessage } from '../core/errors.ts';
import { httpStatus, octokit } from './octokit.ts';

export interface WorkflowRunsOptions {
  token: string;
  /** Default: GITHUB_API_URL. */
  apiUrl?: string;
  owner: string;
  repo: string;
  /** The workflow's file name (`nightly.yml`; a `.github/workflows/` path is accepted) or its numeric id. */
  workflow: string;
  branch: string;
  /** Never return this run (the current one, when it runs the same workflow). */
  excludeRunId?: string;
}

export interface WorkflowRunRef {
  id: number;
  headSha: string;
  htmlUrl: string;
  /** ISO 8601. */
  createdAt: string;
}

/** The newest successful run, or undefined when the workflow has none on the branch. */
export async function latestSuccessfulRun(options: WorkflowRunsOptions): Promise<WorkflowRunRef | undefined> {
  return (await recentSuccessfulRuns(options, 1))[0];
}

/** Up to `limit` successful runs on the branch, newest first. */
export async function recentSuccessfulRuns(options: WorkflowRunsOptions, limit: number): Promise<WorkflowRunRef[]> {
  const workflow = workflowId(options.workflow);
  const client = octokit(options.token, options.apiUrl);
  const runs: WorkflowRunRef[] = [];
  if (limit <= 0) return runs;
  const where = `workflow '${options.workflow}' of ${options.owner}/${options.repo} on branch '${options.branch}'`;
  try {
    const pages = client.paginate.iterator(client.rest.actions.listWorkflowRuns, {
      owner: options.owner,
      repo: options.repo,
      workflow_id: workflow,
      branch: options.branch,
      status: 'success',
      exclude_pull_requests: true,
      // One extra, in case the excluded run is among them.
      per_page: Math.min(100, limit + (options.excludeRunId ? 1 : 0)),
    });
    for await (const page of pages) {
      for (const run of page.data) {
        if (String(run.id) === options.excludeRunId) continue;
        runs.push({ id: run.id, headSha: run.head_sha, htmlUrl: run.html_url, createdAt: run.created_at });
        if (runs.length >= limit) return runs;
      }
    }
    return runs;
  } catch (error) {
    const status = httpStatus(error);
    if (status === 404) {
      throw new ConfigError(
        `baseline workflow '${options.workflow}' was not found in ${options.owner}/${options.repo}: give the workflow's file name (e.g. nightly.yml) or its numeric id, not its display name`,
        { cause: error },
      );
    }
    throw new MadError(`listing successful runs of ${where} failed${status ? ` (HTTP ${status})` : ''}: ${errorMessage(error)}`, { cause: error });
  }
}

/** The API takes a file name or a number; a path from the repository root is reduced to its file name. */
function workflowId(workflow: string): string | number {
  const trimmed = workflow.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  if (!trimmed) throw new ConfigError('baseline workflow is empty: give a workflow file name (e.g. nightly.yml) or its numeric id');
  return path.posix.basename(trimmed);
}
