/** collectPerf: the files a report leaves, and the baseline rules (red-team findings, issue 10). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/core/errors.ts';
import { collectPerf } from '../../src/pipeline/report.ts';
import { memoryLogger } from '../helpers/logger.ts';

const HEADER = 'model,n_gpus,nnodes,gpu_architecture,deployment_type,performance,metric,status';
const base = `${HEADER}\ndummy,1,1,gfx942,local,1000,samples_per_second,SUCCESS\n`;
const head = `${HEADER}\ndummy,1,1,gfx942,local,880,samples_per_second,SUCCESS\ndummy2,1,1,gfx942,local,N/A,samples_per_second,SUCCESS\n`;

async function setup() {
  const dir = await mkdtemp(path.join(tmpdir(), 'madengine-collect-'));
  await writeFile(path.join(dir, 'head.csv'), head);
  return dir;
}

const options = (dir: string, baselineFile: string) => ({
  shards: [{ file: path.join(dir, 'head.csv') }],
  baseline: { file: baselineFile, description: 'test' },
  threshold: 5,
  confidence: 0.95,
  meta: { title: 't' },
  outputDir: path.join(dir, 'out'),
  logger: memoryLogger(),
});

test('a baseline that is the perf.csv of the output directory: baseline.csv keeps the baseline, not the head', async () => {
  const dir = await setup();
  await writeFile(path.join(dir, 'out.csv'), '');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(path.join(dir, 'out'), { recursive: true });
  await writeFile(path.join(dir, 'out/perf.csv'), base);
  const result = await collectPerf(options(dir, path.join(dir, 'out/perf.csv')));
  assert.equal(await readFile(result.files.baselineCsv!, 'utf8'), base);
  assert.equal(result.regressions, 1);
  assert.equal(result.rejected, 1, 'the N/A row is counted as rejected');
});

test('a baseline with no valid row is an error naming it, not "every key is new"', async () => {
  const dir = await setup();
  await writeFile(path.join(dir, 'empty.csv'), '');
  await writeFile(path.join(dir, 'nocols.csv'), 'a,b\n1,2\n');
  for (const name of ['empty.csv', 'nocols.csv']) {
    await assert.rejects(collectPerf(options(dir, path.join(dir, name))), (error: unknown) => error instanceof ConfigError && error.message.includes(name));
  }
});
