/** preparePerfCsv: a perf.csv that cannot take rows fails before the first model, naming the file and the place. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ConfigError } from '../../../src/core/errors.ts';
import { LockBusyError } from '../../../src/core/util/file-lock.ts';
import { PERF_CSV_COLUMNS, appendPerfRows, preparePerfCsv } from '../../../src/core/perf/perf-csv.ts';
import { FULL_CHECK_BYTES, headerEnd } from '../../../src/core/perf/perf-csv-file.ts';
import { readPerfCsv } from '../../helpers/csv.ts';

/** A body of complete rows bigger than FULL_CHECK_BYTES, so only the header and the tail are checked. */
function bigBody(columns: number): string {
  const row = Array.from({ length: columns }, (_, i) => `v${i}`).join(',') + '\n';
  return row.repeat(Math.ceil((2 * FULL_CHECK_BYTES) / row.length));
}

function rejectsWith(promise: Promise<unknown>, check: (error: ConfigError) => void): Promise<void> {
  return assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}`);
    check(error);
    return true;
  });
}

describe('preparePerfCsv', () => {
  let dir: string;
  let n = 0;
  const file = (): string => join(dir, `perf${++n}.csv`);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perf-csv-preflight-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts a missing file without creating it, and a good one without changing it', async () => {
    const missing = join(dir, 'sub', 'perf.csv');
    await preparePerfCsv(missing);
    await assert.rejects(stat(missing));
    assert.deepEqual(await readdir(dirname(missing)), []); // no lock file left either
    const path = file();
    await appendPerfRows(path, [{ model: 'a' }]);
    const text = await readFile(path, 'utf8');
    await preparePerfCsv(path);
    assert.equal(await readFile(path, 'utf8'), text);
  });

  it('rejects a small malformed file with its line, leaving it unchanged', async () => {
    const path = file();
    const bad = 'model,performance\nok,1\n"unterminated,1\n';
    await writeFile(path, bad);
    await rejectsWith(preparePerfCsv(path), (error) => {
      assert.equal(error.file, path);
      assert.equal(error.line, 3);
      assert.match(error.message, new RegExp(`perf CSV ${path} is malformed \\(unterminated quoted field at line 3, column 1\\); it was left unchanged`));
    });
    assert.equal(await readFile(path, 'utf8'), bad);
  });

  it('rejects a large file whose header has a duplicate column, or never ends', async () => {
    const duplicate = file();
    await writeFile(duplicate, `model,status,model\n${bigBody(3)}`);
    await rejectsWith(preparePerfCsv(duplicate), (error) => {
      assert.equal(error.line, 1);
      assert.equal(error.column, 3);
      assert.match(error.message, /duplicate column 'model' in the header/);
    });
    const unterminated = file();
    await writeFile(unterminated, `model,"status\n${bigBody(2)}`);
    await rejectsWith(preparePerfCsv(unterminated), (error) => {
      assert.equal(error.file, unterminated);
      assert.match(error.message, /has no header line within its first 1048576 bytes \(an unterminated quote\?\)/);
    });
  });

  it('parses a large file that the first append will migrate, finding a bad row before any model runs', async () => {
    const path = file();
    const body = bigBody(PERF_CSV_COLUMNS.length);
    const bad = `${PERF_CSV_COLUMNS.join(',')}\n${body}${Array(30).fill('x').join(',')}\n${body}`;
    await writeFile(path, bad);
    const badLine = 2 + body.split('\n').length - 1;
    await rejectsWith(preparePerfCsv(path), (error) => {
      assert.equal(error.line, badLine);
      assert.match(error.message, /row has 30 fields but the header has 29 columns/);
    });
    assert.equal(await readFile(path, 'utf8'), bad);
  });

  it('rejects a directory and a read-only file', async () => {
    const directory = file();
    await mkdir(directory);
    await rejectsWith(preparePerfCsv(directory), (error) => assert.match(error.message, /is not a regular file/));
    if (process.getuid?.() === 0) return; // root may write anything
    const readOnly = file();
    await appendPerfRows(readOnly, [{ model: 'a' }]);
    await chmod(readOnly, 0o444);
    await rejectsWith(preparePerfCsv(readOnly), (error) => assert.match(error.message, new RegExp(`perf CSV ${readOnly} cannot be used: .*EACCES`)));
  });

  it("repairs a dead writer's torn tail before the run starts", async () => {
    const path = file();
    await appendPerfRows(path, [{ model: 'm1' }]);
    const info = await stat(path);
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('close', resolve));
    const holder = { pid: child.pid, host: hostname(), started: '', token: 'feedfacefeedface', data: { offset: info.size, dev: info.dev, ino: info.ino } };
    await writeFile(join(dir, `.${basename(path)}.lock`), JSON.stringify(holder));
    await writeFile(path, 'm2,"torn', { flag: 'a' });
    await preparePerfCsv(path);
    assert.deepEqual(
      (await readPerfCsv(path)).rows.map((row) => row.model),
      ['m1'],
    );
  });

  it('finds where a header ends with the CSV rules (quotes, BOM, blank lines, CRLF)', () => {
    const end = (text: string): number => headerEnd(Buffer.from(text));
    assert.equal(end('a,b\nc'), 4);
    assert.equal(end('a,b\r\nc'), 5);
    assert.equal(end('\uFEFF\n\na,"b\n""c"""\nx'), 3 + 2 + 12);
    assert.equal(end('a,b"c\nx'), 6); // a quote inside an unquoted field is literal
    assert.equal(end('a,"b\nc'), -1); // not complete yet
    assert.equal(end('a,b\r'), -1); // CRLF may be split by the read
  });
});

