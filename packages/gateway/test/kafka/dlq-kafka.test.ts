/** The dead-letter routes on a real Kafka broker: list with decoded values, redrive to the origin topic. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ensureKafka, kafkaSkip, randomPrefix } from '@orchestrator-lite/testing';
import { createKafkaTransport, deadLetter } from '@orchestrator-lite/transport';
import type { ConsumedRecord } from '@orchestrator-lite/transport';
import { startGateway } from '../../src/index.js';
import { http, waitFor } from '../helpers.js';

void test('DLQ on Kafka: a parked record is listed with its origin and reason, and a redrive puts it back', { skip: kafkaSkip(), timeout: 180_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  const transport = createKafkaTransport({ brokers, clientId: 'gateway-dlq-test' });
  t.after(() => transport.close());
  const prefix = randomPrefix('dlq');
  const gateway = await startGateway({ transport, topicPrefix: prefix, port: 0, partitions: 2, logger: pino({ level: 'silent' }) });
  t.after(() => gateway.close());
  await waitFor(() => gateway.isReady(), 'the gateway to be ready on Kafka', 60_000);

  const original: ConsumedRecord = { topic: `${prefix}results`, partition: 1, offset: 5, key: 'run-k', value: Buffer.from('{"x":1}'), headers: {}, timestamp: 1 };
  await transport.produce([deadLetter(original, 'ORCH_DECODE: test', `${prefix}dlq`, 42)]);

  let items: { id: string; topic: string; reason: string; value: unknown }[] = [];
  await waitFor(async () => {
    items = ((await http(gateway.url, 'GET', '/api/v1/dlq')).body as { items: typeof items }).items;
    return items.length === 1;
  }, 'the dead letter to be listed', 30_000);
  assert.equal(items[0]?.topic, `${prefix}results`);
  assert.equal(items[0]?.reason, 'ORCH_DECODE: test');
  assert.deepEqual(items[0]?.value, { x: 1 });

  const redrive = await http(gateway.url, 'POST', '/api/v1/dlq/redrive', { ids: [items[0]?.id ?? ''] });
  assert.deepEqual(redrive.body, { redriven: 1 });
  const back: ConsumedRecord[] = [];
  await waitFor(async () => {
    back.length = 0;
    for (let p = 0; p < 2; p += 1) for await (const batch of transport.readPartition(`${prefix}results`, p)) back.push(...batch);
    return back.length === 1;
  }, 'the redriven record on its topic', 30_000);
  assert.equal(back[0]?.key, 'run-k');
  assert.equal(back[0]?.value?.toString(), '{"x":1}');
});
