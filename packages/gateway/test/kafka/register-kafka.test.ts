/**
 * Version allocation across gateways on a real broker: two gateways, each with its own client (as
 * two processes would have), register changed definitions of one name at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ensureKafka, kafkaSkip, randomPrefix } from '@orchestrator-lite/testing';
import { createKafkaTransport } from '@orchestrator-lite/transport';
import { startGateway } from '../../src/index.js';
import type { GatewayHandle } from '../../src/index.js';
import { DEFINITION, http, waitFor } from '../helpers.js';

async function gatewayOn(t: { after(fn: () => Promise<void>): void }, brokers: string[], topicPrefix: string, clientId: string): Promise<GatewayHandle> {
  const transport = createKafkaTransport({ brokers, clientId });
  const gateway = await startGateway({ transport, topicPrefix, host: '127.0.0.1', port: 0, partitions: 3, logger: pino({ level: 'silent' }) });
  t.after(async () => {
    await gateway.close();
    await transport.close();
  });
  await waitFor(() => gateway.isReady(), `${clientId} ready on Kafka`, 60_000);
  return gateway;
}

void test('two gateways on Kafka registering changed definitions at once get N+1 and N+2, never two N+1', { skip: kafkaSkip(), timeout: 180_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  const prefix = randomPrefix('reg');
  const a = await gatewayOn(t, brokers, prefix, 'register-a');
  const b = await gatewayOn(t, brokers, prefix, 'register-b');
  assert.equal((await http(a.url, 'PUT', '/api/v1/workflows/orders', DEFINITION)).status, 201);
  await waitFor(async () => (await http(b.url, 'GET', '/api/v1/workflows/orders')).status === 200, 'version 1 on gateway b', 30_000);

  const seen: number[] = [];
  for (let round = 0; round < 5; round++) {
    const bodies = [a, b].map((g, i) => ({ ...DEFINITION, description: `round ${round} via ${i === 0 ? 'a' : 'b'}` }));
    const answers = await Promise.all([a, b].map((g, i) => http(g.url, 'PUT', '/api/v1/workflows/orders', bodies[i])));
    assert.deepEqual(answers.map((r) => r.status), [201, 201], `round ${round}: ${JSON.stringify(answers.map((r) => r.body))}`);
    const versions = answers.map((r) => (r.body as { version: number }).version);
    const base = 2 + round * 2;
    assert.deepEqual([...versions].sort((x, y) => x - y), [base, base + 1], `round ${round}: N+1 and N+2`);
    seen.push(...versions);
    // Both gateways agree on the body of each version.
    for (const [i, version] of versions.entries()) {
      for (const g of [a, b]) {
        await waitFor(async () => (await http(g.url, 'GET', `/api/v1/workflows/orders?version=${version}`)).status === 200, `version ${version} on ${g.url}`, 30_000);
        const got = await http(g.url, 'GET', `/api/v1/workflows/orders?version=${version}`);
        assert.equal((got.body as { definition: { description: string } }).definition.description, bodies[i]!.description);
      }
    }
  }
  assert.equal(new Set(seen).size, seen.length, 'no version twice');
});
