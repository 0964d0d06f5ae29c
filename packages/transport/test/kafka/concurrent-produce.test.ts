import * as assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Producer } from '@platformatic/kafka';
import { createKafkaTransport } from '../../src/kafka/index.js';
import type { ConsumedRecord, RecordMetadata, Transport } from '../../src/types.js';
import { ensureKafka, kafkaSkip, randomPrefix } from './broker.js';

async function readAll(transport: Transport, topic: string, partition: number): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  for await (const batch of transport.readPartition(topic, partition)) out.push(...batch);
  return out;
}

/** Each partition holds exactly `expected` (in that order), once. */
function assertExactly(read: ConsumedRecord[], expected: string[], where: string): void {
  const keys = read.map((r) => r.value?.toString() ?? '');
  assert.equal(new Set(keys).size, keys.length, `${where}: no record twice`);
  assert.deepEqual(keys, expected, `${where}: every record, in call order`);
}

void describe('concurrent produces on a real broker', { skip: kafkaSkip(), timeout: 120_000 }, () => {
  let brokers: string[];
  let transport: Transport;
  before(async () => {
    brokers = await ensureKafka();
    transport = createKafkaTransport({ brokers, clientId: 'concurrent-produce-test' });
  });
  after(() => transport?.close());

  // With the 1.x client, two sends in flight to one partition carried the same sequence number and
  // the broker acknowledged the second without writing it. 2.x numbers each send when it is made.
  // (The transport still keeps one send in flight: see SendPipeline for sends spanning partitions.)
  void test('the idempotent producer of the client loses and reorders nothing when single-partition sends overlap', async () => {
    const topic = `${randomPrefix()}client`;
    await transport.ensureTopics([{ name: topic, partitions: 2 }]);
    const producer = new Producer({ clientId: 'concurrent-produce-client', bootstrapBrokers: brokers, idempotent: true, acks: -1 });
    try {
      const expected: string[][] = [[], []];
      const sends = [];
      for (let i = 0; i < 300; i++) {
        const partition = i % 3 === 0 ? 1 : 0;
        const batch = Array.from({ length: 1 + (i % 3) }, (_, j) => `${i}.${j}`);
        expected[partition]!.push(...batch);
        // Not awaited: up to 300 sends in flight at once.
        sends.push(producer.send({ messages: batch.map((v) => ({ topic, partition, key: Buffer.from(v), value: Buffer.from(v) })) }));
      }
      await Promise.all(sends);
      assertExactly(await readAll(transport, topic, 0), expected[0]!, 'partition 0');
      assertExactly(await readAll(transport, topic, 1), expected[1]!, 'partition 1');
    } finally {
      await producer.close();
    }
  });

  void test('transport.produce keeps every record of concurrent calls, in call order per partition, with their offsets', async () => {
    const topic = `${randomPrefix()}transport`;
    await transport.ensureTopics([{ name: topic, partitions: 3 }]);
    const expected: string[][] = [[], [], []];
    const calls: Promise<RecordMetadata[]>[] = [];
    const values: string[][] = [];
    for (let i = 0; i < 400; i++) {
      const batch = Array.from({ length: 1 + (i % 4) }, (_, j) => ({ partition: (i + j) % 3, value: `${i}.${j}` }));
      for (const r of batch) expected[r.partition]!.push(r.value);
      values.push(batch.map((r) => r.value));
      calls.push(transport.produce(batch.map((r) => ({ topic, key: r.value, partition: r.partition, value: Buffer.from(r.value) }))));
      // Some calls in the same turn, some in later turns, so sends are both merged and overlapped.
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
    }
    const metadata = await Promise.all(calls);
    const read = [0, 1, 2].map(() => [] as ConsumedRecord[]);
    for (const p of [0, 1, 2]) {
      read[p] = await readAll(transport, topic, p);
      assertExactly(read[p]!, expected[p]!, `partition ${p}`);
    }
    // The offsets each call was given are where its records are.
    metadata.forEach((m, i) => {
      m.forEach((at, j) => {
        const record = read[at.partition]!.find((r) => r.offset === at.offset);
        assert.equal(record?.value?.toString(), values[i]![j], `call ${i} record ${j} at ${at.partition}/${at.offset}`);
      });
    });
  });
});
