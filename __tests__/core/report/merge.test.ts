import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergePerfCsvText, mergeShards } from '../../../src/core/report/merge.ts';
import { KNOWN_COLUMNS, PERF_CSV_COLUMNS } from '../../../src/core/perf/perf-csv.ts';
import { parseCsvTable } from '../../../src/core/util/csv.ts';

const HEADER = 'model,performance,metric,status,run_id,machine_name';

function shard(name: string, ...lines: string[]): { name: string; text: string } {
  return { name, text: `${[HEADER, ...lines].join('\n')}\n` };
}

describe('mergeShards', () => {
  it('merges shards in byte order of their names, rows in file order, with perf.csv columns', () => {
    const result = mergeShards([
      shard('b/perf.csv', 'm3,3,x,SUCCESS,r1,n1'),
      shard('a/perf.csv', 'm1,1,x,SUCCESS,r1,n1', 'm2,2,x,success,r1,n1'),
      shard('B/perf.csv', 'm0,0.5,x,SUCCESS,r1,n1'),
    ]);
    assert.deepEqual(
      result.rows.map((row) => row.model),
      ['m0', 'm1', 'm2', 'm3'],
    );
    assert.deepEqual(result.shards, [
      { name: 'B/perf.csv', rows: 1 },
      { name: 'a/perf.csv', rows: 2 },
      { name: 'b/perf.csv', rows: 1 },
    ]);
    assert.deepEqual(result.columns.slice(0, PERF_CSV_COLUMNS.length), [...PERF_CSV_COLUMNS]);
    assert.deepEqual(result.columns, [...KNOWN_COLUMNS]);
    assert.equal(result.rows[2]!.status, 'success', 'values are kept as written');
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.duplicates, []);
  });

  it('orders names by bytes, not UTF-16 code units', () => {
    // UTF-16 puts U+1F600 (surrogate 0xD83D) before U+FF5E; UTF-8 bytes put U+FF5E (EF ..) before U+1F600 (F0 ..).
    const result = mergeShards([shard('\u{1F600}.csv', 'emoji,1,x,SUCCESS,r,n'), shard('\uFF5E.csv', 'tilde,1,x,SUCCESS,r,n')]);
    assert.deepEqual(
      result.shards.map((s) => s.name),
      ['\uFF5E.csv', '\u{1F600}.csv'],
    );
  });

  it('keeps extra columns after the known ones, in the order the shards bring them', () => {
    const result = mergeShards([
      { name: 'a', text: 'model,performance,metric,status,zeta\nm,1,x,SUCCESS,z1\n' },
      { name: 'b', text: 'alpha,model,performance,metric,status\na1,m2,2,x,SUCCESS\n' },
    ]);
    assert.deepEqual(result.columns.slice(KNOWN_COLUMNS.length), ['zeta', 'alpha']);
    const text = mergePerfCsvText(result);
    const table = parseCsvTable(text);
    assert.deepEqual(table.columns, result.columns);
    assert.deepEqual(
      table.rows.map((row) => [row.model, row.zeta, row.alpha]),
      [
        ['m', 'z1', ''],
        ['m2', '', 'a1'],
      ],
    );
  });

  it('reports bad rows with shard and line and merges the rest', () => {
    const result = mergeShards([
      shard(
        'cell.csv',
        'ok1,1,x,SUCCESS,r,n',
        ',1,x,SUCCESS,r,n', // line 3: empty model
        'm,1,x,PASSED,r,n', // line 4: unknown status
        'm,N/A,x,SUCCESS,r,n', // line 5: SUCCESS without a number
        'm,inf,x,SUCCESS,r,n', // line 6
        'm,1,x,SUCCESS,r,n,extra', // line 7: one field too many
        'failed,,,FAILURE,r,n', // line 8: fine, FAILURE needs no performance
        'skipped,,,Skipped,r,n', // line 9: fine
        'ok2,+1.5e3,x, SUCCESS ,r2,n', // line 10: fine
      ),
    ]);
    assert.deepEqual(
      result.rows.map((row) => row.model),
      ['ok1', 'failed', 'skipped', 'ok2'],
    );
    assert.deepEqual(
      result.problems.map((p) => [p.shard, p.line]),
      [
        ['cell.csv', 3],
        ['cell.csv', 4],
        ['cell.csv', 5],
        ['cell.csv', 6],
        ['cell.csv', 7],
      ],
    );
    assert.match(result.problems[0]!.message, /empty model/);
    assert.match(result.problems[1]!.message, /status 'PASSED' is not one of SUCCESS, FAILURE, SKIPPED/);
    assert.match(result.problems[2]!.message, /performance 'N\/A'/);
    assert.match(result.problems[4]!.message, /7 fields but the header has 6 columns/);
    // Nothing silent: every data row read is merged or reported.
    assert.equal(result.shards[0]!.rows, result.rows.length + result.problems.length);
  });

  it('keeps the rows before an unterminated quote and reports where the shard stopped', () => {
    const result = mergeShards([
      shard('cut.csv', 'm1,1,x,SUCCESS,r,n', 'm2,2,x,SUCCESS,r,n', 'm3,3,"x,SUCCESS,r,n', 'm4,4,x,SUCCESS,r,n'),
      shard('fine.csv', 'm5,5,x,SUCCESS,r,n'),
    ]);
    assert.deepEqual(
      result.rows.map((row) => row.model),
      ['m1', 'm2', 'm5'],
    );
    assert.equal(result.problems.length, 1);
    assert.equal(result.problems[0]!.shard, 'cut.csv');
    assert.equal(result.problems[0]!.line, 4);
    assert.match(result.problems[0]!.message, /unterminated quoted field at line 4.*rest of the shard/);
  });

  it('reports a shard that is not a perf.csv as one problem naming the missing columns', () => {
    const result = mergeShards([
      { name: 'wrong.csv', text: 'model,value\nm,1\nm2,2\n' },
      { name: 'empty.csv', text: '' },
      { name: 'dup.csv', text: 'model,performance,metric,status,model\nm,1,x,SUCCESS,m\n' },
    ]);
    assert.deepEqual(result.rows, []);
    assert.deepEqual(
      result.problems.map((p) => [p.shard, p.line]),
      [
        ['dup.csv', 1],
        ['empty.csv', undefined],
        ['wrong.csv', 1],
      ],
    );
    assert.match(result.problems[0]!.message, /duplicate column 'model'/);
    assert.match(result.problems[1]!.message, /no header/);
    assert.match(result.problems[2]!.message, /lacks 'performance', 'metric', 'status'.*found: model, value.*2 rows/);
  });

  it('accepts an unnamed header column while its cells are empty', () => {
    const result = mergeShards([{ name: 'trailing.csv', text: 'model,performance,metric,status,\nm1,1,x,SUCCESS,\nm2,1,x,SUCCESS,oops\n' }]);
    assert.deepEqual(
      result.rows.map((row) => row.model),
      ['m1'],
    );
    assert.equal(result.problems.length, 1);
    assert.equal(result.problems[0]!.line, 3);
    assert.match(result.problems[0]!.message, /'oops' in column 5, which has no name/);
    assert.ok(!result.columns.includes(''));
  });

  it('keeps the first of rows with the same run identity and notes the conflict', () => {
    const result = mergeShards([
      shard('b.csv', 'm,2,x,SUCCESS,run1,node1'), // same identity as a.csv line 2, other performance: conflict
      shard('a.csv', 'm,1,x,SUCCESS,run1,node1', 'm,1,x,SUCCESS,run1,node2', 'm,1,x,SUCCESS, run1 ,node1'),
    ]);
    assert.deepEqual(
      result.rows.map((row) => [row.performance, row.machine_name]),
      [
        ['1', 'node1'],
        ['1', 'node2'],
      ],
    );
    assert.equal(result.duplicates.length, 1);
    const note = result.duplicates[0]!;
    assert.deepEqual(note.kept, { shard: 'a.csv', line: 2 });
    assert.deepEqual(note.dropped, [
      { shard: 'a.csv', line: 4 },
      { shard: 'b.csv', line: 2 },
    ]);
    assert.equal(note.conflicting, true);
    assert.equal(note.identity, 'run_id=run1, model=m, metric=x, machine_name=node1');
  });

  it('tells repeat samples apart by the sample column', () => {
    const text = 'model,performance,metric,status,run_id,sample\nm,1,x,SUCCESS,r,1\nm,2,x,SUCCESS,r,2\nm,1,x,SUCCESS,r,1\n';
    const result = mergeShards([{ name: 's.csv', text }]);
    assert.equal(result.rows.length, 2);
    assert.equal(result.duplicates.length, 1);
    assert.equal(result.duplicates[0]!.conflicting, false);
  });

  it('without a run_id, only rows identical in every cell are duplicates', () => {
    const result = mergeShards([shard('a.csv', 'm,1,x,SUCCESS,,n'), shard('b.csv', 'm,1,x,SUCCESS,,n', 'm,1.0,x,SUCCESS,,n')]);
    assert.equal(result.rows.length, 2);
    assert.equal(result.duplicates.length, 1);
    assert.deepEqual(result.duplicates[0]!.dropped, [{ shard: 'b.csv', line: 2 }]);
    assert.equal(result.duplicates[0]!.conflicting, false);
    assert.match(result.duplicates[0]!.identity, /without run_id: model=m, metric=x/);
  });

  it('a row without a run_id never collides with one that has it', () => {
    const result = mergeShards([shard('a.csv', 'm,1,x,SUCCESS,,n', 'm,1,x,SUCCESS,r,n')]);
    assert.equal(result.rows.length, 2);
  });

  it('tells apart identities whose values only differ in where they split', () => {
    const text = 'model,performance,metric,status,run_id\nab,1,c,SUCCESS,r\na,1,bc,SUCCESS,r\n';
    assert.equal(mergeShards([{ name: 's', text }]).rows.length, 2);
  });
});

describe('mergePerfCsvText', () => {
  it('writes the header and rows with quoting where needed', () => {
    const result = mergeShards([{ name: 'a', text: 'model,performance,metric,status,args\nm,1,x,SUCCESS,"--a 1, --b ""2"""\n' }]);
    const text = mergePerfCsvText(result);
    assert.ok(text.startsWith(`${KNOWN_COLUMNS.join(',')}\n`));
    assert.ok(text.endsWith('\n'));
    assert.equal(parseCsvTable(text).rows[0]!.args, '--a 1, --b "2"');
  });
});
