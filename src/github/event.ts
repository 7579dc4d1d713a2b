/**
 * What a report needs to know about the workflow run it comes from, read from the runner's GITHUB_* env
 * and the event payload (the same sources as @actions/github's context, but from an `env` argument, so
 * tests pass their own). The head SHA is the commit that was benchmarked, never a merge commit.
 */
import { readFileSync } from 'node:fs';
import { MadError, errorMessage } from '../core/errors.ts';

export interface RunContext {
  repository?: { owner: string; repo: string };
  eventName: string;
  workflow: string;
  runId: string;
  runAttempt: number;
  /** The run's page (the attempt's page from the second attempt on). */
  runUrl?: string;
  serverUrl: string;
  headSha: string;
  baseSha?: string;
  baseRef?: string;
  defaultBranch?: string;
  pullRequest?: number;
  /** The pull request's head lives in another repository: its token cannot write (no comments). */
  isForkPullRequest: boolean;
  /** workflow_run: where the run's head commit lives (owner login and branch), to find its pull request. */
  headOwner?: string;
  headBranch?: string;
}

interface PullRequestPayload {
  number?: number;
  head?: { sha?: string; ref?: string; repo?: { full_name?: string } | null };
  base?: { sha?: string; ref?: string; repo?: { full_name?: string } | null };
}

interface EventPayload {
  repository?: { full_name?: string; name?: string; owner?: { login?: string }; default_branch?: string };
  pull_request?: PullRequestPayload;
  workflow_run?: {
    head_sha?: string;
    head_branch?: string;
    head_repository?: { full_name?: string; owner?: { login?: string } } | null;
    repository?: { full_name?: string } | null;
    // Empty for a pull request from a fork (GitHub's limitation): the reporter must carry the number itself.
    pull_requests?: PullRequestPayload[];
  };
}

function readPayload(file: string | undefined): EventPayload {
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // As @actions/github's context: a missing event file is an empty payload, not a failure.
    return {};
  }
  try {
    return JSON.parse(text) as EventPayload;
  } catch (error) {
    throw new MadError(`the event payload ${file} (GITHUB_EVENT_PATH) is not valid JSON: ${errorMessage(error)}`, { file });
  }
}

function repositoryOf(env: NodeJS.ProcessEnv, payload: EventPayload): RunContext['repository'] {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (owner && repo) return { owner, repo };
  const fromPayload = payload.repository;
  if (fromPayload?.owner?.login && fromPayload.name) return { owner: fromPayload.owner.login, repo: fromPayload.name };
  return undefined;
}

export function runContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const payload = readPayload(env.GITHUB_EVENT_PATH);
  const repository = repositoryOf(env, payload);
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  const serverUrl = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, '');
  const runId = env.GITHUB_RUN_ID ?? '';
  const runAttempt = Number.parseInt(env.GITHUB_RUN_ATTEMPT ?? '', 10) || 1;
  const context: RunContext = {
    eventName,
    workflow: env.GITHUB_WORKFLOW ?? '',
    runId,
    runAttempt,
    serverUrl,
    headSha: env.GITHUB_SHA ?? '',
    isForkPullRequest: false,
  };
  if (repository) {
    context.repository = repository;
    if (runId) context.runUrl = `${serverUrl}/${repository.owner}/${repository.repo}/actions/runs/${runId}${runAttempt > 1 ? `/attempts/${runAttempt}` : ''}`;
  }
  if (payload.repository?.default_branch) context.defaultBranch = payload.repository.default_branch;

  const pullRequest = (eventName === 'pull_request' || eventName === 'pull_request_target') && payload.pull_request;
  if (pullRequest) {
    // GITHUB_SHA is the merge commit of a pull_request run (and the base's head for pull_request_target).
    if (pullRequest.head?.sha) context.headSha = pullRequest.head.sha;
    setPullRequest(context, pullRequest);
    context.isForkPullRequest = isFork(pullRequest.head?.repo?.full_name, pullRequest.base?.repo?.full_name);
  } else if (eventName === 'workflow_run' && payload.workflow_run) {
    const run = payload.workflow_run;
    if (run.head_sha) context.headSha = run.head_sha;
    if (run.head_branch) context.headBranch = run.head_branch;
    const headOwner = run.head_repository?.owner?.login ?? run.head_repository?.full_name?.split('/')[0];
    if (headOwner) context.headOwner = headOwner;
    const first = run.pull_requests?.[0];
    if (first) setPullRequest(context, first);
    context.isForkPullRequest = isFork(run.head_repository?.full_name, run.repository?.full_name ?? payload.repository?.full_name);
  }
  return context;
}

function setPullRequest(context: RunContext, pullRequest: PullRequestPayload): void {
  if (typeof pullRequest.number === 'number') context.pullRequest = pullRequest.number;
  if (pullRequest.base?.sha) context.baseSha = pullRequest.base.sha;
  if (pullRequest.base?.ref) context.baseRef = pullRequest.base.ref;
}

/** Both names known and different; a deleted head repository (null) counts as a fork, it cannot be ours. */
function isFork(head: string | undefined, base: string | undefined): boolean {
  if (!base) return false;
  return head !== base;
}
