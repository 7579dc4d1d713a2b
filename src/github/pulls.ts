/**
 * The pull request a workflow_run reporter comments on. GitHub leaves workflow_run.pull_requests empty
 * for pull requests from forks, and the data of such a run is the fork's to write: the number is looked
 * up from the trusted event (head owner, branch and commit), never read from the data.
 */
import { MadError, errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { RunContext } from './event.ts';
import { httpStatus, octokit } from './octokit.ts';

export async function findPullRequest(options: {
  token: string;
  apiUrl?: string;
  owner: string;
  repo: string;
  context: RunContext;
  logger: Logger;
}): Promise<number | undefined> {
  const { context } = options;
  if (context.eventName !== 'workflow_run' || !context.headOwner || !context.headBranch || !context.headSha) return undefined;
  let pulls: { number: number; head: { sha: string } }[];
  try {
    pulls = await octokit(options.token, options.apiUrl).paginate('GET /repos/{owner}/{repo}/pulls', {
      owner: options.owner,
      repo: options.repo,
      state: 'open',
      head: `${context.headOwner}:${context.headBranch}`,
      per_page: 100,
    });
  } catch (error) {
    if (httpStatus(error) === 403 || httpStatus(error) === 404) {
      options.logger.warn(`cannot list pull requests of ${options.owner}/${options.repo} (give the token pull-requests: read): ${errorMessage(error)}`);
      return undefined;
    }
    throw new MadError(`listing the pull requests of ${options.owner}/${options.repo} failed: ${errorMessage(error)}`, { cause: error });
  }
  // Only the pull request whose head is still the benchmarked commit: a newer push gets its own report.
  const match = pulls.find((pull) => pull.head.sha === context.headSha);
  if (!match) options.logger.info(`no open pull request from ${context.headOwner}:${context.headBranch} has head ${context.headSha.slice(0, 7)}`);
  return match?.number;
}
