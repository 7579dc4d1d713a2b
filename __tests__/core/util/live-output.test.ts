import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { liveOutput, writeQuietly } from '../../../src/core/util/live-output.ts';

/** A reader that takes nothing until release(): every write waits in the stream's queue. */
function stalledReader(): { stream: Writable; received: () => string; release: () => void } {
  const chunks: Buffer[] = [];
  const pending: (() => void)[] = [];
  let released = false;
  const stream = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      if (released) callback();
      else pending.push(callback);
    },
  });
  return {
    stream,
    received: () => Buffer.concat(chunks).toString(),
    release: () => {
      released = true;
      for (const callback of pending.splice(0)) callback();
    },
  };
}

test('a reader that does not keep up: output beyond the queue limit is dropped and counted, then a notice says where the full output is', async () => {
  const reader = stalledReader();
  const live = liveOutput(reader.stream, { maxQueuedBytes: 25, fullOutput: 'the run logs in /out' });
  for (let i = 0; i < 10; i++) live.write(`chunk ${i}..\n`); // 10 bytes each
  assert.equal(live.droppedBytes, 80, 'two chunks fit in the queue, the rest is dropped');
  assert.ok(reader.stream.writableLength <= 25);
  const drained = new Promise((resolve) => reader.stream.once('drain', resolve));
  reader.release();
  await drained;
  live.write('after\n');
  reader.release();
  assert.match(
    reader.received(),
    /^chunk 0\.\.\nchunk 1\.\.\n\n=== madengine: 80 bytes of live output dropped \(the console reader was too slow\); the full output is in the run logs in \/out\nafter\n$/,
  );
});

test('close() reports output dropped while the reader still had not caught up', () => {
  const reader = stalledReader();
  const live = liveOutput(reader.stream, { maxQueuedBytes: 10, fullOutput: 'x.log' });
  live.write('0123456789');
  live.write('dropped');
  live.close();
  reader.release();
  assert.match(reader.received(), /=== madengine: 7 bytes of live output dropped .* x\.log\n$/);
});

test('a reader that went away (EPIPE) ends the output quietly: no error escapes, later writes do nothing', async () => {
  let writes = 0;
  const closed = new Writable({
    write(_chunk, _encoding, callback) {
      writes++;
      callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  const live = liveOutput(closed, { fullOutput: 'x.log' });
  live.write('first\n');
  await new Promise((resolve) => closed.once('close', resolve));
  live.write('second\n');
  writeQuietly(closed, 'table\n');
  live.close();
  assert.equal(writes, 1);
});

test('a stream that throws on write (EBADF) is marked broken instead of failing the caller', () => {
  const stream = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  let calls = 0;
  stream.write = () => {
    calls++;
    throw Object.assign(new Error('EBADF'), { code: 'EBADF' });
  };
  const live = liveOutput(stream, { fullOutput: 'x.log' });
  assert.doesNotThrow(() => live.write('a'));
  assert.doesNotThrow(() => live.write('b'));
  assert.equal(calls, 1);
});
