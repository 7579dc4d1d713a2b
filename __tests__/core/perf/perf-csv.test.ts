import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../../src/core/errors.ts';
import { KNOWN_COLUMNS, OUR_COLUMNS, PERF_CSV_COLUMNS, appendPerfRows, perfCsvColumns } from '../../../src/core/perf/perf-csv.ts';
import { parseCsv, readPerfCsv } from '../../helpers/csv.ts';

const MADENGINE_HEADER =
  'model,n_gpus,nnodes,gpus_per_node,training_precision,pipeline,args,tags,docker_file,base_docker,docker_sha,docker_image,git_commit,machine_name,deployment_type,launcher,gpu_architecture,performance,metric,relative_change,status,build_duration,test_duration,dataname,data_provider_type,data_size,data_download_duration,build_number,additional_docker_run_options';

describe('perf.csv', () => {
  let dir: string;
  let n = 0;
  const file = (): string => join(dir, `perf${++n}.csv`);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perf-csv-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("has madengine's 29 columns first, in order, then ours", () => {
    assert.equal(PERF_CSV_COLUMNS.join(','), MADENGINE_HEADER);
    assert.equal(PERF_CSV_COLUMNS.length, 29);
    assert.deepEqual(KNOWN_COLUMNS, [...PERF_CSV_COLUMNS, ...OUR_COLUMNS]);
    assert.deepEqual(OUR_COLUMNS, ['executor', 'image_digest', 'run_id', 'sample', 'started_at', 'reason', 'job_id']);
  });

  it('creates the file with the header, then appends keeping values exactly', async () => {
    const path = file();
    await appendPerfRows(path, [{ model: 'dummy', performance: '123', status: 'SUCCESS', reason: '' }]);
    await appendPerfRows(path, [{ model: 'dummy2', performance: '1.23E+4', args: '--x "a, b"', status: 'FAILURE', reason: 'timed out' }]);
    const text = await readFile(path, 'utf8');
    assert.ok(text.startsWith(`${MADENGINE_HEADER},executor,image_digest,run_id,sample,started_at,reason,job_id\n`));
    const { columns, rows } = await readPerfCsv(path);
    assert.deepEqual(columns, [...KNOWN_COLUMNS]);
    assert.equal(rows.length, 2);
    assert.equal(rows[0]!.performance, '123'); // never "123.0"
    assert.equal(rows[1]!.performance, '1.23E+4');
    assert.equal(rows[1]!.args, '--x "a, b"');
    assert.equal(rows[1]!.reason, 'timed out');
    assert.equal(rows[0]!.n_gpus, '');
  });

  it('appends to an up-to-date file without rewriting its existing bytes', async () => {
    const path = file();
    await appendPerfRows(path, [{ model: 'a' }]);
    // Odd but valid formatting that a rewrite would normalise.
    const original = (await readFile(path, 'utf8')).replace('\na,', '\n"a",');
    await writeFile(path, original.trimEnd()); // and no final newline
    await appendPerfRows(path, [{ model: 'b' }]);
    const text = await readFile(path, 'utf8');
    assert.ok(text.startsWith(original.trimEnd() + '\n'));
    assert.deepEqual(
      (await readPerfCsv(path)).rows.map((row) => row.model),
      ['a', 'b'],
    );
  });

  it('migrates a madengine file (29 columns) keeping every row and value', async () => {
    const path = file();
    const old = [
      MADENGINE_HEADER,
      'dummy,1,1,1,,,,dummies,docker/dummy.ubuntu.amd.Dockerfile,rocm/pytorch,sha256:abc,ci-dummy_dummy.ubuntu.amd,,host1,local,docker,gfx942,4567.0,samples_per_second,,SUCCESS,12.5,3.25,,,,,0,',
      'dummy_multi_1,1,1,1,,,,"dummies,multi",docker/dummy.ubuntu.amd.Dockerfile,,,,,host1,local,docker,gfx942,,samples_per_sec,,FAILURE,1.0,2.0,,,,,0,',
    ].join('\n');
    await writeFile(path, `${old}\n`);
    await appendPerfRows(path, [{ model: 'new', performance: '7', executor: 'docker', run_id: '42' }]);
    const { columns, rows } = await readPerfCsv(path);
    assert.deepEqual(columns, [...KNOWN_COLUMNS]);
    assert.equal(rows.length, 3);
    assert.equal(rows[0]!.performance, '4567.0');
    assert.equal(rows[0]!.test_duration, '3.25');
    assert.equal(rows[0]!.executor, '');
    assert.equal(rows[1]!.tags, 'dummies,multi');
    assert.equal(rows[1]!.status, 'FAILURE');
    assert.equal(rows[2]!.executor, 'docker');
  });

  it('migrates a file of ours from before the sample column once, keeping its rows (sample "" for them)', async () => {
    const path = file();
    const oldOurs = 'executor,image_digest,run_id,started_at,reason';
    const oldRow = `dummy${',x'.repeat(16)},123,samples_per_second,,SUCCESS${','.repeat(8)},docker,sha256:d,run-1,2024-01-01T00:00:00.000Z,`;
    await writeFile(path, `${MADENGINE_HEADER},${oldOurs}\n${oldRow}\n`);
    assert.deepEqual((await readPerfCsv(path)).rows[0]!.performance, '123');
    await appendPerfRows(path, [{ model: 'dummy', performance: '125', status: 'SUCCESS', run_id: 'run-2', sample: '1' }]);
    const { columns, rows } = await readPerfCsv(path);
    assert.deepEqual(columns, [...KNOWN_COLUMNS]);
    assert.deepEqual(
      rows.map((row) => [row.model, row.performance, row.run_id, row.sample, row.started_at]),
      [
        ['dummy', '123', 'run-1', '', '2024-01-01T00:00:00.000Z'],
        ['dummy', '125', 'run-2', '1', ''],
      ],
    );
    // Migrated once: the next append keeps the bytes and only adds its line.
    const before = await readFile(path, 'utf8');
    await appendPerfRows(path, [{ model: 'dummy', sample: '2' }]);
    assert.ok((await readFile(path, 'utf8')).startsWith(before));
  });

  it('keeps unknown existing columns and adds new extra columns after them', async () => {
    const path = file();
    await writeFile(path, 'model, temperature ,performance,status\nold,70,1,SUCCESS\n');
    await appendPerfRows(path, [{ model: 'x_1', performance: '2', benchmark: 'prefill', temperature: '71' }]);
    const { columns, rows } = await readPerfCsv(path);
    assert.deepEqual(columns, [...KNOWN_COLUMNS, 'temperature', 'benchmark']);
    assert.deepEqual(
      rows.map((row) => [row.model, row.temperature, row.benchmark]),
      [
        ['old', '70', ''],
        ['x_1', '71', 'prefill'],
      ],
    );
    assert.deepEqual(perfCsvColumns(['model', 'zeta'], [{ alpha: '' }]).slice(-2), ['zeta', 'alpha']);
  });

  it('keeps CRLF files in CRLF', async () => {
    const path = file();
    await appendPerfRows(path, [{ model: 'a' }]);
    await writeFile(path, (await readFile(path, 'utf8')).replace(/\n/g, '\r\n'));
    await appendPerfRows(path, [{ model: 'b' }]);
    const text = await readFile(path, 'utf8');
    assert.equal(text.split('\r\n').length - 1, 3);
    assert.ok(!/[^\r]\n/.test(text));
  });

  it('refuses to touch a malformed file, naming it and the line', async () => {
    const path = file();
    const bad = 'model,performance\n"unterminated,1\n';
    await writeFile(path, bad);
    await assert.rejects(appendPerfRows(path, [{ model: 'a' }]), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.file, path);
      assert.equal(error.line, 2);
      assert.match(error.message, /malformed .* left unchanged/);
      return true;
    });
    assert.equal(await readFile(path, 'utf8'), bad);
  });

  it('serialises concurrent writers in the process', async () => {
    const path = file();
    await Promise.all(Array.from({ length: 40 }, (_, i) => appendPerfRows(path, [{ model: `m${i}`, [`extra${i % 3}`]: 'v' }])));
    const { rows, columns } = await readPerfCsv(path);
    assert.equal(rows.length, 40);
    assert.deepEqual(new Set(rows.map((row) => row.model)).size, 40);
    assert.deepEqual(columns.slice(-3).sort(), ['extra0', 'extra1', 'extra2']);
  });

  it('ignores leftover temp files from a crashed writer', async () => {
    const path = file();
    await appendPerfRows(path, [{ model: 'kept' }]);
    const base = basename(path);
    await writeFile(join(dir, `.${base}.99999.deadbeef.tmp`), 'model,perf\n"half a row');
    await appendPerfRows(path, [{ model: 'next' }]);
    assert.deepEqual(
      (await readPerfCsv(path)).rows.map((row) => row.model),
      ['kept', 'next'],
    );
  });

  it('survives SIGKILL mid-append: the file is always complete and keeps every finished row', async () => {
    const path = file();
    const module = pathToFileURL(join(import.meta.dirname, '../../../src/core/perf/perf-csv.ts')).href;
    const script = `
      const { appendPerfRows } = await import(${JSON.stringify(module)});
      for (let i = 0; ; i++) {
        await appendPerfRows(${JSON.stringify(path)}, [{ model: 'm' + i, args: 'x'.repeat(2000), ['col' + (i % 50)]: String(i) }]);
        process.stdout.write(i + '\\n');
      }`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let reported = -1;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (data: Buffer) => {
        const lines = data.toString().trim().split('\n');
        reported = Number(lines[lines.length - 1]);
        if (reported >= 60) child.kill('SIGKILL');
      });
      child.on('close', () => resolve());
    });
    assert.ok(reported >= 60, `child reported ${reported}`);
    const text = await readFile(path, 'utf8');
    const records = parseCsv(text); // throws if the file were torn
    const header = records[0]!;
    const models = records.slice(1).map((record) => {
      assert.equal(record.length, header.length);
      return record[0];
    });
    // Every row reported as written is there, in order, with nothing torn.
    assert.ok(models.length >= reported + 1);
    models.forEach((model, i) => assert.equal(model, `m${i}`));
  });
});
