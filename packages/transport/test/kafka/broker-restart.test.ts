import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createKafkaTransport } from '../../src/kafka/index.js';
import type { ConsumedRecord } from '../../src/types.js';
import { freePort, kafkaSh, kafkaSkip, randomPrefix, waitUntil } from './broker.js';

// Restarts a broker, so it runs its own (own state dir and ports) rather than the shared one.
void test('consumers rejoin and producers recover when the broker restarts', { skip: kafkaSkip(), timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'orch-kafka-restart-'));
  const port = await freePort();
  const env = { KAFKA_HOME_DIR: dir, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(await freePort()) };
  t.after(async () => {
    await kafkaSh('down', env).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  await kafkaSh('up', env);

  const transport = createKafkaTransport({ brokers: [`127.0.0.1:${port}`], clientId: 'restart-test', produceTimeoutMs: 30_000 });
  t.after(() => transport.close());
  const p = randomPrefix();
  const topic = `${p}commands`;
  await transport.ensureTopics([{ name: topic, partitions: 2 }]);

  const received = new Map<string, ConsumedRecord>();
  const errors: Error[] = [];
  let assigns = 0;
  const consumer = await transport.subscribe({
    groupId: `${p}group`,
    topics: [topic],
    onAssign: () => { assigns++; },
    onError: (error) => errors.push(error),
    onBatch: async (records) => {
      for (const r of records) received.set(r.value!.toString(), r);
      const last = records.at(-1)!;
      // A commit may fail while the broker is away; the records are then redelivered.
      await consumer.commit([{ topic, partition: last.partition, offset: last.offset + 1 }]).catch(() => undefined);
    },
  });
  const batch = (from: number) => Array.from({ length: 10 }, (_, i) => ({ topic, key: `run-${from + i}`, value: Buffer.from(String(from + i)) }));
  await transport.produce(batch(0));
  await waitUntil(() => received.size === 10, 20_000, 'the first 10 records');

  await kafkaSh('down', env);
  await kafkaSh('up', env);

  // The same transport and consumer, without any intervention.
  await transport.produce(batch(10));
  await waitUntil(() => received.size === 20, 60_000, `all 20 records after the restart (have ${received.size})`);
  assert.deepEqual([...received.keys()].map(Number).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  // The group may rebalance once more after the records came (the coordinator moved back): the
  // member owns nothing between that revoke and the assignment that follows, so wait for it.
  await waitUntil(() => consumer.assignments().length === 2, 30_000, 'the member to own both partitions again');
  assert.deepEqual(errors.filter((e) => !/ECONNREFUSED|closed|timed out|Connection|NOT_COORDINATOR|COORDINATOR/i.test(e.message)), []);
  t.diagnostic(`assignments handed out: ${assigns}; transient errors: ${errors.length}`);
  await consumer.close();
});
