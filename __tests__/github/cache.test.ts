/**
 * restoreByPrefix / saveEntry with the REAL @actions/cache@6 (cache service v2: tar + zstd, Twirp,
 * Azure blob upload and ranged download) against the CacheService of the results-service fake.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/core/errors.ts';
import { restoreByPrefix, saveEntry } from '../../src/github/cache.ts';
import { memoryLogger } from '../helpers/logger.ts';
import { startResultsService, type CacheScope, type ResultsService } from '../helpers/results-service.ts';
import { toolkitLog, withEnv } from '../helpers/toolkit-env.ts';

let service: ResultsService;
let work: string;
/** Absolute (relative ones resolve against the working directory); the path strings are part of the entry's version. */
let paths: string[];

/** A job's env: the service, its cache scopes, and a workspace and temp directory of its own. */
const jobEnv = (scopes?: readonly CacheScope[]) => ({
  ...service.envFor('job', 'run', scopes),
  GITHUB_WORKSPACE: work,
  RUNNER_TEMP: path.join(work, 'runner-temp'),
});
const MAIN: CacheScope[] = [{ Scope: 'refs/heads/main', Permission: 3 }];
// A pull request reads and writes its own ref, and reads its base branch.
const PULL_REQUEST: CacheScope[] = [
  { Scope: 'refs/pull/7/merge', Permission: 3 },
  { Scope: 'refs/heads/main', Permission: 1 },
];
const READ_ONLY: CacheScope[] = [{ Scope: 'refs/heads/main', Permission: 1 }];

async function writeHistory(text: string): Promise<void> {
  await rm(path.join(work, 'perf-history'), { recursive: true, force: true });
  await mkdir(path.join(work, 'perf-history'), { recursive: true });
  await writeFile(path.join(work, 'perf-history/perf.csv'), text);
}
const readHistory = () => readFile(path.join(work, 'perf-history/perf.csv'), 'utf8');

before(async () => {
  service = await startResultsService();
  work = await mkdtemp(path.join(tmpdir(), 'madengine-cache-'));
  paths = [path.join(work, 'perf-history')];
  await mkdir(path.join(work, 'runner-temp'));
});

after(async () => {
  await service.close();
  await rm(work, { recursive: true, force: true });
});

test('cache: saved entries restore by prefix, the newest first', async () => {
  const logger = memoryLogger();
  await writeHistory('run 1\n');
  assert.equal(await withEnv(jobEnv(MAIN), () => saveEntry(paths, 'perf-history-main-1001', logger)), true);
  await writeHistory('run 2\n');
  assert.equal(await withEnv(jobEnv(MAIN), () => saveEntry(paths, 'perf-history-main-1002', logger)), true);
  assert.deepEqual(logger.lines, ["info: Saved the cache entry 'perf-history-main-1001'", "info: Saved the cache entry 'perf-history-main-1002'"]);
  assert.deepEqual(
    service.cacheEntries().map((e) => [e.scope, e.key, e.finalized]),
    [
      ['refs/heads/main', 'perf-history-main-1001', true],
      ['refs/heads/main', 'perf-history-main-1002', true],
    ],
  );

  await rm(path.join(work, 'perf-history'), { recursive: true });
  assert.equal(await withEnv(jobEnv(MAIN), () => restoreByPrefix(paths, 'perf-history-main-')), 'perf-history-main-1002');
  assert.equal(await readHistory(), 'run 2\n');
  assert.match(toolkitLog(), /Cache restored successfully/);
});

test('cache: a miss is undefined; a different path set is a different version, so a miss too', async () => {
  assert.equal(await withEnv(jobEnv(MAIN), () => restoreByPrefix(paths, 'perf-history-release-')), undefined);
  assert.equal(await withEnv(jobEnv(MAIN), () => restoreByPrefix([path.join(work, 'elsewhere')], 'perf-history-main-')), undefined);
  assert.doesNotMatch(toolkitLog(), /::warning::/);
});

test('cache: saving an existing key is a message and false, never an error', async () => {
  const logger = memoryLogger();
  await writeHistory('run 2 again\n');
  assert.equal(await withEnv(jobEnv(MAIN), () => saveEntry(paths, 'perf-history-main-1002', logger)), false);
  assert.deepEqual(logger.lines, ["info: The cache entry 'perf-history-main-1002' already exists (entries are immutable); not saving it again"]);
  assert.equal(service.cacheEntries().length, 2);
});

test("cache: a pull request restores its base branch's entry and saves into its own scope", async () => {
  await rm(path.join(work, 'perf-history'), { recursive: true });
  assert.equal(await withEnv(jobEnv(PULL_REQUEST), () => restoreByPrefix(paths, 'perf-history-main-')), 'perf-history-main-1002');
  assert.equal(await readHistory(), 'run 2\n');

  await writeHistory('pull request\n');
  assert.equal(await withEnv(jobEnv(PULL_REQUEST), () => saveEntry(paths, 'perf-history-main-1003', memoryLogger())), true);
  assert.equal(service.cacheEntries().at(-1)?.scope, 'refs/pull/7/merge');
  // Main never sees what a pull request saved.
  assert.equal(await withEnv(jobEnv(MAIN), () => restoreByPrefix(paths, 'perf-history-main-')), 'perf-history-main-1002');
});

test('cache: a read-only token or no cache service is a warning and false, never a failure', async () => {
  const logger = memoryLogger();
  await writeHistory('fork\n');
  assert.equal(await withEnv(jobEnv(READ_ONLY), () => saveEntry(paths, 'perf-history-fork-1', logger)), false);
  assert.match(toolkitLog(), /cache write denied: token has no writable scopes/);
  assert.deepEqual(logger.lines, ["warn: The cache entry 'perf-history-fork-1' was not saved (the cache service's message is above)"]);

  const offline = { ...jobEnv(MAIN), ACTIONS_RESULTS_URL: '' };
  const quiet = memoryLogger();
  assert.equal(await withEnv(offline, () => saveEntry(paths, 'perf-history-main-2000', quiet)), false);
  assert.equal(await withEnv(offline, () => restoreByPrefix(paths, 'perf-history-main-', quiet)), undefined);
  assert.equal(quiet.lines.length, 2);
  assert.ok(quiet.lines.every((line) => line.startsWith('warn: ') && line.includes('the Actions cache service is not available to this step')));
  assert.ok(!service.cacheEntries().some((e) => e.key.includes('fork') || e.key.endsWith('2000')));
});

test('cache: a key the cache refuses is a ConfigError naming it', async () => {
  await assert.rejects(
    withEnv(jobEnv(MAIN), () => saveEntry(paths, 'perf,history', memoryLogger())),
    (error: unknown) => error instanceof ConfigError && /^cache entry 'perf,history': Key Validation Error: .*cannot contain commas/.test(error.message),
  );
  await assert.rejects(
    withEnv(jobEnv(MAIN), () => restoreByPrefix(paths, 'x'.repeat(513))),
    ConfigError,
  );
});