describe('perf.csv paths that are not perf.csv files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perf-csv-foreign-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a file that is not a perf.csv (no model column) is refused and left unchanged, by the preflight and by an append', async () => {
    const notes = join(dir, 'notes.txt');
    await writeFile(notes, 'hello world, this is my notes file\n');
    const check = (error: ConfigError): void => {
      assert.equal(error.file, notes);
      assert.match(error.message, /is not a perf\.csv: its first line \("hello world", "this is my notes file"\) has no 'model' column/);
    };
    await rejectsWith(preparePerfCsv(notes), check);
    await rejectsWith(appendPerfRows(notes, [{ model: 'm', status: 'SUCCESS' }]), check);
    assert.equal(await readFile(notes, 'utf8'), 'hello world, this is my notes file\n');
  });

  it('a symlinked perf.csv is written where it points: a migration keeps the link', async () => {
    const real = join(dir, 'real.csv');
    const link = join(dir, 'link.csv');
    await writeFile(real, 'model,status\nold,SUCCESS\n');
    await symlink(real, link);
    await appendPerfRows(link, [{ model: 'new', status: 'SUCCESS', performance: '1' }]); // new columns: a rewrite
    assert.ok((await lstat(link)).isSymbolicLink(), 'the link is still a link');
    const { rows } = await readPerfCsv(real);
    assert.deepEqual(
      rows.map((row) => row.model),
      ['old', 'new'],
    );
  });
});

describe('perf.csv held by a process on another host', () => {
  it('the preflight says whom it waits for, then fails as a busy run (exit 3) naming the holder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'perf-csv-held-'));
    try {
      const file = join(dir, 'perf.csv');
      await writeFile(join(dir, '.perf.csv.lock'), JSON.stringify({ pid: 4242, host: `not-${hostname()}`, started: '2026-01-01T00:00:00Z', token: 't' }));
      const heard: string[] = [];
      await assert.rejects(preparePerfCsv(file, { waitMs: 50, onWait: (message) => heard.push(message) }), (error: unknown) => {
        assert.ok(error instanceof LockBusyError);
        assert.equal(error.exitCode, 3);
        assert.match(error.message, /perf CSV .*perf\.csv is locked by process 4242 on not-/);
        return true;
      });
      assert.equal(heard.length, 1);
      assert.match(heard[0]!, /^waiting up to 0 s for perf CSV .*: process 4242 on not-.* holds .*\.perf\.csv\.lock since 2026-01-01T00:00:00Z$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
