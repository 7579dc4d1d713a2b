/**
 * downloadFromRun: the REAL @actions/artifact `findBy` download of another run's artifact, through the
 * REST API fake (listing, then GET .../zip answering 302) and the blob it redirects to in the results
 * service fake, where the baseline run's job uploaded it with the real client.
 *
 * @actions/github fixes its API base URL (GITHUB_API_URL) when it is first loaded, as on a runner, so
 * this file sets it before anything loads @actions/artifact (src/github/artifacts.ts loads it lazily).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MadError } from '../../src/core/errors.ts';
import { downloadFromRun, uploadFiles, type DownloadFromRunOptions } from '../../src/github/artifacts.ts';
import { WORKFLOW_TOKEN, startGitHubApi, type GitHubApi } from '../helpers/github-api.ts';
import { startResultsService, type ResultsService } from '../helpers/results-service.ts';
import { withEnv } from '../helpers/toolkit-env.ts';

let service: ResultsService;
let api: GitHubApi;
let work: string;
let options: Omit<DownloadFromRunOptions, 'directory'>;
const baselineCsv = 'model,n_gpus,performance,metric,status\ndummy,1,1000,samples_per_second,SUCCESS\n';

before(async () => {
  service = await startResultsService({ runId: 'pr-run-backend', jobId: 'collect' });
  api = await startGitHubApi({
    tokens: { 'workflow-token': WORKFLOW_TOKEN, 'no-actions': { ...WORKFLOW_TOKEN, permissions: { pull_requests: 'write' } } },
    results: service,
  });
  process.env.GITHUB_API_URL = api.url;
  work = await mkdtemp(path.join(tmpdir(), 'madengine-cross-run-'));

  // Nightly run 555 uploaded its perf.csv (under its own backend id, as every run has one).
  await mkdir(path.join(work, 'nightly'), { recursive: true });
  await writeFile(path.join(work, 'nightly/perf.csv'), baselineCsv);
  await withEnv(service.envFor('nightly-job', 'nightly-555-backend'), () =>
    uploadFiles('madengine-perf', [path.join(work, 'nightly/perf.csv')], path.join(work, 'nightly')),
  );
  api.addRun({ id: 555, workflow: 'nightly.yml', branch: 'main', headSha: 'b4se', backendId: 'nightly-555-backend' });
  options = { token: 'workflow-token', owner: api.owner, repo: api.repo, runId: 555, name: 'madengine-perf' };
});

after(async () => {
  await api.close();
  await service.close();
  await rm(work, { recursive: true, force: true });
});

test("downloadFromRun: another run's artifact arrives with the bytes it was uploaded with", async () => {
  const into = path.join(work, 'baseline');
  const downloaded = await withEnv(service.env, () => downloadFromRun({ ...options, directory: into }));
  assert.equal(downloaded, into);
  assert.equal(await readFile(path.join(into, 'perf.csv'), 'utf8'), baselineCsv);
  // It went through the public API, not the current run's Twirp service (which cannot see run 555).
  const paths = api.requests.map((r) => `${r.method} ${r.path}`);
  assert.ok(paths.includes(`GET /repos/${api.owner}/${api.repo}/actions/runs/555/artifacts`));
  assert.ok(paths.some((p) => /^GET \/repos\/[^/]+\/[^/]+\/actions\/artifacts\/\d+\/zip$/.test(p)));
});

test('downloadFromRun: a run without that artifact is undefined; an unknown run or a token without actions: read is an error', async () => {
  assert.equal(await withEnv(service.env, () => downloadFromRun({ ...options, name: 'expired', directory: path.join(work, 'none') })), undefined);

  api.addRun({ id: 556, workflow: 'nightly.yml', branch: 'main', headSha: 'n0ne' });
  assert.equal(await withEnv(service.env, () => downloadFromRun({ ...options, runId: 556, directory: path.join(work, 'none') })), undefined);

  await assert.rejects(
    withEnv(service.env, () => downloadFromRun({ ...options, runId: 9999, directory: path.join(work, 'none') })),
    (error: unknown) =>
      error instanceof MadError && /^looking up artifact 'madengine-perf' of run 9999 in octo-org\/octo-repo failed: Not Found/.test(error.message),
  );
  await assert.rejects(
    withEnv(service.env, () => downloadFromRun({ ...options, token: 'no-actions', directory: path.join(work, 'none') })),
    /looking up artifact 'madengine-perf' of run 555 .* failed: Resource not accessible by integration/,
  );
});

test('downloadFromRun: bytes other than those uploaded fail the digest check', async () => {
  await withEnv(service.envFor('nightly-job', 'nightly-555-backend'), () =>
    uploadFiles('other', [path.join(work, 'nightly/perf.csv')], path.join(work, 'nightly'), undefined),
  );
  const id = (name: string) => service.artifacts().find((a) => a.runId === 'nightly-555-backend' && a.name === name)!.id;
  await writeFile(path.join(work, 'nightly/perf.csv'), 'changed');
  await withEnv(service.envFor('nightly-job', 'nightly-555-backend'), () =>
    uploadFiles('changed', [path.join(work, 'nightly/perf.csv')], path.join(work, 'nightly')),
  );
  service.overwriteBlob(id('other'), id('changed'));
  await assert.rejects(
    withEnv(service.env, () => downloadFromRun({ ...options, name: 'other', directory: path.join(work, 'tampered') })),
    /^MadError: artifact 'other' of run 555 in octo-org\/octo-repo failed its digest check after download$/,
  );
});
