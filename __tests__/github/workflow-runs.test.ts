/** latestSuccessfulRun / recentSuccessfulRuns through the REAL Octokit against the local fake of the REST API. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, MadError } from '../../src/core/errors.ts';
import { latestSuccessfulRun, recentSuccessfulRuns, type WorkflowRunsOptions } from '../../src/github/workflow-runs.ts';
import { WORKFLOW_TOKEN, startGitHubApi, type GitHubApi } from '../helpers/github-api.ts';

let api: GitHubApi;
let options: WorkflowRunsOptions;

before(async () => {
  api = await startGitHubApi({ tokens: { 'workflow-token': WORKFLOW_TOKEN, 'no-actions': { ...WORKFLOW_TOKEN, permissions: { issues: 'write' } } } });
  options = { token: 'workflow-token', apiUrl: api.url, owner: api.owner, repo: api.repo, workflow: 'nightly.yml', branch: 'main' };
  // Oldest first. The newest run on main failed; one on another branch and one of another workflow are newer still.
  api.addRun({ id: 101, workflow: 'nightly.yml', branch: 'main', headSha: 'a1' });
  api.addRun({ id: 102, workflow: 'nightly.yml', branch: 'main', headSha: 'a2' });
  api.addRun({ id: 103, workflow: 'nightly.yml', branch: 'main', headSha: 'a3', conclusion: 'failure' });
  api.addRun({ id: 104, workflow: 'nightly.yml', branch: 'release', headSha: 'r1' });
  api.addRun({ id: 105, workflow: 'pr.yml', branch: 'main', headSha: 'p1' });
  api.addRun({ id: 106, workflow: 'nightly.yml', branch: 'main', headSha: 'a4', status: 'in_progress', conclusion: null });
  api.addWorkflow('never-ran.yml');
});

after(async () => {
  await api.close();
});

test('latestSuccessfulRun: the newest successful run of that workflow on that branch', async () => {
  const run = await latestSuccessfulRun(options);
  assert.ok(run);
  assert.deepEqual(run, { id: 102, headSha: 'a2', htmlUrl: `https://github.com/${api.owner}/${api.repo}/actions/runs/102`, createdAt: run.createdAt });
  assert.match(run.createdAt, /^\d{4}-\d\d-\d\dT/);
  const request = api.requests.at(-1)!;
  assert.equal(request.path, `/repos/${api.owner}/${api.repo}/actions/workflows/nightly.yml/runs`);
  assert.deepEqual([request.query.branch, request.query.status], ['main', 'success']);

  assert.equal((await latestSuccessfulRun({ ...options, branch: 'release' }))?.id, 104);
  assert.equal((await latestSuccessfulRun({ ...options, excludeRunId: '102' }))?.id, 101);
});

test('latestSuccessfulRun: a workflow path or numeric id works too; none on the branch is undefined', async () => {
  assert.equal((await latestSuccessfulRun({ ...options, workflow: '.github/workflows/nightly.yml' }))?.id, 102);
  const id = api.addWorkflow('pr.yml'); // already there: its id
  assert.equal((await latestSuccessfulRun({ ...options, workflow: String(id) }))?.id, 105);
  assert.equal(await latestSuccessfulRun({ ...options, branch: 'no-such-branch' }), undefined);
  assert.equal(await latestSuccessfulRun({ ...options, workflow: 'never-ran.yml' }), undefined);
});

test('recentSuccessfulRuns: newest first, across pages, up to the limit', async () => {
  for (let i = 0; i < 120; i++) api.addRun({ id: 1000 + i, workflow: 'trend.yml', branch: 'main', headSha: `t${i}` });
  const before = api.requests.length;
  const runs = await recentSuccessfulRuns({ ...options, workflow: 'trend.yml' }, 110);
  assert.equal(runs.length, 110);
  assert.deepEqual(
    runs.slice(0, 3).map((r) => r.id),
    [1119, 1118, 1117],
  );
  assert.equal(runs.at(-1)!.id, 1010);
  assert.equal(api.requests.length - before, 2, 'two pages of 100');
  assert.deepEqual(await recentSuccessfulRuns(options, 0), []);
});

test('latestSuccessfulRun: an unknown workflow names itself and says to use the file name; other failures keep the status', async () => {
  await assert.rejects(latestSuccessfulRun({ ...options, workflow: 'Nightly benchmarks' }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(
      error.message,
      /^baseline workflow 'Nightly benchmarks' was not found in octo-org\/octo-repo: give the workflow's file name \(e\.g\. nightly\.yml\)/,
    );
    return true;
  });
  await assert.rejects(latestSuccessfulRun({ ...options, token: 'no-actions' }), (error: unknown) => {
    assert.ok(error instanceof MadError && !(error instanceof ConfigError));
    assert.match(
      error.message,
      /^listing successful runs of workflow 'nightly.yml' .* on branch 'main' failed \(HTTP 403\): Resource not accessible by integration/,
    );
    return true;
  });
});
