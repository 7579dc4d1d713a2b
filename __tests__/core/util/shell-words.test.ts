import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/core/errors.ts';
import { splitShellWords } from '../../../src/core/util/shell-words.ts';

describe('splitShellWords', () => {
  it('groups words like a POSIX shell and expands nothing', () => {
    assert.deepEqual(splitShellWords(`--a 1  'b c' "d \\"e\\" $x" f\\ g $(touch h) \`i\``, 'args'), [
      '--a',
      '1',
      'b c',
      'd "e" $x',
      'f g',
      '$(touch',
      'h)',
      '`i`',
    ]);
    assert.deepEqual(splitShellWords('', 'args'), []);
    assert.deepEqual(splitShellWords(`'' x`, 'args'), ['', 'x']);
  });

  it('an unterminated quote is a ConfigError naming the field', () => {
    assert.throws(
      () => splitShellWords(`a 'b`, 'model m: args'),
      (error: unknown) => error instanceof ConfigError && error.message.startsWith('model m: args: unterminated'),
    );
    assert.throws(() => splitShellWords(`a "b`, 'args'), ConfigError);
  });
});
