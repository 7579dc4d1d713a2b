import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareBytes, keyId, keyLookup, parseDecimal, performanceValue, rowKey, rowStatus, sampleValue } from '../../../src/core/report/rows.ts';
import { KEY_COLUMNS } from '../../../src/core/report/types.ts';

describe('report rows', () => {
  it('keys a row by KEY_COLUMNS, trimmed, in that order', () => {
    const row = { model: ' m ', metric: 'qps', gpu_architecture: 'gfx942 ', n_gpus: '8', nnodes: '1', deployment_type: 'local', machine_name: 'ignored' };
    const key = rowKey(row);
    assert.deepEqual(Object.keys(key), [...KEY_COLUMNS]);
    assert.equal(keyId(key), KEY_COLUMNS.map((column) => (row[column] ?? '').trim()).join(' | '));
    assert.equal(keyLookup(key), KEY_COLUMNS.map((column) => (row[column] ?? '').trim()).join('\u0000'));
    assert.equal(rowKey({}).model, '');
  });

  it('reads statuses case-insensitively and only the three madengine writes', () => {
    assert.equal(rowStatus({ status: 'SUCCESS' }), 'SUCCESS');
    assert.equal(rowStatus({ status: ' failure ' }), 'FAILURE');
    assert.equal(rowStatus({ status: 'Skipped' }), 'SKIPPED');
    assert.equal(rowStatus({ status: 'PASSED' }), undefined);
    assert.equal(rowStatus({}), undefined);
  });

  it('takes decimal numbers only as performance', () => {
    for (const [text, value] of [
      ['1', 1],
      [' 12.5 ', 12.5],
      ['1.23E+4', 12300],
      ['+.5', 0.5],
      ['-3', -3],
      ['7.', 7],
    ] as const)
      assert.equal(parseDecimal(text), value, text);
    for (const text of ['', 'N/A', 'inf', 'NaN', '0x10', '1e999', '1,5', '1 2']) assert.equal(parseDecimal(text), undefined, text);
    assert.equal(performanceValue({ performance: '3' }), 3);
    assert.equal(sampleValue({ performance: '3', status: 'FAILURE' }), undefined);
    assert.equal(sampleValue({ performance: '3', status: 'success' }), 3);
  });

  it('compares strings by UTF-8 bytes', () => {
    assert.ok(compareBytes('\uFF5E', '\u{1F600}') < 0);
    assert.ok('\uFF5E' > '\u{1F600}', 'unlike UTF-16 order');
    assert.equal(compareBytes('a', 'a'), 0);
  });
});
