import * as assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, test } from 'node:test';
import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import { partitionFor } from '../../src/partitioner.js';
import { createKafkaTransport, RECORD_LEGS_CHANNEL, type RecordLegs } from '../../src/kafka/index.js';
import type { ConsumedRecord, Consumer, Transport } from '../../src/types.js';
import { ensureKafka, kafkaSkip, randomPrefix, waitUntil } from './broker.js';

void describe('kafka transport on a real broker', { skip: kafkaSkip(), timeout: 120_000 }, () => {
  let brokers: string[];
  let transport: Transport;
  before(async () => {
    brokers = await ensureKafka();
    transport = createKafkaTransport({ brokers, clientId: 'kafka-transport-test' });
  });
  after(() => transport?.close());

  void test('ensureTopics creates compacted topics with compaction settings and checks partition counts', async () => {
    const p = randomPrefix();
    await transport.ensureTopics([{ name: `${p}state`, partitions: 3, compacted: true }, { name: `${p}events`, partitions: 2 }]);
    await transport.ensureTopics([{ name: `${p}state`, partitions: 3, compacted: true }]); // idempotent
    assert.equal(await transport.partitionCount(`${p}state`), 3);
    await assert.rejects(transport.ensureTopics([{ name: `${p}events`, partitions: 4 }]), new RegExp(`${p.replace('.', '\\.')}events has 2 partitions, expected 4`));
    await assert.rejects(transport.ensureTopics([{ name: 'bad name!', partitions: 1 }]), /specs\[0\]\.name/);

    const admin = new Admin({ clientId: 'kafka-transport-test-admin', bootstrapBrokers: brokers });
    try {
      const [state, events] = await admin.describeConfigs({
        resources: [
          { resourceType: ConfigResourceTypes.TOPIC, resourceName: `${p}state`, configurationKeys: ['cleanup.policy', 'segment.ms', 'min.cleanable.dirty.ratio'] },
          { resourceType: ConfigResourceTypes.TOPIC, resourceName: `${p}events`, configurationKeys: ['cleanup.policy'] },
        ],
      });
      const config = (d: typeof state, name: string) => d?.configs.find((c) => c.name === name)?.value;
      assert.equal(config(state, 'cleanup.policy'), 'compact');
      assert.equal(config(state, 'segment.ms'), '10000');
      assert.equal(config(state, 'min.cleanable.dirty.ratio'), '0.01');
      assert.equal(config(events, 'cleanup.policy'), 'delete');
    } finally {
      await admin.close();
    }
  });

  void test('with retentionMs, the topics it creates that are not compacted keep their records that long', async () => {
    const p = randomPrefix();
    const kept = createKafkaTransport({ brokers, clientId: 'kafka-transport-test-retention', retentionMs: 3_600_000 });
    const admin = new Admin({ clientId: 'kafka-transport-test-admin', bootstrapBrokers: brokers });
    try {
      await kept.ensureTopics([{ name: `${p}events`, partitions: 1 }, { name: `${p}state`, partitions: 1, compacted: true }]);
      const [events, state] = await admin.describeConfigs({
        resources: [`${p}events`, `${p}state`].map((resourceName) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName, configurationKeys: ['retention.ms'] })),
      });
      const retention = (d: typeof events) => d?.configs.find((c) => c.name === 'retention.ms');
      assert.equal(retention(events)?.value, '3600000');
      assert.notEqual(retention(state)?.value, '3600000', 'a compacted topic keeps the broker default');
      assert.throws(() => createKafkaTransport({ brokers, retentionMs: 0 }), /retentionMs must be a positive integer, or -1/);
    } finally {
      await admin.close();
      await kept.close();
    }
  });

  void test('produce places keys with the Java murmur2 partitioner and returns consecutive offsets', async () => {
    const topic = `${randomPrefix()}commands`;
    await transport.ensureTopics([{ name: topic, partitions: 4 }]);
    const keys = Array.from({ length: 40 }, (_, i) => `run-${i}`);
    const meta = await transport.produce(keys.map((key, i) => ({ topic, key, value: Buffer.from(String(i)), headers: { i: String(i) } })));
    const next = new Map<number, number>();
    meta.forEach((m, i) => {
      assert.equal(m.partition, partitionFor(keys[i]!, 4));
      assert.equal(m.offset, next.get(m.partition) ?? 0);
      next.set(m.partition, m.offset + 1);
    });
    assert.deepEqual(await transport.endOffsets(topic), [0, 1, 2, 3].map((p) => next.get(p) ?? 0));
    const explicit = await transport.produce([{ topic, key: 'run-0', value: null, partition: 3 }]);
    assert.equal(explicit[0]?.partition, 3);
    await assert.rejects(transport.produce([{ topic, key: 'k', value: null, partition: 9 }]), /records\[0\]\.partition 9 is out of range/);
    await assert.rejects(transport.produce([{ topic: `${topic}-missing`, key: 'k', value: null }]), /Unknown topic/);
  });

  void test('one produce call of more than a broker takes in a batch lands whole, in order, with consecutive offsets', async () => {
    const topic = `${randomPrefix()}tasks`;
    await transport.ensureTopics([{ name: topic, partitions: 1 }]);
    // 3,000 records of 1 KB to one partition: about 3 MB, three times message.max.bytes.
    const records = Array.from({ length: 3000 }, (_, i) => ({ topic, key: 'run-1', value: Buffer.from(String(i).padEnd(1000, '.')) }));
    const meta = await transport.produce(records);
    assert.deepEqual(
      meta.map((m) => m.offset),
      records.map((_, i) => i),
    );
    assert.deepEqual(await transport.endOffsets(topic), [3000]);
    const read: string[] = [];
    for await (const batch of transport.readPartition(topic, 0)) for (const r of batch) read.push(r.value!.toString().replace(/\.+$/, ''));
    assert.deepEqual(
      read,
      records.map((_, i) => String(i)),
    );
  });

  void test('readPartition reads a range, with headers and tombstones, and is fast for many records', async () => {
    const topic = `${randomPrefix()}state`;
    await transport.ensureTopics([{ name: topic, partitions: 1, compacted: true }]);
    const total = 20_000;
    for (let i = 0; i < total; i += 2000) {
      await transport.produce(Array.from({ length: 2000 }, (_, j) => ({
        topic, key: `run-${(i + j) % 500}`, value: (i + j) % 1000 === 999 ? null : Buffer.from(`v${i + j}`), headers: { n: String(i + j) },
      })));
    }
    const started = Date.now();
    const all: ConsumedRecord[] = [];
    for await (const batch of transport.readPartition(topic, 0)) all.push(...batch);
    const elapsed = Date.now() - started;
    assert.equal(all.length, total);
    assert.deepEqual(all.slice(0, 3).map((r) => r.offset), [0, 1, 2]);
    assert.equal(all[5]?.headers.n, '5');
    assert.equal(all[999]?.value, null);
    assert.equal(all[998]?.value?.toString(), 'v998');
    assert.ok(elapsed < 15_000, `read ${total} records in ${elapsed} ms`);

    const range: number[] = [];
    for await (const batch of transport.readPartition(topic, 0, { from: 100, to: 110 })) range.push(...batch.map((r) => r.offset));
    assert.deepEqual(range, [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    await assert.rejects(async () => { for await (const _ of transport.readPartition(topic, 1)) break; }, /partition 1 is out of range/);
  });

  void test('a group delivers each partition in order, commits, and splits co-partitioned topics between members', async () => {
    const p = randomPrefix();
    const topics = [`${p}commands`, `${p}state`];
    await transport.ensureTopics(topics.map((name) => ({ name, partitions: 4 })));
    const groupId = `${p}group`;
    const seen: ConsumedRecord[] = [];
    const consumers: Consumer[] = [];
    const make = async (): Promise<Consumer> => {
      const c: Consumer = await transport.subscribe({
        groupId,
        topics,
        maxBatch: 7,
        onError: (error) => { throw error; },
        onBatch: async (records) => {
          assert.ok(records.length <= 7);
          seen.push(...records);
          const last = records.at(-1)!;
          await c.commit([{ topic: last.topic, partition: last.partition, offset: last.offset + 1 }]);
        },
      });
      consumers.push(c);
      return c;
    };
    const first = await make();
    assert.equal(first.assignments().length, 8);
    await make();
    // Both members hold partition p of both topics together.
    await waitUntil(() => consumers.every((c) => c.assignments().length === 4), 30_000, 'two members with 4 partitions each');
    for (const c of consumers) {
      const parts = c.assignments();
      const byTopic = (t: string) => parts.filter((tp) => tp.topic === t).map((tp) => tp.partition).sort();
      assert.deepEqual(byTopic(topics[0]!), byTopic(topics[1]!));
      assert.equal(byTopic(topics[0]!).length, 2);
    }

    const records = Array.from({ length: 200 }, (_, i) => ({ topic: topics[i % 2]!, key: `run-${i % 13}`, value: Buffer.from(String(i)) }));
    const meta = await transport.produce(records);
    await waitUntil(() => seen.length >= 200, 30_000, 'all 200 records');
    for (const topic of topics) {
      for (let part = 0; part < 4; part++) {
        const offsets = seen.filter((r) => r.topic === topic && r.partition === part).map((r) => r.offset);
        assert.deepEqual(offsets, offsets.slice().sort((a, b) => a - b), 'in order');
        assert.equal(new Set(offsets).size, offsets.length, 'no duplicates');
      }
      const expected = await transport.endOffsets(topic);
      await waitUntil(async () => JSON.stringify(await transport.committedOffsets(groupId, topic)) === JSON.stringify(expected), 10_000, 'commits');
    }
    assert.equal(meta.length, 200);
    await Promise.all(consumers.map((c) => c.close()));
    await Promise.all(consumers.map((c) => c.close())); // idempotent
    assert.deepEqual(await transport.committedOffsets(`${p}other`, topics[0]!), [-1, -1, -1, -1]);
  });

  void test('commit with produce writes the records before the offsets', async () => {
    const p = randomPrefix();
    await transport.ensureTopics([{ name: `${p}in`, partitions: 1 }, { name: `${p}out`, partitions: 1 }]);
    await transport.produce([{ topic: `${p}in`, key: 'a', value: Buffer.from('x') }]);
    const done: string[] = [];
    const c: Consumer = await transport.subscribe({
      groupId: `${p}g`,
      topics: [`${p}in`],
      onBatch: async (records) => {
        const last = records.at(-1)!;
        await c.commit([{ topic: last.topic, partition: 0, offset: last.offset + 1 }], [{ topic: `${p}out`, key: 'a', value: Buffer.from('y') }]);
        done.push(last.key);
      },
    });
    await waitUntil(() => done.length === 1, 20_000, 'one batch');
    assert.deepEqual(await transport.endOffsets(`${p}out`), [1]);
    assert.deepEqual(await transport.committedOffsets(`${p}g`, `${p}in`), [1]);
    await c.close();
  });

  void test('a member that joins later starts from the committed offsets, or from latest when asked', async () => {
    const p = randomPrefix();
    const topic = `${p}t`;
    await transport.ensureTopics([{ name: topic, partitions: 1 }]);
    await transport.produce([0, 1, 2].map((i) => ({ topic, key: 'k', value: Buffer.from(String(i)) })));
    const got: number[] = [];
    const c: Consumer = await transport.subscribe({ groupId: `${p}g`, topics: [topic], onBatch: async (rs) => { got.push(...rs.map((r) => r.offset)); await c.commit([{ topic, partition: 0, offset: 2 }]); } });
    await waitUntil(() => got.length === 3, 20_000, 'three records');
    await c.close();
    const again: number[] = [];
    const c2 = await transport.subscribe({ groupId: `${p}g`, topics: [topic], onBatch: async (rs) => { again.push(...rs.map((r) => r.offset)); } });
    await waitUntil(() => again.length >= 1, 20_000, 'redelivery from the committed offset');
    assert.deepEqual(again, [2]);
    await c2.close();
    const latest: number[] = [];
    const c3 = await transport.subscribe({ groupId: `${p}g-latest`, topics: [topic], from: 'latest', onBatch: async (rs) => { latest.push(...rs.map((r) => r.offset)); } });
    await transport.produce([{ topic, key: 'k', value: Buffer.from('3') }]);
    await waitUntil(() => latest.length >= 1, 20_000, 'the new record');
    assert.deepEqual(latest, [3]);
    await c3.close();
  });

  void test('closing with produce calls still queued leaves no client behind: the late calls fail', async () => {
    const p = randomPrefix();
    const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const before = sockets();
    const short = createKafkaTransport({ brokers, clientId: 'kafka-transport-test-close' });
    await short.ensureTopics([{ name: `${p}t`, partitions: 1 }]);
    await short.produce([{ topic: `${p}t`, key: 'k', value: Buffer.from('first') }]);
    // Many calls, none awaited: a send of at most 512 KB goes, the rest queue behind it while close() runs.
    const calls = Array.from({ length: 50 }, (_, i) => short.produce([{ topic: `${p}t`, key: 'k', value: Buffer.alloc(20_000, i) }]));
    const settled = Promise.allSettled(calls);
    await short.close();
    const outcomes = await settled;
    assert.ok(outcomes.every((o) => o.status === 'fulfilled' || /closed/i.test(String((o.reason as Error).message))), 'a call either landed or failed because the transport closed');
    await waitUntil(() => sockets() <= before, 5000, 'the transport to close every connection it opened');
  });

  void test('a partition assigned while the fetch waits at the broker gets its records at once, and once', async () => {
    const p = randomPrefix();
    const maxWaitMs = 4000;
    const slow = createKafkaTransport({ brokers, clientId: 'kafka-transport-test-express', fetchMaxWaitMs: maxWaitMs });
    try {
      await slow.ensureTopics([{ name: `${p}idle`, partitions: 1 }, { name: `${p}late`, partitions: 1 }]);
      const idle = await slow.subscribe({ groupId: `${p}idle`, topics: [`${p}idle`], onBatch: async () => undefined });
      // The session's fetch of the idle topic is now waiting at the broker for up to maxWaitMs.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const delivered: number[] = [];
      let arrivedAt = 0;
      const late = await slow.subscribe({
        groupId: `${p}late`,
        topics: [`${p}late`],
        onBatch: async (records) => {
          arrivedAt ||= Date.now();
          delivered.push(...records.map((r) => r.offset));
        },
      });
      const sentAt = Date.now();
      await slow.produce([{ topic: `${p}late`, key: 'k', value: Buffer.from('v') }]);
      await waitUntil(() => delivered.length > 0, 20_000, 'the record of the partition assigned later');
      assert.ok(arrivedAt - sentAt < maxWaitMs / 2, `delivered ${arrivedAt - sentAt} ms after it was written: it waited for the fetch in flight`);
      // Once the fetch in flight has returned, the next one holds the partition too: still one delivery.
      await new Promise((resolve) => setTimeout(resolve, maxWaitMs));
      assert.deepEqual(delivered, [0]);
      await Promise.all([idle.close(), late.close()]);
    } finally {
      await slow.close();
    }
  });
  void test('while a tool listens, the record legs name each record from its produce call to its delivery', async () => {
    const p = randomPrefix();
    const topic = `${p}legs`;
    await transport.ensureTopics([{ name: topic, partitions: 2 }]);
    const messages: RecordLegs[] = [];
    const listen = (m: unknown) => {
      const legs = m as RecordLegs;
      if (legs.records.some((r) => r.topic === topic)) messages.push(legs);
    };
    subscribe(RECORD_LEGS_CHANNEL, listen);
    try {
      const before = performance.timeOrigin + performance.now();
      const placed = await transport.produce(['a', 'b', 'c'].map((key) => ({ topic, key, value: Buffer.from(key) })));
      const got: ConsumedRecord[] = [];
      const c = await transport.subscribe({ groupId: `${p}g`, topics: [topic], onBatch: async (rs) => void got.push(...rs) });
      await waitUntil(() => got.length === 3, 20_000, 'three records');
      await c.close();
      const places = (rs: readonly { topic: string; partition: number; offset: number }[]) => rs.map((r) => `${r.partition}/${r.offset}`).sort();
      const produced = messages.filter((m) => m.kind === 'produced');
      assert.equal(produced.length, 1, 'one request carried the three records');
      const [request] = produced;
      assert.ok(request?.kind === 'produced');
      assert.deepEqual(places(request.records), places(placed));
      for (const r of request.records) assert.ok(before <= r.queuedAt && r.queuedAt <= request.sentAt && request.sentAt <= request.acknowledgedAt, 'queued, then sent, then acknowledged');
      for (const kind of ['fetched', 'delivered'] as const) {
        const reads = messages.filter((m) => m.kind === kind);
        assert.deepEqual(places(reads.flatMap((m) => m.records)), places(placed), `each record ${kind} once`);
        for (const m of reads) assert.ok(m.kind === kind && m.group === `${p}g` && m.at >= request.sentAt);
      }
    } finally {
      unsubscribe(RECORD_LEGS_CHANNEL, listen);
    }
  });
});
