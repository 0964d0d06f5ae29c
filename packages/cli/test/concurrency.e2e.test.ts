/** Concurrency keys end to end over REST, on the embedded bus (the same flow runs on Kafka in concurrency-kafka). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startEngine } from './language-engine.js';
import { concurrencyFlow } from './concurrency-flows.js';

void test('a concurrency key holds the second run of a customer PENDING with its reason until the first ends', { timeout: 120_000 }, async (t) => {
  const e = await startEngine(t);
  await concurrencyFlow(e);
});

void test('a definition whose concurrency key reads a step is a 422 naming the field', { timeout: 60_000 }, async (t) => {
  const e = await startEngine(t);
  const r = await e.call('PUT', '/api/v1/workflows/bad.key', { name: 'bad.key', concurrency: { key: 'steps.a.output', limit: 1 }, steps: [{ id: 'a', task: 'lang.echo' }] });
  assert.equal(r.status, 422);
  assert.match(JSON.stringify(r.body), /concurrency\.key/);
});
