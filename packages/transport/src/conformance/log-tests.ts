import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { partitionFor } from '../partitioner.js';
import type { ConsumedRecord, ProduceRecord } from '../types.js';
import type { SuiteContext } from './helpers.js';
import { offsetsOf, range, readAll, uniqueName } from './helpers.js';

/** Topics, produce, readPartition, offsets and compaction: everything outside consumer groups. */
export function registerLogTests(ctx: SuiteContext): void {
  const opts = { timeout: ctx.timeoutMs * 3 };

  void test('ensureTopics is idempotent and rejects another partition count', opts, async (t) => {
    const transport = await ctx.transport(t);
    const a = uniqueName('topic');
    const b = uniqueName('topic');
    await transport.ensureTopics([{ name: a, partitions: 3 }, { name: b, partitions: 1, compacted: true }]);
    await transport.ensureTopics([{ name: a, partitions: 3 }, { name: b, partitions: 1, compacted: true }]);
    assert.equal(await transport.partitionCount(a), 3);
    assert.equal(await transport.partitionCount(b), 1);
    await assert.rejects(transport.ensureTopics([{ name: a, partitions: 5 }]), (error: Error) => {
      assert.match(error.message, new RegExp(a), 'the error names the topic');
      return true;
    });
    assert.equal(await transport.partitionCount(a), 3);
  });

  void test('keyed records land on partitionFor(key, N) with contiguous offsets from 0, in produce order', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('topic');
    const n = 4;
    await transport.ensureTopics([{ name: topic, partitions: n }]);
    const records: ProduceRecord[] = range(0, 60).map((i) => ({
      topic,
      key: `key-${i % 7}`,
      value: Buffer.from(`value-${i}`),
      headers: { seq: String(i), 'content-type': 'text/plain' },
    }));
    records.push({ topic, key: 'pinned', value: Buffer.from('pinned'), partition: 3 });
    const before = Date.now();
    const metadata = await transport.produce(records);
    const after = Date.now();

    assert.equal(metadata.length, records.length);
    const expectedNext = new Array<number>(n).fill(0);
    metadata.forEach((m, i) => {
      const record = records[i] as ProduceRecord;
      assert.equal(m.topic, topic);
      assert.equal(m.partition, record.partition ?? partitionFor(record.key, n), `partition of record ${i}`);
      assert.equal(m.offset, expectedNext[m.partition], `offset of record ${i}`);
      expectedNext[m.partition] = m.offset + 1;
    });
    assert.deepEqual(await transport.endOffsets(topic), expectedNext);

    for (let p = 0; p < n; p++) {
      const read = await readAll(transport, topic, p);
      const sent = records.filter((_, i) => metadata[i]?.partition === p);
      assert.deepEqual(offsetsOf(read), range(0, sent.length), `offsets of partition ${p}`);
      read.forEach((r, i) => {
        const s = sent[i] as ProduceRecord;
        assert.equal(r.topic, topic);
        assert.equal(r.partition, p);
        assert.equal(r.key, s.key);
        assert.deepEqual(r.value, s.value);
        assert.deepEqual(r.headers, s.headers ?? {});
        assert.ok(r.timestamp >= before - 1000 && r.timestamp <= after + 1000, `timestamp ${r.timestamp} within [${before}, ${after}]`);
      });
    }
  });

  void test('writeStats counts the writes, their records and the requests that carried them', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('topic');
    await transport.ensureTopics([{ name: topic, partitions: 2 }]);
    const before = transport.writeStats();
    const calls = range(0, 20).map((i) => transport.produce([{ topic, key: `k${i}`, value: Buffer.from(`call-${i}`) }]));
    calls.push(transport.produce(range(0, 3).map((i) => ({ topic, key: `many-${i}`, value: null }))));
    await Promise.all(calls);
    const after = transport.writeStats();
    assert.equal(after.writes - before.writes, 21, 'one write a call');
    assert.equal(after.records - before.records, 23, 'every record of them');
    const requests = after.requests - before.requests;
    assert.ok(requests >= 1 && requests <= 21, `the calls went in 1 to 21 requests, not ${requests}`);
    assert.ok(after.requestMs > before.requestMs, 'the requests took time');
    assert.ok(after.queuedMs >= before.queuedMs, 'waits add up');
    assert.notEqual(transport.writeStats(), transport.writeStats(), 'a copy each time, not the live totals');
  });

  void test('concurrent produce calls to one partition all land, each at the offset it was told', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('topic');
    await transport.ensureTopics([{ name: topic, partitions: 2 }]);
    const calls = range(0, 40).map((i) => transport.produce([{ topic, key: 'same-key', value: Buffer.from(`call-${i}`) }]));
    const metadata = (await Promise.all(calls)).map((m) => m[0]!);
    const partition = partitionFor('same-key', 2);
    assert.ok(metadata.every((m) => m.partition === partition));
    assert.deepEqual(metadata.map((m) => m.offset).sort((a, b) => a - b), range(0, 40), 'forty distinct offsets');
    const read = await readAll(transport, topic, partition);
    assert.equal(read.length, 40, 'every acknowledged record was written');
    for (const [i, m] of metadata.entries()) assert.equal(read[m.offset]?.value?.toString(), `call-${i}`);
  });

  void test('a null value stays null and an empty value stays empty', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('topic');
    await transport.ensureTopics([{ name: topic, partitions: 1 }]);
    await transport.produce([
      { topic, key: 'tombstone', value: null },
      { topic, key: 'empty', value: Buffer.alloc(0) },
    ]);
    const [tombstone, empty] = await readAll(transport, topic, 0);
    assert.equal(tombstone?.key, 'tombstone');
    assert.equal(tombstone?.value, null);
    assert.equal(empty?.key, 'empty');
    assert.ok(empty?.value !== null && empty?.value !== undefined, 'an empty value is not null');
    assert.equal(empty.value.length, 0);
  });

  void test('a 1 MB value round-trips', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('topic');
    await transport.ensureTopics([{ name: topic, partitions: 1 }]);
    // Just under Kafka's default 1 MiB message limit, record overhead included.
    const value = randomBytes(1_000_000);
    await transport.produce([{ topic, key: 'big', value }, { topic, key: 'small', value: Buffer.from('after') }]);
    const read = await readAll(transport, topic, 0);
    assert.equal(read.length, 2);
    assert.ok(read[0]?.value?.equals(value), 'the large value is intact');
    assert.equal(read[1]?.value?.toString(), 'after');
  });

  void test('readPartition honours from and to, and stops at the end offset of when it began', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('topic');
    await transport.ensureTopics([{ name: topic, partitions: 1 }]);
    await transport.produce(range(0, 10).map((i) => ({ topic, key: `k${i}`, value: Buffer.from(String(i)) })));
    assert.deepEqual(offsetsOf(await readAll(transport, topic, 0, { from: 3, to: 7 })), [3, 4, 5, 6]);
    assert.deepEqual(offsetsOf(await readAll(transport, topic, 0, { from: 8 })), [8, 9]);
    assert.deepEqual(offsetsOf(await readAll(transport, topic, 0, { to: 2 })), [0, 1]);
    assert.deepEqual(offsetsOf(await readAll(transport, topic, 0, { from: 5, to: 5 })), []);

    const seen: ConsumedRecord[] = [];
    let producedDuringRead = false;
    for await (const batch of transport.readPartition(topic, 0)) {
      seen.push(...batch);
      if (!producedDuringRead) {
        producedDuringRead = true;
        await transport.produce(range(10, 15).map((i) => ({ topic, key: `k${i}`, value: Buffer.from(String(i)) })));
      }
    }
    assert.deepEqual(offsetsOf(seen), range(0, 10), 'records appended during the read are not part of it');
    assert.deepEqual(await transport.endOffsets(topic), [15]);
  });

  void test('endOffsets and committedOffsets of a fresh topic and group', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('topic');
    await transport.ensureTopics([{ name: topic, partitions: 3 }]);
    assert.deepEqual(await transport.endOffsets(topic), [0, 0, 0]);
    await transport.produce([
      { topic, key: 'a', value: Buffer.from('1'), partition: 0 },
      { topic, key: 'b', value: Buffer.from('2'), partition: 0 },
      { topic, key: 'c', value: Buffer.from('3'), partition: 2 },
    ]);
    assert.deepEqual(await transport.endOffsets(topic), [2, 0, 1]);
    assert.deepEqual(await transport.committedOffsets(uniqueName('group'), topic), [-1, -1, -1]);
  });

  void test('a compacted topic: the last record read per key wins and a tombstone deletes the key', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('topic');
    const n = 2;
    await transport.ensureTopics([{ name: topic, partitions: n, compacted: true }]);
    const v = (s: string): Buffer => Buffer.from(s);
    await transport.produce([
      { topic, key: 'k1', value: v('k1-v1') },
      { topic, key: 'k2', value: v('k2-v1') },
      { topic, key: 'k1', value: v('k1-v2') },
      { topic, key: 'k3', value: v('k3-v1') },
      { topic, key: 'k2', value: null },
      { topic, key: 'k4', value: v('k4-v1') },
      { topic, key: 'k4', value: null },
      { topic, key: 'k4', value: v('k4-v2') },
    ]);
    await ctx.factory.compact?.(transport);

    const state = new Map<string, string>();
    for (let p = 0; p < n; p++) {
      for (const record of await readAll(transport, topic, p)) {
        assert.equal(record.partition, partitionFor(record.key, n));
        if (record.value === null) state.delete(record.key);
        else state.set(record.key, record.value.toString());
      }
    }
    assert.deepEqual(Object.fromEntries([...state].sort()), { k1: 'k1-v2', k3: 'k3-v1', k4: 'k4-v2' });
  });
}
