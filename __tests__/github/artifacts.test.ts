/**
 * The REAL @actions/artifact client, through src/github/artifacts.ts, against the local fake of the
 * results service (__tests__/helpers/results-service.ts): upload, list, download, delete and the
 * failures a runner would report.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import { MadError } from '../../src/core/errors.ts';
import { artifactNameMatcher, downloadMatching, downloadNamed, uploadFiles } from '../../src/github/artifacts.ts';
import { buildRuntimeToken, startResultsService, type ResultsService } from '../helpers/results-service.ts';
import { toolkitLog, withEnv } from '../helpers/toolkit-env.ts';

let service: ResultsService;
let work: string;
const perfCsv = 'model,n_gpus,performance,metric,status\ndummy,1,1234.5,samples_per_second,SUCCESS\n';

before(async () => {
  service = await startResultsService();
  work = await mkdtemp(path.join(tmpdir(), 'madengine-artifacts-'));
  await mkdir(path.join(work, 'results/logs'), { recursive: true });
  await writeFile(path.join(work, 'results/perf.csv'), perfCsv);
  await writeFile(path.join(work, 'results/logs/dummy.live.log'), 'line 1\nline 2\n');
});

after(async () => {
  await service.close();
  await rm(work, { recursive: true, force: true });
});

test('artifacts: upload then download a perf.csv gives the same bytes, and the service holds the zip', async () => {
  const files = [path.join(work, 'results/perf.csv'), path.join(work, 'results/logs/dummy.live.log')];
  const uploaded = await withEnv(service.env, () => uploadFiles('perf', files, path.join(work, 'results')));
  assert.ok(uploaded.id && uploaded.id > 0);
  assert.match(uploaded.digest ?? '', /^[0-9a-f]{64}$/);
  // The signed upload URL's signature is masked in the job log, as on a runner.
  assert.match(toolkitLog(), /^::add-mask::\S+$/m);

  const stored = service.artifacts().find((a) => a.name === 'perf');
  assert.ok(stored, 'the fake holds the finalized artifact');
  assert.equal(stored.size, uploaded.size);
  assert.equal(stored.digest, `sha256:${uploaded.digest}`);
  assert.deepEqual(stored.files?.sort(), ['logs/dummy.live.log', 'perf.csv']);

  // A later job of the same run downloads what this job uploaded (how the actions chain).
  const into = path.join(work, 'download');
  const downloadPath = await withEnv(service.envFor('report-job'), () => downloadNamed('perf', into));
  assert.equal(downloadPath, into);
  assert.deepEqual(await readFile(path.join(into, 'perf.csv')), Buffer.from(perfCsv));
  assert.equal(await readFile(path.join(into, 'logs/dummy.live.log'), 'utf8'), 'line 1\nline 2\n');
});

test('artifacts: listing shows every finalized artifact of the run, and only of that run', async () => {
  // A retention period travels as expires_at, which the service checks is in the future.
  await withEnv(service.env, () => uploadFiles('logs', [path.join(work, 'results/logs/dummy.live.log')], path.join(work, 'results'), 1));
  const listed = await withEnv(service.env, () => new DefaultArtifactClient().listArtifacts());
  assert.deepEqual(listed.artifacts.map((a) => a.name).sort(), ['logs', 'perf']);
  const logs = listed.artifacts.find((a) => a.name === 'logs')!;
  assert.equal(logs.size, service.artifacts().find((a) => a.name === 'logs')!.size);
  assert.match(logs.digest ?? '', /^sha256:[0-9a-f]{64}$/);

  // Another workflow run sees none of them.
  const otherRun = await withEnv(service.envFor('job', 'another-run'), () => new DefaultArtifactClient().listArtifacts());
  assert.deepEqual(otherRun.artifacts, []);
});

test('artifacts: a second upload with the same name in the run fails clearly', async () => {
  await assert.rejects(
    withEnv(service.env, () => uploadFiles('perf', [path.join(work, 'results/perf.csv')], path.join(work, 'results'))),
    (error: unknown) => {
      assert.ok(error instanceof MadError);
      assert.match(error.message, /^uploading artifact 'perf' failed: /);
      assert.match(error.message, /\(409\).*an artifact named 'perf' already exists in workflow run/);
      return true;
    },
  );
  assert.equal(service.artifacts().filter((a) => a.name === 'perf').length, 1);
});

test('artifacts: downloading a missing artifact fails with a clear message', async () => {
  await assert.rejects(
    withEnv(service.env, () => downloadNamed('no-such-artifact', path.join(work, 'missing'))),
    (error: unknown) => {
      assert.ok(error instanceof MadError);
      assert.match(error.message, /^artifact 'no-such-artifact' was not found in this workflow run \(upload it in an earlier job/);
      return true;
    },
  );
});

test('artifacts: deleting removes it from the run, so its name can be reused', async () => {
  const logsId = service.artifacts().find((a) => a.name === 'logs')?.id;
  const deleted = await withEnv(service.env, () => new DefaultArtifactClient().deleteArtifact('logs'));
  assert.equal(deleted.id, logsId);
  assert.ok(!service.artifacts().some((a) => a.name === 'logs'));
  await withEnv(service.env, () => uploadFiles('logs', [path.join(work, 'results/perf.csv')], path.join(work, 'results')));
  assert.deepEqual(service.artifacts().find((a) => a.name === 'logs')?.files, ['perf.csv']);
});

test('artifacts: a runtime token the service did not sign is refused', async () => {
  const env = { ...service.env, ACTIONS_RUNTIME_TOKEN: buildRuntimeToken('run', 'job', 'not-the-service-secret') };
  await assert.rejects(
    withEnv(env, () => uploadFiles('forged', [path.join(work, 'results/perf.csv')], path.join(work, 'results'))),
    /\(401\).*runtime token signature is invalid/,
  );
  assert.ok(!service.artifacts().some((a) => a.name === 'forged'));
});

test('artifacts: downloadMatching fetches every shard of the run matching a glob, each into its own folder', async () => {
  // Three matrix jobs of one run upload their shard under the same file name; a fourth artifact does not match.
  const run = 'matrix-run';
  for (const shard of [1, 2, 3]) {
    const dir = path.join(work, `shard-${shard}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'perf.csv'), `${perfCsv}shard${shard},1,${shard},samples_per_second,SUCCESS\n`);
    await withEnv(service.envFor(`cell-${shard}`, run), () => uploadFiles(`perf-cell-${shard}`, [path.join(dir, 'perf.csv')], dir));
  }
  await withEnv(service.envFor('cell-1', run), () => uploadFiles('logs-cell-1', [path.join(work, 'results/logs/dummy.live.log')], path.join(work, 'results')));
  // The same names in another run are not this run's.
  await withEnv(service.envFor('cell-9', 'other-run'), () => uploadFiles('perf-cell-9', [path.join(work, 'results/perf.csv')], path.join(work, 'results')));

  const into = path.join(work, 'merged');
  const downloaded = await withEnv(service.envFor('collect', run), () => downloadMatching('perf-*', into));
  assert.deepEqual(
    downloaded,
    [1, 2, 3].map((shard) => ({ name: `perf-cell-${shard}`, path: path.join(into, `perf-cell-${shard}`) })),
  );
  for (const shard of [1, 2, 3]) {
    assert.match(await readFile(path.join(into, `perf-cell-${shard}`, 'perf.csv'), 'utf8'), new RegExp(`\nshard${shard},1,${shard},`));
  }
  assert.equal(toolkitLog().match(/SHA256 digest of downloaded artifact is [0-9a-f]{64}/g)?.length, 3);

  const single = await withEnv(service.envFor('collect', run), () => downloadMatching('perf-cell-?', path.join(work, 'single')));
  assert.equal(single.length, 3);
  assert.deepEqual(await withEnv(service.envFor('collect', run), () => downloadMatching('nothing-*', path.join(work, 'none'))), []);

  // Bytes that are not what was finalized fail the digest check.
  const id = (name: string) => service.artifacts().find((a) => a.runId === run && a.name === name)!.id;
  service.overwriteBlob(id('perf-cell-2'), id('perf-cell-1'));
  await assert.rejects(
    withEnv(service.envFor('collect', run), () => downloadMatching('perf-cell-2', path.join(work, 'tampered'))),
    /^MadError: artifact 'perf-cell-2' failed its digest check after download$/,
  );
});

test('artifactNameMatcher: * and ? are wildcards, everything else is literal', () => {
  const matches = artifactNameMatcher('perf-*.v?');
  assert.ok(matches('perf-mi300.v2'));
  assert.ok(matches('perf-.v2'));
  assert.ok(!matches('perf-mi300.v10'));
  assert.ok(!matches('perf-mi300xv2'), 'a dot is a dot');
  assert.ok(!matches('xperf-a.v1'));
  assert.ok(artifactNameMatcher('a+b(c)')('a+b(c)'));
  assert.throws(() => artifactNameMatcher('  '), /artifact pattern is empty/);
});

/** Twirp calls straight to the fake, for the checks the client never trips by itself. */
async function twirp(
  method: string,
  body: object,
  token = service.env.ACTIONS_RUNTIME_TOKEN!,
): Promise<{ status: number; body: { code?: string; msg?: string } }> {
  const response = await fetch(`${service.url}/twirp/github.actions.results.api.v1.ArtifactService/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { code?: string; msg?: string } };
}

test('results service: finalize needs a create and an uploaded blob of the declared size; scopes and signatures hold', async () => {
  const { scp } = JSON.parse(Buffer.from(service.env.ACTIONS_RUNTIME_TOKEN!.split('.')[1]!, 'base64url').toString()) as { scp: string };
  const [, run, job] = /Actions\.Results:([^:\s]+):(\S+)/.exec(scp)!;
  const ids = { workflow_run_backend_id: run, workflow_job_run_backend_id: job };

  const early = await twirp('FinalizeArtifact', { ...ids, name: 'never-created', size: '1' });
  assert.equal(early.status, 404);
  assert.match(early.body.msg!, /call CreateArtifact first.*'never-created'/);

  const created = await twirp('CreateArtifact', { ...ids, name: 'raw', version: 7 });
  assert.equal(created.status, 200);
  const noBlob = await twirp('FinalizeArtifact', { ...ids, name: 'raw', size: '0' });
  assert.deepEqual([noBlob.status, noBlob.body.code], [412, 'failed_precondition']);

  const { signed_upload_url: uploadUrl } = created.body as { signed_upload_url: string };
  const forged = await fetch(uploadUrl.replace(/sig=[^&]+/, 'sig=forged'), { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'abc' });
  assert.equal(forged.status, 403);
  const put = await fetch(uploadUrl, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'abc' });
  assert.equal(put.status, 201);
  const wrongSize = await twirp('FinalizeArtifact', { ...ids, name: 'raw', size: '4' });
  assert.match(wrongSize.body.msg!, /declared size 4 does not match the 3 bytes uploaded/);

  const otherJob = await twirp('FinalizeArtifact', { ...ids, workflow_job_run_backend_id: 'someone-else', name: 'raw', size: '3' });
  assert.deepEqual([otherJob.status, otherJob.body.code], [403, 'permission_denied']);
  const otherRun = await twirp('ListArtifacts', { ...ids, workflow_run_backend_id: 'another-run' });
  assert.deepEqual([otherRun.status, otherRun.body.code], [403, 'permission_denied']);
  const badName = await twirp('CreateArtifact', { ...ids, name: 'a/b', version: 7 });
  assert.deepEqual([badName.status, badName.body.code], [400, 'invalid_argument']);
  const noToken = await twirp('ListArtifacts', ids, '');
  assert.equal(noToken.status, 401);

  assert.equal((await twirp('FinalizeArtifact', { ...ids, name: 'raw', size: '3' })).status, 200);
  assert.deepEqual(service.artifacts().find((a) => a.name === 'raw')?.size, 3);
});
