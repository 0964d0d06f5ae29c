import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { partitionFor } from '../partitioner.js';
import type { ConsumedRecord, Consumer, TopicPartition } from '../types.js';
import type { SuiteContext } from './helpers.js';
import { Inbox, offsetsOf, range, readAll, tpKey, uniqueName, waitFor } from './helpers.js';

const owns = (consumer: Consumer, tp: TopicPartition): boolean => consumer.assignments().some((a) => a.topic === tp.topic && a.partition === tp.partition);

/** Consumer groups: delivery, assignment, rebalancing and committed offsets. */
export function registerGroupTests(ctx: SuiteContext): void {
  const opts = { timeout: ctx.timeoutMs * 4 };

  void test('a consumer receives every record with its key, value, headers and timestamp', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('topic');
    await transport.ensureTopics([{ name: topic, partitions: 3 }]);
    const before = Date.now();
    const sent = await transport.produce(range(0, 30).map((i) => ({ topic, key: `run-${i}`, value: Buffer.from(`v${i}`), headers: { i: String(i) } })));
    const after = Date.now();
    const inbox = new Inbox();
    await ctx.subscribe(t, transport, inbox.options(uniqueName('group'), [topic]));
    await inbox.until(() => inbox.records.length >= 30, '30 records', ctx.timeoutMs);

    assert.equal(inbox.records.length, 30, 'each record exactly once');
    assert.deepEqual(inbox.events[0]?.partitions.map(tpKey).sort(), range(0, 3).map((p) => `${topic}/${p}`));
    for (const record of inbox.records) {
      const i = Number(record.headers.i);
      assert.equal(record.key, `run-${i}`);
      assert.equal(record.value?.toString(), `v${i}`);
      assert.equal(record.partition, partitionFor(record.key, 3));
      assert.equal(record.offset, sent[i]?.offset);
      assert.ok(record.timestamp >= before - 1000 && record.timestamp <= after + 1000, 'timestamp of the append');
    }
    for (const batch of inbox.batches) {
      assert.ok(batch.every((r) => r.partition === batch[0]?.partition), 'a batch holds one partition');
    }
    for (let p = 0; p < 3; p++) assert.deepEqual(offsetsOf(inbox.of(topic, p)), range(0, inbox.of(topic, p).length), `order of partition ${p}`);
  });

  void test('two members split the partitions, co-partitioned topics together; the survivor of a leave gets everything', opts, async (t) => {
    const transport = await ctx.transport(t);
    const peer = await ctx.peer(t);
    const a = uniqueName('topic');
    const b = uniqueName('topic');
    const n = 4;
    await transport.ensureTopics([{ name: a, partitions: n }, { name: b, partitions: n }]);
    await peer.ensureTopics([{ name: a, partitions: n }, { name: b, partitions: n }]);
    const group = uniqueName('group');
    const all = [a, b].flatMap((topic) => range(0, n).map((partition) => ({ topic, partition })));
    const inbox1 = new Inbox();
    const inbox2 = new Inbox();
    const m1 = await ctx.subscribe(t, transport, inbox1.options(group, [a, b]));
    await waitFor(() => m1.assignments().length === all.length, 'the first member to own every partition', ctx.timeoutMs);
    const m2 = await ctx.subscribe(t, peer, inbox2.options(group, [a, b]));
    await waitFor(
      () => m1.assignments().length > 0 && m2.assignments().length > 0 && m1.assignments().length + m2.assignments().length === all.length,
      'the partitions to be split between two members',
      ctx.timeoutMs,
    );
    for (const tp of all) assert.ok(owns(m1, tp) !== owns(m2, tp), `${tpKey(tp)} has exactly one owner`);
    for (let p = 0; p < n; p++) {
      assert.equal(owns(m1, { topic: a, partition: p }), owns(m1, { topic: b, partition: p }), `partition ${p} of both topics on the same member`);
    }

    // Records reach the member that owns their partition.
    await transport.produce(all.map((tp) => ({ topic: tp.topic, partition: tp.partition, key: `split-${tpKey(tp)}`, value: Buffer.from('split') })));
    const split = (inbox: Inbox): ConsumedRecord[] => inbox.records.filter((r) => r.key.startsWith('split-'));
    await waitFor(() => split(inbox1).length + split(inbox2).length >= all.length, 'records of the split phase', ctx.timeoutMs, inbox1.changes);
    for (const r of split(inbox1)) assert.ok(owns(m1, r), `${tpKey(r)} delivered to its owner`);
    for (const r of split(inbox2)) assert.ok(owns(m2, r), `${tpKey(r)} delivered to its owner`);

    const eventsBeforeLeave = inbox1.events.length;
    await m2.close();
    await waitFor(() => m1.assignments().length === all.length, 'the survivor to own every partition', ctx.timeoutMs);
    const afterLeave = inbox1.events.slice(eventsBeforeLeave);
    const revokeAt = afterLeave.findIndex((e) => e.type === 'revoke');
    const assignAt = afterLeave.findIndex((e, i) => e.type === 'assign' && i > revokeAt && e.partitions.length === all.length);
    assert.ok(revokeAt >= 0 && assignAt > revokeAt, `onRevoke then onAssign of everything, got ${JSON.stringify(afterLeave.map((e) => e.type))}`);

    await transport.produce(all.map((tp) => ({ topic: tp.topic, partition: tp.partition, key: `alone-${tpKey(tp)}`, value: Buffer.from('alone') })));
    await inbox1.until(() => new Set(inbox1.records.filter((r) => r.key.startsWith('alone-')).map(tpKey)).size === all.length, 'the survivor to receive every partition', ctx.timeoutMs);
  });

  void test('a new consumer resumes at the committed offsets: nothing before them again, nothing lost after', opts, async (t) => {
    const transport = await ctx.transport(t);
    const peer = await ctx.peer(t);
    const topic = uniqueName('topic');
    await transport.ensureTopics([{ name: topic, partitions: 2 }]);
    await transport.produce(range(0, 20).map((i) => ({ topic, partition: i % 2, key: `k${i}`, value: Buffer.from(String(i)) })));
    const group = uniqueName('group');
    const first = new Inbox();
    const c1 = await ctx.subscribe(t, transport, first.options(group, [topic], { maxBatch: 3 }));
    await first.until(() => first.records.length >= 20, 'the first consumer to receive 20 records', ctx.timeoutMs);
    assert.ok(first.batches.every((b) => b.length <= 3), 'maxBatch is respected');
    // Records up to 4 and 7 are processed; the rest were delivered but not committed.
    await c1.commit([{ topic, partition: 0, offset: 4 }, { topic, partition: 1, offset: 7 }]);
    await c1.close();
    assert.deepEqual(await transport.committedOffsets(group, topic), [4, 7]);

    const second = new Inbox();
    await ctx.subscribe(t, peer, second.options(group, [topic]));
    await second.until(() => second.of(topic, 0).some((r) => r.offset === 9) && second.of(topic, 1).some((r) => r.offset === 9), 'redelivery up to offset 9', ctx.timeoutMs);
    assert.deepEqual(offsetsOf(second.of(topic, 0)), range(4, 10), 'partition 0 resumes at its committed offset');
    assert.deepEqual(offsetsOf(second.of(topic, 1)), range(7, 10), 'partition 1 resumes at its committed offset');
  });

  void test('commit with produce: the records and the offsets are both visible once it resolves', opts, async (t) => {
    const transport = await ctx.transport(t);
    const input = uniqueName('topic');
    const output = uniqueName('topic');
    await transport.ensureTopics([{ name: input, partitions: 1 }, { name: output, partitions: 2 }]);
    await transport.produce(range(0, 3).map((i) => ({ topic: input, key: `in${i}`, value: Buffer.from(String(i)) })));
    const group = uniqueName('group');
    const inbox = new Inbox();
    const consumer = await ctx.subscribe(t, transport, inbox.options(group, [input]));
    await inbox.until(() => inbox.records.length >= 3, '3 input records', ctx.timeoutMs);
    await consumer.commit([{ topic: input, partition: 0, offset: 3 }], [
      { topic: output, key: 'out-a', value: Buffer.from('A'), headers: { from: 'in0' } },
      { topic: output, key: 'out-b', value: Buffer.from('B') },
    ]);
    assert.deepEqual(await transport.committedOffsets(group, input), [3]);
    const out = [...(await readAll(transport, output, 0)), ...(await readAll(transport, output, 1))];
    assert.deepEqual(out.map((r) => [r.key, r.value?.toString(), r.partition]).sort(), [
      ['out-a', 'A', partitionFor('out-a', 2)],
      ['out-b', 'B', partitionFor('out-b', 2)],
    ]);
    assert.deepEqual(out.find((r) => r.key === 'out-a')?.headers, { from: 'in0' });
  });

  void test("from: 'latest' skips the records written before the group started", opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('topic');
    await transport.ensureTopics([{ name: topic, partitions: 2 }]);
    await transport.produce(range(0, 6).map((i) => ({ topic, key: `old${i}`, value: Buffer.from('old'), headers: { phase: 'old' } })));
    const inbox = new Inbox();
    const consumer = await ctx.subscribe(t, transport, inbox.options(uniqueName('group'), [topic], { from: 'latest' }));
    await waitFor(() => consumer.assignments().length === 2, 'the assignment', ctx.timeoutMs);
    // Where the transport resolves "latest" lazily, keep writing until a new record arrives.
    const deadline = Date.now() + ctx.timeoutMs;
    for (let i = 0; inbox.records.length === 0 && Date.now() < deadline && i < 1000; i++) {
      await transport.produce([{ topic, key: `new${i}`, value: Buffer.from('new'), headers: { phase: 'new' } }]);
      await inbox.until(() => inbox.records.length > 0, 'a new record', 200).catch(() => undefined);
    }
    assert.ok(inbox.records.length > 0, 'a record written after the start is delivered');
    assert.deepEqual(inbox.records.filter((r) => r.headers.phase === 'old'), [], 'no record written before the start');
  });

  void test('two groups on one transport read one partition each from its own position, each record once', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('topic');
    await transport.ensureTopics([{ name: topic, partitions: 1 }]);
    const write = (from: number, to: number): Promise<unknown> => transport.produce(range(from, to).map((i) => ({ topic, key: `k${i}`, value: Buffer.from(String(i)) })));
    await write(0, 10);
    const ahead = new Inbox();
    await ctx.subscribe(t, transport, ahead.options(uniqueName('group'), [topic]));
    await ahead.until(() => ahead.records.length >= 10, 'the first group to read the first 10', ctx.timeoutMs);
    // The second group starts at the beginning while the first is at offset 10.
    const behind = new Inbox();
    await ctx.subscribe(t, transport, behind.options(uniqueName('group'), [topic]));
    await write(10, 15);
    await behind.until(() => behind.records.length >= 15, 'the second group to read all 15', ctx.timeoutMs);
    await ahead.until(() => ahead.records.length >= 15, 'the first group to read the next 5', ctx.timeoutMs);
    await write(15, 16);
    await behind.until(() => behind.records.length >= 16, 'the second group to read the last', ctx.timeoutMs);
    await ahead.until(() => ahead.records.length >= 16, 'the first group to read the last', ctx.timeoutMs);
    assert.deepEqual(offsetsOf(ahead.records), range(0, 16), 'the first group: each record once, in order');
    assert.deepEqual(offsetsOf(behind.records), range(0, 16), 'the second group: each record once, in order');
    assert.deepEqual(behind.records.map((r) => r.value?.toString()), range(0, 16).map(String));
  });

  void test('a slow batch on one partition does not hold back another partition', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('topic');
    await transport.ensureTopics([{ name: topic, partitions: 2 }]);
    const { promise: gate, resolve: release } = Promise.withResolvers<void>();
    t.after(() => release());
    const inbox = new Inbox();
    const options = inbox.options(uniqueName('group'), [topic]);
    const record = options.onBatch;
    const consumer = await ctx.subscribe(t, transport, {
      ...options,
      onBatch: async (batch) => {
        await record(batch);
        if (batch[0]?.partition === 0) await gate;
      },
    });
    await waitFor(() => consumer.assignments().length === 2, 'the assignment', ctx.timeoutMs);
    await transport.produce([{ topic, partition: 0, key: 'slow-1', value: Buffer.from('1') }, { topic, partition: 0, key: 'slow-2', value: Buffer.from('2') }]);
    await inbox.until(() => inbox.of(topic, 0).length > 0, 'the slow partition to be in a batch', ctx.timeoutMs);
    const heldBack = inbox.of(topic, 0).length;
    await transport.produce([{ topic, partition: 1, key: 'fast', value: Buffer.from('3') }]);
    await inbox.until(() => inbox.of(topic, 1).length === 1, 'the other partition to be delivered', ctx.timeoutMs);
    assert.equal(inbox.of(topic, 0).length, heldBack, 'the slow partition got nothing new while its batch was pending');
    release();
    await inbox.until(() => inbox.of(topic, 0).length === 2, 'the slow partition to continue', ctx.timeoutMs);
  });

  void test("a partition's batches reach onBatch one at a time and in order, however long each takes", opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('topic');
    await transport.ensureTopics([{ name: topic, partitions: 2 }]);
    const inbox = new Inbox();
    const options = inbox.options(uniqueName('group'), [topic], { maxBatch: 2 });
    const record = options.onBatch;
    const busy = new Set<number>();
    let overlaps = 0;
    await ctx.subscribe(t, transport, {
      ...options,
      onBatch: async (batch) => {
        const partition = batch[0]!.partition;
        if (busy.has(partition)) overlaps += 1;
        busy.add(partition);
        await new Promise((resolve) => setTimeout(resolve, 15));
        busy.delete(partition);
        await record(batch);
      },
    });
    // Several writes, so that each partition has batches waiting while one is in onBatch.
    for (let w = 0; w < 4; w++) {
      await transport.produce(range(0, 6).map((i) => ({ topic, partition: i % 2, key: `k-${w}-${i}`, value: Buffer.from(`${w}.${i}`) })));
    }
    await inbox.until(() => inbox.records.length === 24, 'all 24 records', ctx.timeoutMs);
    assert.equal(overlaps, 0, 'no batch of a partition reached onBatch while another of it was there');
    for (let p = 0; p < 2; p++) assert.deepEqual(offsetsOf(inbox.of(topic, p)), range(0, 12), `partition ${p} in offset order, each record once`);
  });

  void test('a failing onBatch stops its consumer: onError hears it once, and no later batch of the partition reaches onBatch', opts, async (t) => {
    const transport = await ctx.transport(t);
    const topic = uniqueName('topic');
    await transport.ensureTopics([{ name: topic, partitions: 1 }]);
    await transport.produce(range(0, 6).map((i) => ({ topic, key: `k-${i}`, value: Buffer.from(String(i)) })));
    const inbox = new Inbox();
    const options = inbox.options(uniqueName('group'), [topic], { maxBatch: 1 });
    const calls: number[] = [];
    await ctx.subscribe(t, transport, {
      ...options,
      onBatch: async (batch) => {
        calls.push(batch[0]!.offset);
        // Slow enough that the next batches are ready before this one fails.
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw new Error('this handler fails on purpose');
      },
    });
    await waitFor(() => inbox.errors.length > 0, 'onError', ctx.timeoutMs, inbox.changes);
    assert.match(inbox.errors[0]!.message, /fails on purpose/);
    // What might still arrive has had time to: the failed batch's successors are ready at once.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(calls, [0], 'only the first batch reached onBatch');
    assert.equal(inbox.errors.length, 1, 'onError heard the failure once');
  });
}
