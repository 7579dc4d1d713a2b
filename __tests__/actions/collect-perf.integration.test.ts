/**
 * collect-perf's committed bundle through the runner protocol under Node 24, against the local fakes of
 * GitHub's REST API (comments, workflow runs, cross-run artifacts) and of the results service (artifacts,
 * cache), with the real Octokit, @actions/artifact and @actions/cache inside the bundle.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCsvTable } from '../../src/core/util/csv.ts';
import { uploadFiles } from '../../src/github/artifacts.ts';
import { FORK_TOKEN, WORKFLOW_TOKEN, startGitHubApi, type GitHubApi } from '../helpers/github-api.ts';
import { runActionBundle, type RunActionOptions } from '../helpers/action-runner.ts';
import { startResultsService, type ResultsService } from '../helpers/results-service.ts';
import { withEnv } from '../helpers/toolkit-env.ts';

const HEADER = 'model,n_gpus,nnodes,gpu_architecture,deployment_type,performance,metric,status,run_id,sample';
const csv = (rows: string[]) => `${HEADER}\n${rows.join('\n')}\n`;
const HEAD_SHA = 'feedface'.repeat(5);
const BASE_SHA = 'b0a710ad'.repeat(5);

let service: ResultsService;
let api: GitHubApi;
let workspace: string;

/** A pull_request event of octo/hub #7, same-repository unless `fork`. */
function pullRequestEvent(number: number, fork = false) {
  return {
    repository: { full_name: 'octo/hub', name: 'hub', owner: { login: 'octo' }, default_branch: 'main' },
    pull_request: {
      number,
      head: { sha: HEAD_SHA, ref: 'feature', repo: { full_name: fork ? 'someone/hub' : 'octo/hub' } },
      base: { sha: BASE_SHA, ref: 'main', repo: { full_name: 'octo/hub' } },
    },
  };
}

function collect(inputs: Record<string, string>, extra: Partial<RunActionOptions> = {}) {
  return runActionBundle('collect-perf', {
    workspace,
    event: pullRequestEvent(7),
    ...extra,
    inputs: { 'github-token': 'workflow-token', ...inputs },
    env: { ...service.env, GITHUB_API_URL: api.url, GITHUB_WORKFLOW: 'PR benchmarks', ...extra.env },
  });
}

before(async () => {
  service = await startResultsService({ runId: 'pr-backend', jobId: 'report-job' });
  api = await startGitHubApi({ owner: 'octo', repo: 'hub', tokens: { 'workflow-token': WORKFLOW_TOKEN, 'fork-token': FORK_TOKEN }, results: service });
  workspace = await mkdtemp(path.join(tmpdir(), 'madengine-collect-'));
  await writeFile(
    path.join(workspace, 'base.csv'),
    csv(['dummy,1,1,gfx942,local,1000,samples_per_second,SUCCESS,r0,1', 'dummy2,1,1,gfx942,local,50,ms,SUCCESS,r0,1']),
  );
  api.addIssue(7);
});

after(async () => {
  await api.close();
  await service.close();
  await rm(workspace, { recursive: true, force: true });
});

test('collect-perf bundle: the first run creates one comment, the second updates the same one; outputs and summary name the regression', async () => {
  await writeFile(
    path.join(workspace, 'head.csv'),
    csv(['dummy,1,1,gfx942,local,880,samples_per_second,SUCCESS,r1,1', 'dummy2,1,1,gfx942,local,50.5,ms,SUCCESS,r1,1']),
  );
  const inputs = { 'perf-csv': 'head.csv', baseline: 'base.csv', comment: 'true', 'upload-artifact': 'false' };
  const first = await collect(inputs);
  assert.equal(first.exitCode, 0, first.stdout + first.stderr);
  assert.equal(first.outputs.regressions, '1');
  assert.equal(first.outputs['baseline-found'], 'true');
  const comments = api.comments(7);
  assert.equal(comments.length, 1);
  assert.match(first.outputs['comment-url'] ?? '', new RegExp(`#issuecomment-${comments[0]!.id}$`));
  assert.match(comments[0]!.body, /^<!-- madengine-collect-perf: PR benchmarks -->/);
  assert.match(comments[0]!.body, /dummy/);
  assert.match(comments[0]!.body, new RegExp(HEAD_SHA.slice(0, 7)));
  assert.match(first.summary, /regress/i);

  // relative_change is filled in the merged perf.csv: 880 vs 1000 is -12 %.
  const merged = parseCsvTable(await readFile(first.outputs['perf-csv']!, 'utf8'));
  assert.equal(merged.rows.find((row) => row.model === 'dummy')?.relative_change, '-12.00');
  const report = JSON.parse(await readFile(first.outputs['report-json']!, 'utf8')) as { meta: { headSha: string; baseSha: string; runUrl: string } };
  assert.equal(report.meta.headSha, HEAD_SHA);
  assert.equal(report.meta.baseSha, BASE_SHA);
  assert.match(report.meta.runUrl, /\/octo\/hub\/actions\/runs\/4242$/);
  assert.match(await readFile(first.outputs['report-html']!, 'utf8'), /<svg/);

  // The next push fixed it: the same comment now says so.
  await writeFile(
    path.join(workspace, 'head.csv'),
    csv(['dummy,1,1,gfx942,local,1001,samples_per_second,SUCCESS,r2,1', 'dummy2,1,1,gfx942,local,50,ms,SUCCESS,r2,1']),
  );
  const second = await collect(inputs);
  assert.equal(second.exitCode, 0, second.stdout + second.stderr);
  assert.equal(second.outputs.regressions, '0');
  const after = api.comments(7);
  assert.equal(after.length, 1, 'updated in place, not a second comment');
  assert.equal(after[0]!.id, comments[0]!.id);
  assert.notEqual(after[0]!.body, comments[0]!.body);
  assert.equal(second.outputs['comment-url'], first.outputs['comment-url']);
});

