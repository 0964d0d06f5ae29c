/** The coalescer that hands a stream's frames to the store in groups. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTs } from './load-ts.mjs';

test('items pushed together are handed over together, the first group at the next turn, later ones an interval apart', async (t) => {
  const { Coalescer } = await loadTs(t, ['store/coalesce.ts']);
  const groups = [];
  const c = new Coalescer(50, (items) => groups.push({ items, at: Date.now() }));
  const t0 = Date.now();
  for (let i = 0; i < 5; i++) c.push(i);
  assert.equal(groups.length, 0, 'nothing is handed over within the turn');
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(groups.map((g) => g.items), [[0, 1, 2, 3, 4]]);
  assert.ok(groups[0].at - t0 < 40, 'the first group went at the next turn');
  c.push(5);
  c.push(6);
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.deepEqual(groups.map((g) => g.items), [[0, 1, 2, 3, 4], [5, 6]]);
  assert.ok(groups[1].at - groups[0].at >= 45, 'the next group waited for the interval');
});

test('a full group is handed over at once, whatever the timer (a hidden tab runs its timers seldom)', async (t) => {
  const { Coalescer } = await loadTs(t, ['store/coalesce.ts']);
  const groups = [];
  const c = new Coalescer(60_000, (items) => groups.push(items), 3);
  c.drain();
  for (let i = 0; i < 7; i++) c.push(i);
  assert.deepEqual(groups, [[0, 1, 2], [3, 4, 5]]);
  c.clear();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(groups, [[0, 1, 2], [3, 4, 5]], 'clear drops what is held and its hand-over');
});
