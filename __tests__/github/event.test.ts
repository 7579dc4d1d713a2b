/** runContext from the runner's GITHUB_* env and event payload file, per event kind. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MadError } from '../../src/core/errors.ts';
import { runContext } from '../../src/github/event.ts';

let work: string;
let events = 0;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'madengine-event-'));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

const repository = { full_name: 'octo-org/octo-repo', name: 'octo-repo', owner: { login: 'octo-org' }, default_branch: 'main' };
const pullRequest = (headRepo: string) => ({
  number: 42,
  head: { sha: 'head-sha', ref: 'feature', repo: { full_name: headRepo } },
  base: { sha: 'base-sha', ref: 'main', repo: { full_name: 'octo-org/octo-repo' } },
});

/** The env a runner gives a step, with `payload` written to the GITHUB_EVENT_PATH file. */
async function env(eventName: string, payload: unknown, extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  const file = path.join(work, `event-${++events}.json`);
  await writeFile(file, typeof payload === 'string' ? payload : JSON.stringify(payload));
  return {
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: file,
    GITHUB_REPOSITORY: 'octo-org/octo-repo',
    GITHUB_WORKFLOW: 'PR benchmarks',
    GITHUB_RUN_ID: '9001',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_SHA: 'merge-commit-sha',
    ...extra,
  };
}

test('runContext: a pull_request benchmarks the head commit, not the merge commit', async () => {
  assert.deepEqual(runContext(await env('pull_request', { repository, pull_request: pullRequest('octo-org/octo-repo') })), {
    repository: { owner: 'octo-org', repo: 'octo-repo' },
    eventName: 'pull_request',
    workflow: 'PR benchmarks',
    runId: '9001',
    runAttempt: 1,
    runUrl: 'https://github.com/octo-org/octo-repo/actions/runs/9001',
    serverUrl: 'https://github.com',
    headSha: 'head-sha',
    baseSha: 'base-sha',
    baseRef: 'main',
    defaultBranch: 'main',
    pullRequest: 42,
    isForkPullRequest: false,
  });
});

test('runContext: a pull request from a fork is told apart, for pull_request and pull_request_target', async () => {
  const fork = runContext(await env('pull_request', { repository, pull_request: pullRequest('someone/octo-repo') }));
  assert.equal(fork.isForkPullRequest, true);
  const target = runContext(await env('pull_request_target', { repository, pull_request: pullRequest('someone/octo-repo') }, { GITHUB_SHA: 'base-tip' }));
  assert.deepEqual([target.headSha, target.baseSha, target.pullRequest, target.isForkPullRequest], ['head-sha', 'base-sha', 42, true]);
  // A head repository that was deleted is null: it cannot be the base repository.
  const deleted = pullRequest('x');
  const gone = runContext(await env('pull_request', { repository, pull_request: { ...deleted, head: { ...deleted.head, repo: null } } }));
  assert.equal(gone.isForkPullRequest, true);
});

test('runContext: workflow_run reports on the run that triggered it', async () => {
  const fromPr = runContext(
    await env('workflow_run', {
      repository,
      workflow_run: {
        head_sha: 'triggering-sha',
        head_repository: { full_name: 'octo-org/octo-repo' },
        repository: { full_name: 'octo-org/octo-repo' },
        pull_requests: [{ number: 7, head: { sha: 'triggering-sha', ref: 'feature' }, base: { sha: 'base-7', ref: 'main' } }],
      },
    }),
  );
  assert.deepEqual(
    [fromPr.headSha, fromPr.pullRequest, fromPr.baseSha, fromPr.baseRef, fromPr.isForkPullRequest],
    ['triggering-sha', 7, 'base-7', 'main', false],
  );

  // From a fork GitHub leaves pull_requests empty: no number, but the fork is known.
  const fromFork = runContext(
    await env('workflow_run', {
      repository,
      workflow_run: {
        head_sha: 'fork-sha',
        head_repository: { full_name: 'someone/octo-repo' },
        repository: { full_name: 'octo-org/octo-repo' },
        pull_requests: [],
      },
    }),
  );
  assert.deepEqual([fromFork.headSha, fromFork.pullRequest, fromFork.isForkPullRequest], ['fork-sha', undefined, true]);
});

test('runContext: other events use GITHUB_SHA; a later attempt links to its own page', async () => {
  const push = runContext(await env('schedule', { repository }, { GITHUB_SHA: 'nightly-sha', GITHUB_RUN_ATTEMPT: '3' }));
  assert.equal(push.headSha, 'nightly-sha');
  assert.equal(push.pullRequest, undefined);
  assert.equal(push.baseSha, undefined);
  assert.equal(push.runUrl, 'https://github.com/octo-org/octo-repo/actions/runs/9001/attempts/3');
  assert.equal(push.runAttempt, 3);
});

test('runContext: outside a runner it degrades to what is known; a corrupt payload is an error naming the file', async () => {
  const bare = runContext({ GITHUB_SHA: 'abc' });
  assert.deepEqual(bare, { eventName: '', workflow: '', runId: '', runAttempt: 1, serverUrl: 'https://github.com', headSha: 'abc', isForkPullRequest: false });
  // The repository can come from the payload alone; a missing event file is an empty payload (as @actions/github has it).
  const fromPayload = runContext({ ...(await env('push', { repository })), GITHUB_REPOSITORY: '' });
  assert.deepEqual(fromPayload.repository, { owner: 'octo-org', repo: 'octo-repo' });
  assert.equal(runContext({ GITHUB_EVENT_PATH: path.join(work, 'missing.json') }).repository, undefined);

  const broken = await env('push', '{"repository": ');
  assert.throws(
    () => runContext(broken),
    (error: unknown) => error instanceof MadError && error.file === broken.GITHUB_EVENT_PATH && /\(GITHUB_EVENT_PATH\) is not valid JSON/.test(error.message),
  );
});