test('collect-perf bundle: a fork pull request token cannot comment: a warning, the summary still written, the step green', async () => {
  api.addIssue(8);
  await writeFile(path.join(workspace, 'head.csv'), csv(['dummy,1,1,gfx942,local,880,samples_per_second,SUCCESS,r3,1']));
  const run = await collect(
    { 'perf-csv': 'head.csv', baseline: 'base.csv', 'upload-artifact': 'false', 'github-token': 'fork-token' },
    { event: pullRequestEvent(8, true) },
  );
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  assert.equal(api.comments(8).length, 0);
  assert.ok(
    run.annotations.some((line) => line.startsWith('::warning') && /workflow_run/.test(line)),
    run.annotations.join('\n'),
  );
  assert.match(run.summary, /dummy/);
  assert.equal(run.outputs['comment-url'], '');
});

test('collect-perf bundle: fail-on-regression fails the step after every output, the summary and the comment are written', async () => {
  await writeFile(path.join(workspace, 'head.csv'), csv(['dummy,1,1,gfx942,local,800,samples_per_second,SUCCESS,r4,1']));
  const run = await collect({ 'perf-csv': 'head.csv', baseline: 'base.csv', 'upload-artifact': 'false', 'fail-on-regression': 'true', comment: 'false' });
  assert.equal(run.exitCode, 1);
  assert.match(run.stdout, /::error::1 regression\(s\) beyond the threshold of 5 percent/);
  assert.equal(run.outputs.regressions, '1');
  assert.ok(run.outputs['perf-csv']);
  assert.match(run.summary, /dummy/);
});

test("collect-perf bundle: shards from this run's artifacts, baseline from the nightly's artifact, results saved to and restored from the cache", async () => {
  const shards = path.join(workspace, 'shards');
  await mkdir(shards, { recursive: true });
  // Two bench cells of this run uploaded their perf.csv (as run-local does).
  for (const [cell, value] of [
    ['0', '1200'],
    ['1', '40'],
  ] as const) {
    await mkdir(path.join(shards, cell), { recursive: true });
    const row = cell === '0' ? `dummy,1,1,gfx942,local,${value},samples_per_second,SUCCESS,r5,1` : `dummy2,1,1,gfx942,local,${value},ms,SUCCESS,r5,1`;
    await writeFile(path.join(shards, cell, 'perf.csv'), csv([row]));
    await withEnv(service.envFor(`bench-${cell}`), () => uploadFiles(`perf-${cell}`, [path.join(shards, cell, 'perf.csv')], path.join(shards, cell)));
  }
  // Last night's collect-perf uploaded its merged perf.csv as madengine-perf.
  const nightly = path.join(workspace, 'nightly');
  await mkdir(nightly, { recursive: true });
  await writeFile(
    path.join(nightly, 'perf.csv'),
    csv(['dummy,1,1,gfx942,local,1000,samples_per_second,SUCCESS,n1,1', 'dummy2,1,1,gfx942,local,50,ms,SUCCESS,n1,1']),
  );
  await withEnv(service.envFor('nightly-report', 'nightly-backend'), () => uploadFiles('madengine-perf', [path.join(nightly, 'perf.csv')], nightly));
  api.addRun({ id: 900, workflow: 'nightly.yml', branch: 'main', headSha: 'a1b2c3d4'.repeat(5), backendId: 'nightly-backend' });

  const run = await collect(
    { 'artifact-pattern': 'perf-*', 'baseline-workflow': 'nightly.yml', 'baseline-cache-key': 'bench', 'save-baseline': 'true', comment: 'false' },
    { env: { GITHUB_EVENT_NAME: 'pull_request' } },
  );
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  assert.equal(run.outputs['baseline-found'], 'true');
  const report = JSON.parse(await readFile(run.outputs['report-json']!, 'utf8')) as {
    meta: { baseline: string; baseSha: string };
    comparison: { counts: Record<string, number> };
    merge: { shards: { name: string }[] };
  };
  assert.match(report.meta.baseline, /artifact madengine-perf of nightly\.yml run 900 on main/);
  assert.equal(report.meta.baseSha, 'a1b2c3d4'.repeat(5));
  assert.deepEqual(
    report.merge.shards.map((shard) => shard.name),
    ['artifact perf-0/perf.csv', 'artifact perf-1/perf.csv'],
  );
  assert.equal(report.comparison.counts.improved, 2, '1200 vs 1000 throughput, 40 vs 50 ms');
  assert.ok(
    service.artifacts().some((a) => a.name === 'madengine-perf' && a.runId === 'pr-backend'),
    'the report was uploaded as this run’s madengine-perf',
  );
  assert.ok(service.cacheEntries().some((entry) => entry.key === 'bench-4242-1'));

  // A later run without the workflow baseline finds the one it saved in the cache.
  const next = await collect(
    { 'perf-csv': 'head.csv', 'baseline-cache-key': 'bench', comment: 'false', 'upload-artifact': 'false' },
    { env: { GITHUB_RUN_ID: '4243' } },
  );
  assert.equal(next.exitCode, 0, next.stdout + next.stderr);
  const nextReport = JSON.parse(await readFile(next.outputs['report-json']!, 'utf8')) as { meta: { baseline: string } };
  assert.match(nextReport.meta.baseline, /cache entry bench-4242-1/);
});

test('collect-perf bundle: no baseline anywhere is not an error; the report says so', async () => {
  const run = await collect({ 'perf-csv': 'head.csv', comment: 'false', 'upload-artifact': 'false' });
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  assert.equal(run.outputs['baseline-found'], 'false');
  assert.match(run.summary, /no baseline/i);
});
