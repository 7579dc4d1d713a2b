/**
 * upsertComment through the REAL Octokit of @actions/github against the local fake of the REST API
 * (__tests__/helpers/github-api.ts): one sticky comment per key, found over every page, never a
 * person's comment edited, a fork's read-only token a warning.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MadError } from '../../src/core/errors.ts';
import { commentMarker, upsertComment, type UpsertCommentOptions } from '../../src/github/comment.ts';
import { BOT, FORK_TOKEN, WORKFLOW_TOKEN, startGitHubApi, type GitHubApi } from '../helpers/github-api.ts';
import { memoryLogger } from '../helpers/logger.ts';

let api: GitHubApi;

before(async () => {
  api = await startGitHubApi({ tokens: { 'workflow-token': WORKFLOW_TOKEN, 'fork-token': FORK_TOKEN } });
});

after(async () => {
  await api.close();
});

function upsert(issueNumber: number, overrides: Partial<UpsertCommentOptions> = {}) {
  const logger = memoryLogger();
  const options: UpsertCommentOptions = {
    token: 'workflow-token',
    apiUrl: api.url,
    owner: api.owner,
    repo: api.repo,
    issueNumber,
    key: 'PR benchmarks / default',
    body: '## Performance\nno change',
    mode: 'always',
    changed: true,
    logger,
    ...overrides,
  };
  return { logger, result: upsertComment(options) };
}

test('commentMarker: the key cannot close the HTML comment or break the line', () => {
  assert.equal(commentMarker('nightly / main'), '<!-- madengine-collect-perf: nightly / main -->');
  assert.equal(commentMarker('a--b --> c\n\td>'), '<!-- madengine-collect-perf: a-b - c d -->');
  assert.equal(commentMarker(' --> '), '<!-- madengine-collect-perf: - -->');
  assert.equal(commentMarker(''), '<!-- madengine-collect-perf: default -->');
  assert.doesNotMatch(commentMarker('x-->y<!--z').slice(4, -3), /--|>|</);
});

test('comment: created on the first call, updated in place on the second', async () => {
  api.addIssue(1);
  const first = upsert(1);
  const created = await first.result;
  assert.equal(created.action, 'created');
  const [comment] = api.comments(1);
  assert.ok(comment);
  assert.equal(created.url, `https://github.com/${api.owner}/${api.repo}/pull/1#issuecomment-${comment.id}`);
  assert.equal(comment.body, `${commentMarker('PR benchmarks / default')}\n## Performance\nno change`);
  assert.deepEqual(comment.user, BOT);
  assert.match(first.logger.lines.join('\n'), /info: Created the report comment on octo-org\/octo-repo#1: https:/);

  const updated = await upsert(1, { body: '## Performance\n1 regression' }).result;
  assert.deepEqual(updated, { action: 'updated', url: created.url });
  const after = api.comments(1);
  assert.equal(after.length, 1, 'still one comment');
  assert.equal(after[0]!.id, comment.id);
  assert.match(after[0]!.body, /\n## Performance\n1 regression$/);
});

test('comment: each key keeps its own comment on the same pull request', async () => {
  api.addIssue(2);
  await upsert(2, { key: 'nightly / gpu' }).result;
  await upsert(2, { key: 'nightly / gpu-large' }).result;
  await upsert(2, { key: 'nightly / gpu', body: 'second' }).result;
  const bodies = api.comments(2).map((c) => c.body);
  assert.deepEqual(bodies, [`${commentMarker('nightly / gpu')}\nsecond`, `${commentMarker('nightly / gpu-large')}\n## Performance\nno change`]);
});

test('comment: ours is found on the second page of a busy pull request', async () => {
  api.addIssue(3);
  for (let i = 0; i < 130; i++) api.addComment(3, `discussion ${i}`);
  const ours = api.addComment(3, `${commentMarker('PR benchmarks / default')}\nold results`, BOT);
  for (let i = 0; i < 20; i++) api.addComment(3, `more discussion ${i}`);
  const before = api.requests.length;

  const result = await upsert(3, { body: 'new results' }).result;
  assert.equal(result.action, 'updated');
  assert.equal(api.comments(3).length, 151, 'no new comment');
  assert.equal(api.comments(3).find((c) => c.id === ours.id)?.body, `${commentMarker('PR benchmarks / default')}\nnew results`);
  const listed = api.requests.slice(before).filter((r) => r.method === 'GET');
  assert.deepEqual(
    listed.map((r) => [r.query.per_page, r.query.page ?? '1']),
    [
      ['100', '1'],
      ['100', '2'],
    ],
  );
});

test("comment: a person's comment carrying the marker is never edited", async () => {
  api.addIssue(4);
  const pasted = `${commentMarker('PR benchmarks / default')}\nI copied the bot's comment`;
  const human = api.addComment(4, pasted, { login: 'octocat', type: 'User' });
  // Another bot's comment that merely mentions the marker further down is not ours either.
  api.addComment(4, `see above\n${commentMarker('PR benchmarks / default')}`, BOT);

  const result = await upsert(4).result;
  assert.equal(result.action, 'created');
  const comments = api.comments(4);
  assert.equal(comments.find((c) => c.id === human.id)?.body, pasted);
  assert.equal(comments.length, 3);
  assert.deepEqual(comments[2]!.user, BOT);

  assert.equal((await upsert(4, { body: 'again' }).result).action, 'updated');
  assert.equal(api.comments(4).length, 3);
  assert.equal(api.comments(4).find((c) => c.id === human.id)?.body, pasted);
});

test("comment: a fork's read-only token gets a warning naming the fix, and 'forbidden'", async () => {
  api.addIssue(5);
  const { logger, result } = upsert(5, { token: 'fork-token' });
  assert.deepEqual(await result, { action: 'forbidden' });
  assert.deepEqual(api.comments(5), []);
  const warnings = logger.lines.filter((line) => line.startsWith('warn: '));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /Resource not accessible by integration/);
  assert.match(warnings[0]!, /workflow_run/);
  assert.match(warnings[0]!, /permissions: pull-requests: write/);
});

test('comment: on-change creates nothing when nothing changed, but always updates an existing comment', async () => {
  api.addIssue(6);
  const skipped = upsert(6, { mode: 'on-change', changed: false });
  assert.deepEqual(await skipped.result, { action: 'skipped' });
  assert.deepEqual(api.comments(6), []);
  assert.match(skipped.logger.lines.join('\n'), /nothing changed and comment is 'on-change'/);

  assert.equal((await upsert(6, { mode: 'on-change', changed: true, body: 'regressed' }).result).action, 'created');
  // Back to normal: the comment must not keep saying "regressed".
  assert.equal((await upsert(6, { mode: 'on-change', changed: false, body: 'all clear' }).result).action, 'updated');
  assert.deepEqual(
    api.comments(6).map((c) => c.body.split('\n')[1]),
    ['all clear'],
  );
});

test('comment: other failures are errors with the HTTP status; an over-long body is refused before any request', async () => {
  await assert.rejects(upsert(999).result, (error: unknown) => {
    assert.ok(error instanceof MadError);
    assert.match(error.message, /^commenting on octo-org\/octo-repo#999 failed \(HTTP 404\): Not Found/);
    return true;
  });
  await assert.rejects(upsert(1, { token: 'stolen' }).result, /\(HTTP 401\): Bad credentials/);

  const before = api.requests.length;
  await assert.rejects(upsert(1, { body: 'x'.repeat(65_536) }).result, /is 65\d{3} characters, over GitHub's limit of 65536 \(marker included\)/);
  assert.equal(api.requests.length, before);
});
