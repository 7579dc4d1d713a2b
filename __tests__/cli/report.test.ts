/** `madengine report compare | merge | to-html | to-email` from source: tables, exit codes, files written. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliFromSource } from '../helpers/node.ts';

const HEADER = 'model,n_gpus,nnodes,gpu_architecture,deployment_type,performance,metric,status';
const madengine = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [...cliFromSource, ...args], { encoding: 'utf8', cwd });

async function files(entries: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'madengine-report-cli-'));
  for (const [name, text] of Object.entries(entries)) await writeFile(path.join(dir, name), text);
  return dir;
}

test('report compare: one row per key naming its class; exit 0, or 1 with --fail-on-regression; --output fills relative_change', async () => {
  const dir = await files({
    'base.csv': `${HEADER}\nfast,1,1,gfx942,local,1000,samples_per_second,SUCCESS\nlat,1,1,gfx942,local,10,latency_ms,SUCCESS\ngone,1,1,gfx942,local,5,samples_per_second,SUCCESS\n`,
    'head.csv': `${HEADER}\nfast,1,1,gfx942,local,900,samples_per_second,SUCCESS\nlat,1,1,gfx942,local,9,latency_ms,SUCCESS\nfresh,1,1,gfx942,local,7,samples_per_second,SUCCESS\n`,
  });
  const plain = madengine(dir, 'report', 'compare', '--base', 'base.csv', '--head', 'head.csv', '--output', 'out.csv');
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /^REGRESSED\s+fast\s+samples_per_second/m);
  assert.match(plain.stdout, /^IMPROVED\s+lat\s+latency_ms/m);
  assert.match(plain.stdout, /^MISSING\s+gone/m);
  assert.match(plain.stdout, /^NEW\s+fresh/m);
  assert.match(plain.stdout, /1 regressed, 0 failed, 1 missing, 1 new, 1 improved, 0 unchanged/);
  assert.match(await readFile(path.join(dir, 'out.csv'), 'utf8'), /fast,.*,-10\.00,/);
  assert.equal(madengine(dir, 'report', 'compare', '--base', 'base.csv', '--head', 'head.csv', '--fail-on-regression').status, 1);
  const json = madengine(dir, 'report', 'compare', '--base', 'base.csv', '--head', 'head.csv', '--json');
  assert.equal((JSON.parse(json.stdout) as { counts: { regressed: number } }).counts.regressed, 1);
});

test('report compare: a rejected head row fails --fail-on-regression; a baseline without valid rows is an error (red-team findings)', async () => {
  const dir = await files({
    'base.csv': `${HEADER}\nfast,1,1,gfx942,local,1000,samples_per_second,SUCCESS\n`,
    'head.csv': `${HEADER}\nfast,1,1,gfx942,local,N/A,samples_per_second,SUCCESS\n`,
    'empty.csv': '',
  });
  const rejected = madengine(dir, 'report', 'compare', '--base', 'base.csv', '--head', 'head.csv', '--fail-on-regression');
  assert.equal(rejected.status, 1);
  assert.match(rejected.stderr, /head\.csv:2: .*row not merged/);
  const broken = madengine(dir, 'report', 'compare', '--base', 'empty.csv', '--head', 'base.csv');
  assert.equal(broken.status, 4);
  assert.match(broken.stderr, /baseline .*empty\.csv has no valid perf\.csv row/);
  assert.equal(madengine(dir, 'report', 'compare', '--base', 'base.csv', '--head', 'base.csv', '--threshold', 'five').status, 4);
});

test('report merge / to-html / to-email: files written, rejected rows make exit 1', async () => {
  const dir = await files({
    'a.csv': `${HEADER}\nm1,1,1,gfx942,local,1,samples_per_second,SUCCESS\n`,
    'b.csv': `${HEADER}\nm1,1,1,gfx942,local,1,samples_per_second,SUCCESS\nm2,1,1,gfx942,local,2,samples_per_second,MAYBE\n`,
  });
  const merge = madengine(dir, 'report', 'merge', '-o', 'merged.csv', 'a.csv', 'b.csv');
  assert.equal(merge.status, 1, 'a rejected row');
  assert.match(merge.stdout, /1 row\(s\) from 2 shard\(s\) -> merged\.csv; 1 duplicate\(s\) dropped, 1 row\(s\) rejected/);
  assert.match(merge.stderr, /b\.csv:3: /);
  const html = madengine(dir, 'report', 'to-html', '--csv-file-path', 'a.csv');
  assert.equal(html.status, 0, html.stderr);
  assert.match(await readFile(path.join(dir, 'a.html'), 'utf8'), /<svg/);
  assert.equal(madengine(dir, 'report', 'to-html', '--csv-file-path', 'missing.csv').status, 4);
  const email = madengine(dir, 'report', 'to-email', '--dir', '.', '-o', 'digest.html');
  assert.equal(email.status, 0, email.stderr);
  const digest = await readFile(path.join(dir, 'digest.html'), 'utf8');
  assert.deepEqual(
    [...digest.matchAll(/<h2[^>]*>([^<]*)<\/h2>/g)].map((m) => m[1]),
    ['a', 'b', 'merged'],
    'one section per CSV of the folder (merge wrote merged.csv), sorted, headed by its stem',
  );
});
