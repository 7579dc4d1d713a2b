/** perf.csv between processes and across kill -9: the lock, torn-row repair, stale temp files, no rewrites. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { open, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KNOWN_COLUMNS, appendPerfRows, preparePerfCsv } from '../../../src/core/perf/perf-csv.ts';
import { FULL_CHECK_BYTES } from '../../../src/core/perf/perf-csv-file.ts';
import { parseCsv, readPerfCsv } from '../../helpers/csv.ts';

const perfModule = pathToFileURL(join(import.meta.dirname, '../../../src/core/perf/perf-csv.ts')).href;

/** Starts a child that imports perf-csv.ts and runs `body` (an async script); its stdout lines go to onLine. */
function startChild(body: string, onLine: (line: string) => void = () => {}): { kill: () => void; done: Promise<number | null> } {
  const script = `const { appendPerfRows } = await import(${JSON.stringify(perfModule)});\n${body}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let pending = '';
  child.stdout.on('data', (data: Buffer) => {
    pending += data.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    lines.forEach(onLine);
  });
  const done = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  return { kill: () => child.kill('SIGKILL'), done };
}

/** The pid of a process that has exited (pids are not reused this quickly). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('close', resolve));
  return child.pid!;
}

/** What a writer killed while holding the perf.csv lock leaves: its lock file, with its append mark. */
async function leaveDeadHolderLock(file: string, data: Record<string, unknown>): Promise<string> {
  const lockPath = join(dirname(file), `.${basename(file)}.lock`);
  const record = { pid: await deadPid(), host: hostname(), started: new Date().toISOString(), token: 'deadbeefdeadbeef', data };
  await writeFile(lockPath, JSON.stringify(record));
  return lockPath;
}

async function markOf(file: string): Promise<{ offset: number; dev: number; ino: number }> {
  const info = await stat(file);
  return { offset: info.size, dev: info.dev, ino: info.ino };
}

/** Every record has the header's field count, and no temp or lock file is left next to the file. */
async function assertCompleteAndClean(file: string): Promise<string[][]> {
  const records = parseCsv(await readFile(file, 'utf8'));
  const header = records[0]!;
  for (const record of records.slice(1)) assert.equal(record.length, header.length, `torn row: ${JSON.stringify(record).slice(0, 200)}`);
  const leftovers = (await readdir(dirname(file))).filter((name) => name.startsWith(`.${basename(file)}.`));
  assert.deepEqual(leftovers, []);
  return records;
}

describe('perf.csv between processes', () => {
  let dir: string;
  let n = 0;
  const file = (): string => join(dir, `perf${++n}.csv`);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perf-csv-durability-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('two processes appending at once keep every row (the lock)', async () => {
    const path = file();
    const rowsEach = 60;
    const body = (who: string): string => `
      for (let i = 0; i < ${rowsEach}; i++) await appendPerfRows(${JSON.stringify(path)}, [{ model: '${who}' + i, args: 'y'.repeat(500) }]);`;
    const codes = await Promise.all([startChild(body('a')).done, startChild(body('b')).done]);
    assert.deepEqual(codes, [0, 0]);
    const { rows } = await readPerfCsv(path);
    assert.equal(rows.length, 2 * rowsEach);
    for (const who of ['a', 'b']) {
      assert.deepEqual(
        rows.filter((row) => row.model!.startsWith(who)).map((row) => row.model),
        Array.from({ length: rowsEach }, (_, i) => `${who}${i}`),
      );
    }
    await assertCompleteAndClean(path);
  });

  it('survives kill -9 at random points, repeatedly: every reported row stays, nothing torn, no temp files', async () => {
    const path = file();
    let next = 0;
    for (let round = 0; round < 6; round++) {
      const stopAfter = 1 + Math.floor(Math.random() * 12);
      let reported = 0;
      // Big rows make the write long enough to be hit; a new column every 7th row forces migrations (temp files).
      const child = startChild(
        `for (let i = ${next}; ; i++) {
           await appendPerfRows(${JSON.stringify(path)}, [{ model: 'm' + i, args: 'x'.repeat(200000 + (i % 5) * 50000), ['c' + Math.floor(i / 7)]: String(i) }]);
           process.stdout.write(i + '\\n');
         }`,
        (line) => {
          next = Number(line) + 1;
          if (++reported === stopAfter) child.kill(); // kill -9 somewhere inside the next append
        },
      );
      assert.equal(await child.done, null);
      await preparePerfCsv(path); // the next run repairs what the killed one left
      const records = await assertCompleteAndClean(path);
      const models = records.slice(1).map((record) => record[0]!);
      // Every row reported as written is there, in order; at most the killed append's own row follows.
      assert.deepEqual(
        models.slice(0, next),
        Array.from({ length: next }, (_, i) => `m${i}`),
      );
      assert.ok(models.length - next <= 1, `unexpected rows after m${next - 1}: ${models.slice(next).join(',')}`);
      next = models.length;
    }
  });

  it("cuts off a dead writer's torn rows, keeping every complete row before them", async () => {
    const path = file();
    await appendPerfRows(path, [{ model: 'm1' }, { model: 'm2' }]);
    const lockPath = await leaveDeadHolderLock(path, await markOf(path));
    const handle = await open(path, 'a');
    await handle.write('m3,"half a row'); // the dead writer's partial append
    await handle.close();
    await appendPerfRows(path, [{ model: 'm4' }]);
    assert.deepEqual(
      (await readPerfCsv(path)).rows.map((row) => row.model),
      ['m1', 'm2', 'm4'],
    );
    await assert.rejects(stat(lockPath));
  });

  it('never cuts a file that replaced the one the dead writer appended to', async () => {
    const path = file();
    await appendPerfRows(path, [{ model: 'm1' }]);
    const mark = await markOf(path);
    await leaveDeadHolderLock(path, { ...mark, ino: mark.ino + 1 });
    const edited = (await readFile(path, 'utf8')) + 'by hand';
    await writeFile(path, edited); // no final newline: gets a separator, as before
    await appendPerfRows(path, [{ model: 'm2' }]);
    const text = await readFile(path, 'utf8');
    assert.ok(text.startsWith(`${edited}\n`));
    assert.deepEqual(
      (await readPerfCsv(path)).rows.map((row) => row.model),
      ['m1', 'by hand', 'm2'],
    );
  });

  it('removes temp files of dead writers, and only those', async () => {
    const path = file();
    await appendPerfRows(path, [{ model: 'kept' }]);
    const base = basename(path);
    const dead = join(dir, `.${base}.${await deadPid()}.0123456789ab.tmp`);
    const live = join(dir, `.${base}.${process.pid}.0123456789ab.tmp`);
    const notOurs = join(dir, `.${base}.notes.tmp`);
    for (const temp of [dead, live, notOurs]) await writeFile(temp, 'model\n"half');
    await appendPerfRows(path, [{ model: 'next' }]);
    await assert.rejects(stat(dead));
    await stat(live);
    await stat(notOurs);
    await rm(live);
    await rm(notOurs);
  });

  it('appends to a large file without rewriting it (same inode, same bytes)', async () => {
    const path = file();
    await appendPerfRows(path, [{ model: 'first' }]);
    const row = (await readFile(path, 'utf8')).split('\n')[1]!;
    await writeFile(path, (await readFile(path, 'utf8')) + `${row}\n`.repeat(Math.ceil((2 * FULL_CHECK_BYTES) / row.length)));
    const before = await stat(path);
    const head = await readFile(path);
    await appendPerfRows(path, [{ model: 'last' }]);
    const after = await stat(path);
    assert.equal(after.ino, before.ino);
    const text = await readFile(path);
    assert.ok(text.subarray(0, head.length).equals(head));
    assert.match(text.subarray(head.length).toString(), /^last,/);
  });

  it('never reads the body on append: a 3 GiB perf.csv (sparse) takes a row', async () => {
    const path = file();
    await appendPerfRows(path, [{ model: 'first' }]);
    await truncate(path, 3 * 1024 ** 3); // a file readFile() could not even hold
    await appendPerfRows(path, [{ model: 'last', status: 'SUCCESS' }]);
    const info = await stat(path);
    const handle = await open(path, 'r');
    const tail = Buffer.alloc(200);
    await handle.read(tail, 0, 200, info.size - 200);
    await handle.close();
    const lastLine = tail.toString().split('\n').at(-2)!;
    assert.equal(parseCsv(lastLine)[0]!.length, KNOWN_COLUMNS.length);
    assert.match(lastLine, /^last,.*SUCCESS/);
    await rm(path);
  });
});
