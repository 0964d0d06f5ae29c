import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TimerQueue } from '../src/timer-queue.js';

test('pops timers in due order, whatever the push order', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 300 }), (dues) => {
      const queue = new TimerQueue();
      dues.forEach((dueAt, i) => queue.push({ dueAt, runId: `r${i}`, timerId: `t${i}` }));
      const popped: number[] = [];
      for (let entry = queue.pop(); entry; entry = queue.pop()) popped.push(entry.dueAt);
      assert.deepEqual(popped, [...dues].sort((a, b) => a - b));
      assert.equal(queue.size, 0);
    }),
  );
});

test('peek shows the earliest without removing it', () => {
  const queue = new TimerQueue();
  queue.push({ dueAt: 30, runId: 'a', timerId: 'x' });
  queue.push({ dueAt: 10, runId: 'b', timerId: 'y' });
  assert.equal(queue.peek()?.runId, 'b');
  assert.equal(queue.size, 2);
  queue.clear();
  assert.equal(queue.peek(), undefined);
});
