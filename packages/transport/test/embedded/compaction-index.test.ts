/**
 * Compaction of the embedded log works from an index of superseded records, a slice at a time:
 * its cost follows what was superseded, and the event loop runs between slices.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createEmbeddedTransport } from '../../src/embedded/index.js';
import { COMPACTION_SLICE, COMPACTION_SLICE_BUDGET_MS, COMPACTION_SLICE_MAX, COMPACTION_SLICE_MIN, nextSliceLimit } from '../../src/embedded/store.js';
import { readAll } from '../../src/conformance/helpers.js';
import { withLoopTurns } from './loop-turns.js';
import { tempDataDir } from './temp-dirs.js';

const v = (s: string): Buffer => Buffer.from(s);

void test('compaction of many superseded records runs in slices with the event loop turning between them', async (t) => {
  const transport = createEmbeddedTransport({ dataDir: tempDataDir(), compactionIntervalMs: 0 });
  t.after(() => transport.close());
  await transport.ensureTopics([{ name: 'state', partitions: 2, compacted: true }]);
  const keys = 4000;
  for (let round = 0; round < 3; round++) {
    await transport.produce(Array.from({ length: keys }, (_, i) => ({ topic: 'state', key: `run-${i}`, value: v(`r${round}`) })));
  }
  const { result: removed, turns } = await withLoopTurns(() => transport.compact());
  assert.equal(removed, 2 * keys, 'two superseded records per key');
  const slices = Math.ceil((2 * keys) / COMPACTION_SLICE_MAX);
  assert.ok(turns >= slices - 1, `the loop turned ${turns} times over ${slices} slices`);
  const kept = [...(await readAll(transport, 'state', 0)), ...(await readAll(transport, 'state', 1))];
  assert.equal(kept.length, keys);
  assert.ok(kept.every((r) => r.value?.toString() === 'r2'));
  assert.equal(await transport.compact(), 0, 'nothing left to remove');
});

void test('each compaction slice is sized to the time budget at the rate the last one ran', () => {
  const budget = COMPACTION_SLICE_BUDGET_MS;
  // 100 records in a quarter of the budget: room for 400, but a slice at most doubles.
  assert.equal(nextSliceLimit(COMPACTION_SLICE, 100, budget / 4), Math.min(200, COMPACTION_SLICE_MAX));
  // 100 records in twice the budget: half as many next time.
  assert.equal(nextSliceLimit(100, 100, budget * 2), 50);
  // A slice descheduled for 100 ms shrinks the next one to the floor, never to nothing.
  assert.equal(nextSliceLimit(100, 100, 100), COMPACTION_SLICE_MIN);
  // Fast slices grow to the ceiling and stay there.
  let limit = COMPACTION_SLICE;
  for (let i = 0; i < 10; i++) limit = nextSliceLimit(limit, limit, 0.001);
  assert.equal(limit, COMPACTION_SLICE_MAX);
  // A slice that removed nothing says nothing about the rate.
  assert.equal(nextSliceLimit(100, 0, 50), 100);
});

void test('a log written before the compaction index existed is indexed at open and compacted', async () => {
  const dataDir = tempDataDir();
  const first = createEmbeddedTransport({ dataDir, compactionIntervalMs: 0 });
  await first.ensureTopics([{ name: 'snap', partitions: 1, compacted: true }]);
  await first.produce([
    { topic: 'snap', key: 'a', value: v('a1') },
    { topic: 'snap', key: 'a', value: v('a2') },
    { topic: 'snap', key: 'b', value: null },
    { topic: 'snap', key: 'c', value: v('c1') },
  ]);
  await first.close();
  const db = new Database(join(dataDir, 'bus.db'));
  db.exec('DROP TABLE latest; DROP TABLE garbage;');
  db.close();
  const second = createEmbeddedTransport({ dataDir, compactionIntervalMs: 0 });
  try {
    assert.equal(await second.compact(), 2, 'a1 and the tombstone of b');
    assert.deepEqual((await readAll(second, 'snap', 0)).map((r) => r.key), ['a', 'c']);
    await second.produce([{ topic: 'snap', key: 'c', value: v('c2') }]);
    assert.equal(await second.compact(), 1, 'writes after the rebuild are indexed too');
  } finally {
    await second.close();
  }
});
