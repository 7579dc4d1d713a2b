/** findPullRequest through the REAL Octokit against the local REST fake: the number comes from the trusted event, never the data. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunContext } from '../../src/github/event.ts';
import { findPullRequest } from '../../src/github/pulls.ts';
import { WORKFLOW_TOKEN, startGitHubApi, type GitHubApi } from '../helpers/github-api.ts';
import { memoryLogger } from '../helpers/logger.ts';

let api: GitHubApi;
before(async () => {
  api = await startGitHubApi({ tokens: { 'workflow-token': WORKFLOW_TOKEN } });
  api.addPullRequest({ number: 12, headSha: 'a'.repeat(40), headRef: 'feature', headOwner: 'someone' });
  api.addPullRequest({ number: 13, headSha: 'b'.repeat(40), headRef: 'other', headOwner: 'someone' });
});
after(() => api.close());

const context = (overrides: Partial<RunContext>): RunContext => ({
  eventName: 'workflow_run',
  workflow: 'report',
  runId: '1',
  runAttempt: 1,
  serverUrl: 'https://github.com',
  headSha: 'a'.repeat(40),
  isForkPullRequest: true,
  headOwner: 'someone',
  headBranch: 'feature',
  ...overrides,
});

const find = (ctx: RunContext) =>
  findPullRequest({ token: 'workflow-token', apiUrl: api.url, owner: api.owner, repo: api.repo, context: ctx, logger: memoryLogger() });

test('findPullRequest: the open pull request of the run head (owner:branch) whose head is still the benchmarked commit', async () => {
  assert.equal(await find(context({})), 12);
  assert.equal(await find(context({ headSha: 'c'.repeat(40) })), undefined, 'a newer push: not this report');
  assert.equal(await find(context({ headBranch: 'nope' })), undefined);
  assert.equal(await find(context({ eventName: 'push' })), undefined, 'only workflow_run events look one up');
});
