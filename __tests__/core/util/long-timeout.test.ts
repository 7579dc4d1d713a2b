/** setLongTimeout: delays beyond Node's 32-bit timer limit (issue 9 item 13). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TIMER_DELAY_MS, setLongTimeout } from '../../../src/core/util/long-timeout.ts';

test('a 30-day delay fires after 30 days, not after 1 ms (mocked clock)', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const thirtyDays = 2_592_000 * 1000;
  let fired = 0;
  setLongTimeout(() => fired++, thirtyDays);
  t.mock.timers.tick(1);
  assert.equal(fired, 0, 'not at once');
  t.mock.timers.tick(MAX_TIMER_DELAY_MS - 1);
  assert.equal(fired, 0, 'not after one maximal Node timer');
  t.mock.timers.tick(thirtyDays - MAX_TIMER_DELAY_MS - 1);
  assert.equal(fired, 0, 'not 1 ms early');
  t.mock.timers.tick(1);
  assert.equal(fired, 1, 'exactly at 30 days');
  t.mock.timers.tick(thirtyDays);
  assert.equal(fired, 1, 'once');
});

test('clear() stops a long delay in any of its steps; short delays are one plain timer', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let fired = 0;
  const long = setLongTimeout(() => fired++, 3 * MAX_TIMER_DELAY_MS);
  t.mock.timers.tick(MAX_TIMER_DELAY_MS + 5);
  long.clear();
  t.mock.timers.tick(3 * MAX_TIMER_DELAY_MS);
  assert.equal(fired, 0);
  setLongTimeout(() => fired++, 50);
  t.mock.timers.tick(50);
  assert.equal(fired, 1);
});

test('a delay that is not a finite number >= 0 is a RangeError, never an immediate timer', () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1]) assert.throws(() => setLongTimeout(() => {}, bad), RangeError);
});
