/**
 * The embedded bus keeps the records of the topics that are not compacted for `retentionMs`, as
 * Kafka's `retention.ms` does: older ones go with the compaction's slices, a partition's last
 * record excepted, so the file follows the retention window and not the bus's whole history.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEmbeddedTransport } from '../../src/embedded/index.js';
import { COMPACTION_SLICE_MAX } from '../../src/embedded/store.js';
import { Inbox, offsetsOf, readAll } from '../../src/conformance/helpers.js';
import { withLoopTurns } from './loop-turns.js';
import { tempDataDir } from './temp-dirs.js';

const v = (s: string): Buffer => Buffer.from(s);
const RETENTION_MS = 100;

void test('records older than the retention go, each partition keeps its last, compacted topics keep theirs, and offsets go on', async () => {
  const dataDir = tempDataDir();
  const first = createEmbeddedTransport({ dataDir, compactionIntervalMs: 0, retentionMs: RETENTION_MS });
  await first.ensureTopics([
    { name: 'log', partitions: 2 },
    { name: 'state', partitions: 1, compacted: true },
  ]);
  await first.produce([
    ...[0, 1, 2, 3, 4].map((i) => ({ topic: 'log', partition: 0, key: `a${i}`, value: v(`old ${i}`) })),
    ...[0, 1, 2].map((i) => ({ topic: 'log', partition: 1, key: `b${i}`, value: v(`old ${i}`) })),
    ...[0, 1, 2].map((i) => ({ topic: 'state', key: 'run-1', value: v(`state ${i}`) })),
  ]);
  // A consumer group has read partition 0 up to offset 2.
  const before = new Inbox();
  const group = await first.subscribe(before.options('g', ['log']));
  await before.until(() => before.of('log', 0).length === 5 && before.of('log', 1).length === 3, 'the first records', 10_000);
  await group.commit([{ topic: 'log', partition: 0, offset: 2 }]);
  await group.close();
  assert.equal(await first.compact(), 2, 'within the retention only compaction removes: the two superseded states');
  await sleep(RETENTION_MS + 50);
  await first.produce([5, 6].map((i) => ({ topic: 'log', partition: 0, key: `a${i}`, value: v(`new ${i}`) })));

  assert.equal(await first.compact(), 5 + 2, 'the five old records of partition 0, two of the three of partition 1');
  assert.deepEqual(offsetsOf(await readAll(first, 'log', 0)), [5, 6]);
  assert.deepEqual(offsetsOf(await readAll(first, 'log', 1)), [2], 'a partition keeps its last record whatever its age');
  assert.deepEqual((await readAll(first, 'state', 0)).map((r) => r.value?.toString()), ['state 2'], 'retention leaves compacted topics to compaction');
  assert.deepEqual(await first.endOffsets('log'), [7, 3]);
  assert.equal(await first.compact(), 0, 'nothing left to remove');
  await first.close();

  // After a restart the ends are where they were, and the group reads on from the oldest record left.
  const second = createEmbeddedTransport({ dataDir, compactionIntervalMs: 0, retentionMs: RETENTION_MS });
  try {
    assert.deepEqual(await second.endOffsets('log'), [7, 3]);
    const [metadata] = await second.produce([{ topic: 'log', partition: 1, key: 'b3', value: v('after restart') }]);
    assert.equal(metadata?.offset, 3, 'offsets are never reused');
    const inbox = new Inbox();
    const consumer = await second.subscribe(inbox.options('g', ['log']));
    await inbox.until(() => inbox.of('log', 0).length >= 2 && inbox.of('log', 1).length >= 2, 'the records left', 10_000);
    await consumer.close();
    assert.deepEqual(offsetsOf(inbox.of('log', 0)), [5, 6], 'the committed position 2 was removed: the group reads on from 5');
    assert.deepEqual(offsetsOf(inbox.of('log', 1)), [2, 3]);
  } finally {
    await second.close();
  }
});

void test('a long expired stretch goes in several slices, the event loop turning between them', async (t) => {
  const transport = createEmbeddedTransport({ dataDir: tempDataDir(), compactionIntervalMs: 0, retentionMs: RETENTION_MS });
  t.after(() => transport.close());
  await transport.ensureTopics([{ name: 'log', partitions: 1 }]);
  const count = 4 * COMPACTION_SLICE_MAX;
  await transport.produce(Array.from({ length: count }, (_, i) => ({ topic: 'log', key: `k${i}`, value: v(`r${i}`) })));
  await sleep(RETENTION_MS + 50);
  const { result: removed, turns } = await withLoopTurns(() => transport.compact());
  assert.equal(removed, count - 1, 'all but the last record');
  assert.ok(turns >= 3, `the loop turned ${turns} times over at least 4 slices`);
  assert.deepEqual(offsetsOf(await readAll(transport, 'log', 0)), [count - 1]);
});

void test('retentionMs -1 keeps every record; a retention that is not a positive integer or -1 is refused by name', async (t) => {
  const transport = createEmbeddedTransport({ dataDir: tempDataDir(), compactionIntervalMs: 0, retentionMs: -1 });
  t.after(() => transport.close());
  await transport.ensureTopics([{ name: 'log', partitions: 1 }]);
  await transport.produce([0, 1, 2].map((i) => ({ topic: 'log', key: `k${i}`, value: v(`r${i}`) })));
  await sleep(50);
  assert.equal(await transport.compact(), 0);
  assert.deepEqual(offsetsOf(await readAll(transport, 'log', 0)), [0, 1, 2]);
  for (const retentionMs of [0, -2, 1.5, Number.NaN]) {
    assert.throws(() => createEmbeddedTransport({ dataDir: tempDataDir(), retentionMs }), /retentionMs must be a positive integer, or -1/);
  }
});
