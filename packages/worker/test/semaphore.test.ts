import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Semaphore } from '../src/semaphore.js';

test('a freed permit goes to the highest-priority waiter, then the longest waiting among equals', async () => {
  const permits = new Semaphore(1);
  await permits.acquire(3);
  const order: string[] = [];
  const waits = [
    permits.acquire(3).then(() => order.push('low-1')),
    permits.acquire(2).then(() => order.push('normal')),
    permits.acquire(3).then(() => order.push('low-2')),
    permits.acquire(1).then(() => order.push('high')),
  ];
  assert.equal(permits.waiting, 4);
  for (let i = 0; i < 4; i += 1) {
    permits.release();
    await Promise.resolve();
    await Promise.resolve();
  }
  await Promise.all(waits);
  assert.deepEqual(order, ['high', 'normal', 'low-1', 'low-2']);
  permits.release();
  await permits.acquire(2); // the permit came back free
});

test('tryAcquire takes a free permit at once, and none while every permit is taken', async () => {
  const permits = new Semaphore(2);
  assert.equal(permits.tryAcquire(), true);
  assert.equal(permits.tryAcquire(), true);
  assert.equal(permits.tryAcquire(), false);
  const waiting = permits.acquire(2);
  permits.release();
  await waiting;
  assert.equal(permits.tryAcquire(), false, 'the released permit went to the waiter');
  permits.release();
  assert.equal(permits.tryAcquire(), true);
});
