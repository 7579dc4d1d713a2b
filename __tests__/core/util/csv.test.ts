import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CsvSyntaxError, formatCsvField, formatCsvRow, parseCsvRecordsPartial, parseCsvTable } from '../../../src/core/util/csv.ts';
import { formatCsv, parseCsv } from '../../helpers/csv.ts';

describe('parseCsv', () => {
  it('parses plain, quoted and escaped fields', () => {
    assert.deepEqual(parseCsv('a,b,c\n1,"x, y","say ""hi"""\n'), [
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
    ]);
  });

  it('handles CRLF, CR, a missing final newline and a BOM', () => {
    assert.deepEqual(parseCsv('\uFEFFa,b\r\n1,2\r\n'), [
      ['a', 'b'],
      ['1', '2'],
    ]);
    assert.deepEqual(parseCsv('a,b\r1,2'), [
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('keeps embedded newlines and counts lines through them', () => {
    const records = parseCsv('a,b\n"line1\r\nline2",z\n3,4\n');
    assert.deepEqual(records, [
      ['a', 'b'],
      ['line1\r\nline2', 'z'],
      ['3', '4'],
    ]);
    assert.throws(
      () => parseCsv('a\n"x\ny",1\n"open'),
      (error: unknown) => error instanceof CsvSyntaxError && error.line === 4,
    );
  });

  it('keeps empty fields, skips blank lines', () => {
    assert.deepEqual(parseCsv('a,,c\n\n,\n'), [
      ['a', '', 'c'],
      ['', ''],
    ]);
    assert.deepEqual(parseCsv('a,'), [['a', '']]);
    assert.deepEqual(parseCsv(''), []);
  });

  it('is lenient like Python csv with stray quotes', () => {
    assert.deepEqual(parseCsv('a"b,"c"d\n'), [['a"b', 'cd']]);
  });

  it('reports an unterminated quote with its position', () => {
    assert.throws(() => parseCsv('a,b\n1,"oops\n'), /unterminated quoted field at line 2, column 3/);
  });
});

describe('parseCsvTable', () => {
  it('trims header names, pads short rows, rejects long rows and duplicate columns', () => {
    const table = parseCsvTable(' model , performance\nm1\nm2,5\n');
    assert.deepEqual(table.columns, ['model', 'performance']);
    assert.deepEqual(table.rows, [
      { model: 'm1', performance: '' },
      { model: 'm2', performance: '5' },
    ]);
    assert.deepEqual(table.lines, [2, 3]);
    assert.throws(() => parseCsvTable('a\n1,2\n'), /row has 2 fields but the header has 1 columns at line 2/);
    assert.throws(() => parseCsvTable('a,a\n'), /duplicate column 'a'/);
  });
});

describe('formatCsv', () => {
  it('quotes only when needed', () => {
    assert.equal(formatCsvField('plain value'), 'plain value');
    assert.equal(formatCsvField('a,b'), '"a,b"');
    assert.equal(formatCsvField('say "hi"'), '"say ""hi"""');
    assert.equal(formatCsvField('two\nlines'), '"two\nlines"');
    assert.equal(formatCsvRow(['']), '""\n');
    assert.equal(formatCsvRow(['', '']), ',\n');
  });

  it('round-trips awkward values', () => {
    const rows = [
      ['model', 'args', 'tags'],
      ['a/b', '--x "1, 2"', 'pyt,fp16'],
      ['ünï😀', 'multi\r\nline', ''],
      ['', '', ' spaced '],
      ['123', '1.0', '"'],
    ];
    assert.deepEqual(parseCsv(formatCsv(rows)), rows);
    assert.deepEqual(parseCsv(formatCsv(rows, '\r\n')), rows);
  });
});

describe('parseCsvRecordsPartial', () => {
  it('returns the records before a syntax error with the error', () => {
    const { records, error } = parseCsvRecordsPartial('a,b\n1,2\n"x\ny",3\n4,"open\n5,6\n');
    assert.deepEqual(
      records.map((record) => [record.line, record.fields]),
      [
        [1, ['a', 'b']],
        [2, ['1', '2']],
        [3, ['x\ny', '3']],
      ],
    );
    assert.ok(error instanceof CsvSyntaxError);
    assert.equal(error.line, 5);
  });

  it('has no error for a well-formed text', () => {
    assert.deepEqual(parseCsvRecordsPartial('a\n1\n'), {
      records: [
        { fields: ['a'], line: 1 },
        { fields: ['1'], line: 2 },
      ],
    });
  });
});
