/** The order flow of language.e2e.test.ts on the real broker: the same REST calls, Kafka underneath. */
import { test } from 'node:test';
import { ensureKafka, kafkaSkip } from '@orchestrator-lite/testing';
import { startEngine } from './language-engine.js';
import { orderFlow } from './language-flows.js';

void test('on Kafka: switch and join, forEach, sleep, signal, and a child workflow', { skip: kafkaSkip(), timeout: 180_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  const e = await startEngine(t, { brokers });
  await orderFlow(e);
});
