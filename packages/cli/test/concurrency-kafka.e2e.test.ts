/** The concurrency flow of concurrency.e2e.test.ts on the real broker. */
import { test } from 'node:test';
import { ensureKafka, kafkaSkip } from '@orchestrator-lite/testing';
import { startEngine } from './language-engine.js';
import { concurrencyFlow } from './concurrency-flows.js';

void test('on Kafka: a concurrency key holds the second run of a customer PENDING until the first ends', { skip: kafkaSkip(), timeout: 180_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  const e = await startEngine(t, { brokers });
  await concurrencyFlow(e);
});
