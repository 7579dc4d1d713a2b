/**
 * One sticky pull request comment per report: created once, then edited in place. It is found by a
 * hidden marker on its first line, keyed by the caller (workflow name + comment-key input), so several
 * workflows each keep their own comment on the same pull request.
 */
import { MadError, errorMessage } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { httpStatus, octokit, type Octokit } from './octokit.ts';

/** GitHub refuses a comment body longer than this many characters (the marker included). */
export const MAX_COMMENT_CHARS = 65_536;

/**
 * The hidden first line of our comment. The key cannot end the HTML comment early: runs of `-`
 * become one, `<` and `>` are dropped, whitespace (newlines too) becomes single spaces.
 */
export function commentMarker(key: string): string {
  const clean = key.replace(/[<>]/g, '').replace(/-{2,}/g, '-').replace(/\s+/g, ' ').trim() || 'default';
  return `<!-- madengine-collect-perf: ${clean} -->`;
}

export interface UpsertCommentOptions {
  token: string;
  /** Default: GITHUB_API_URL. */
  apiUrl?: string;
  owner: string;
  repo: string;
  issueNumber: number;
  key: string;
  /** The comment without the marker (it is added first). */
  body: string;
  /** on-change: create a comment only when `changed`; an existing one is updated either way, never left stale. */
  mode: 'always' | 'on-change';
  changed: boolean;
  logger: Logger;
}

export type UpsertCommentResult = { action: 'created' | 'updated' | 'skipped' | 'forbidden'; url?: string };

interface IssueComment {
  id: number;
  html_url: string;
  body?: string | undefined;
  user: { type?: string } | null;
}

export async function upsertComment(options: UpsertCommentOptions): Promise<UpsertCommentResult> {
  const { owner, repo, issueNumber, logger } = options;
  const marker = commentMarker(options.key);
  const body = options.body.startsWith(marker) ? options.body : `${marker}\n${options.body}`;
  if (body.length > MAX_COMMENT_CHARS) {
    throw new MadError(
      `the comment for pull request #${issueNumber} is ${body.length} characters, over GitHub's limit of ${MAX_COMMENT_CHARS} (marker included)`,
    );
  }
  const client = octokit(options.token, options.apiUrl);
  const where = `${owner}/${repo}#${issueNumber}`;
  try {
    const existing = await findOurComment(client, options, marker);
    if (existing) {
      const { data } = await client.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
      logger.info(`Updated the report comment on ${where}: ${data.html_url}`);
      return { action: 'updated', url: data.html_url };
    }
    if (options.mode === 'on-change' && !options.changed) {
      logger.info(`No report comment on ${where}: nothing changed and comment is 'on-change'`);
      return { action: 'skipped' };
    }
    const { data } = await client.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
    logger.info(`Created the report comment on ${where}: ${data.html_url}`);
    return { action: 'created', url: data.html_url };
  } catch (error) {
    const status = httpStatus(error);
    // A 403 for rate limiting is a different problem (and not the fork token's): it stays an error.
    if (status === 403 && !/rate limit/i.test(errorMessage(error))) {
      logger.warn(
        `Cannot comment on ${where}: the token may not write to pull requests (${errorMessage(error)}). ` +
          'A pull request from a fork always gets a read-only token: the job summary and the uploaded results stay complete, ' +
          'and a separate workflow triggered by workflow_run (with permissions: pull-requests: write) can post the comment from them. ' +
          'For a pull request from this repository, give the job permissions: pull-requests: write.',
      );
      return { action: 'forbidden' };
    }
    throw new MadError(`commenting on ${where} failed${status ? ` (HTTP ${status})` : ''}: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * Our comment: the first by a Bot user whose first line is exactly the marker, over every page. A person
 * can paste the marker into their own comment; theirs is never edited (a new bot comment is made instead).
 */
async function findOurComment(client: Octokit, options: UpsertCommentOptions, marker: string): Promise<IssueComment | undefined> {
  let found: IssueComment | undefined;
  await client.paginate(
    client.rest.issues.listComments,
    { owner: options.owner, repo: options.repo, issue_number: options.issueNumber, per_page: 100 },
    (response, done) => {
      found ??= (response.data as IssueComment[]).find((comment) => comment.user?.type === 'Bot' && firstLine(comment.body) === marker);
      if (found) done();
      return [];
    },
  );
  return found;
}

function firstLine(body: string | undefined): string {
  return (body ?? '').split('\n', 1)[0]!.trim();
}
