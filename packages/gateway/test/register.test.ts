import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startGateway } from '../src/index.js';
import type { GatewayHandle } from '../src/index.js';
import { DEFINITION, http, startTestGateway, waitFor } from './helpers.js';
import type { TestGateway } from './helpers.js';

/**
 * A second gateway on the same bus and topics as `a`. It is closed before `a` closes the shared
 * transport (a's cleanup was registered first, and cleanups run in order).
 */
async function withSecondGateway(a: TestGateway, fn: (b: GatewayHandle) => Promise<void>): Promise<void> {
  const b = await startGateway({ transport: a.transport, topicPrefix: a.names.commands.replace(/commands$/, ''), host: '127.0.0.1', port: 0, partitions: 3, logger: pino({ level: 'silent' }) });
  try {
    await waitFor(() => b.isReady(), 'the second gateway to be ready');
    await fn(b);
  } finally {
    await b.close();
  }
}

void test('two gateways registering changed definitions at once get consecutive versions, never one number twice', async (t) => {
  const a = await startTestGateway(t);
  await withSecondGateway(a, async (b) => {
  assert.equal((await http(a.url, 'PUT', '/api/v1/workflows/orders', DEFINITION)).status, 201);
  await waitFor(async () => (await http(b.url, 'GET', '/api/v1/workflows/orders')).status === 200, 'version 1 on the second gateway');

  const bodies = Array.from({ length: 10 }, (_, i) => ({ ...DEFINITION, description: `change ${i}` }));
  const answers = await Promise.all(bodies.map((body, i) => http(i % 2 === 0 ? a.url : b.url, 'PUT', '/api/v1/workflows/orders', body)));
  assert.deepEqual(answers.map((r) => r.status), bodies.map(() => 201));
  const versions = answers.map((r) => (r.body as { version: number }).version);
  assert.deepEqual([...versions].sort((x, y) => x - y), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 'each version handed out once');

  // Both gateways agree on the body of every version: the one its registration sent.
  for (const url of [a.url, b.url]) {
    for (const [i, version] of versions.entries()) {
      await waitFor(async () => (await http(url, 'GET', `/api/v1/workflows/orders?version=${version}`)).status === 200, `version ${version}`);
      const got = await http(url, 'GET', `/api/v1/workflows/orders?version=${version}`);
      assert.equal((got.body as { definition: { description: string } }).definition.description, `change ${i}`, `${url} version ${version}`);
      assert.equal((got.body as { claim?: string }).claim, undefined, 'the claim id stays internal');
    }
  }
  });
});

void test('the same new definition through two gateways at once is one version: one 201, one 200', async (t) => {
  const a = await startTestGateway(t);
  await withSecondGateway(a, async (b) => {
  const body = { ...DEFINITION, name: 'same', description: 'the same on both' };
  const answers = await Promise.all([http(a.url, 'PUT', '/api/v1/workflows/same', body), http(b.url, 'PUT', '/api/v1/workflows/same', body)]);
  assert.deepEqual(answers.map((r) => r.status).sort(), [200, 201]);
  assert.deepEqual(answers.map((r) => r.body), [{ name: 'same', version: 1 }, { name: 'same', version: 1 }]);
  });
});
