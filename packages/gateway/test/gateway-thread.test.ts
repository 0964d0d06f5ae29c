/**
 * The gateway on a thread of its own (as under `orch start`), on the real embedded bus served from
 * the test's thread: its REST and live stream work over the forwarded transport, `/metrics` carries
 * the registries of this thread, and closing it leaves the bus open for the roles that share it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Counter, Registry } from 'prom-client';
import { topicNames } from '@orchestrator-lite/core';
import { createEmbeddedTransport } from '@orchestrator-lite/transport';
import type { EmbeddedTransport } from '@orchestrator-lite/transport';
import { startGatewayThread } from '../src/index.js';
import { DEFINITION, http, openStream, produceEvents, runStarted, runSucceeded, waitFor } from './helpers.js';
import type { CleanupContext } from './helpers.js';

/** An embedded bus in a temp folder, closed and removed after the test. */
async function openBus(t: CleanupContext): Promise<EmbeddedTransport> {
  const dataDir = await mkdtemp(join(tmpdir(), 'orch-gateway-thread-'));
  const transport = createEmbeddedTransport({ dataDir, synchronous: 'normal', pollIntervalMs: 20 });
  t.after(async () => {
    await transport.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return transport;
}

test('a gateway on its own thread serves REST, the stream and this thread\'s metrics, and closes without closing the bus', async (t) => {
  const transport = await openBus(t);
  const topicPrefix = `t${randomUUID().slice(0, 8)}.`;
  const names = topicNames(topicPrefix);
  const registry = new Registry();
  new Counter({ name: 'orch_test_beside_total', help: 'a metric of the thread that runs the other roles', registers: [registry] }).inc(3);

  const gateway = await startGatewayThread({ transport, gateway: { topicPrefix, host: '127.0.0.1', port: 0, partitions: 3 }, metricsFrom: [registry], logLevel: 'silent' });
  let closed = false;
  t.after(async () => {
    if (!closed) await gateway.close();
  });
  await gateway.whenReady();
  assert.match(gateway.url, /^http:\/\/127\.0\.0\.1:\d+$/);

  // A write through the thread lands on the bus of this one.
  const registered = await http(gateway.url, 'PUT', `/api/v1/workflows/${DEFINITION.name}`, DEFINITION);
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const ends = await transport.endOffsets(names.definitions);
  assert.equal(ends.reduce((a, b) => a + b, 0), 1);

  // Events written here reach the thread's read model and its live stream.
  const stream = openStream(t, gateway.url, '');
  await stream.opened;
  await produceEvents(transport, names, [runStarted('r1'), runSucceeded('r1', 2)]);
  await waitFor(async () => (await http(gateway.url, 'GET', '/api/v1/runs/r1')).status === 200, 'the run in the thread\'s read model');
  await waitFor(() => stream.frames.filter((f) => f.runId === 'r1').length >= 2, 'the run\'s events on the stream');
  assert.deepEqual(
    stream.frames.filter((f) => f.runId === 'r1').map((f) => f.type),
    ['RunStarted', 'RunSucceeded'],
  );

  const metrics = await http(gateway.url, 'GET', '/metrics');
  const text = String(metrics.body);
  assert.match(text, /^orch_test_beside_total 3$/m, 'the registry of this thread');
  assert.match(text, /^orch_bus_write_records_total [1-9]\d*$/m, 'the bus\'s writes, counted where it runs');

  await gateway.close();
  closed = true;
  await assert.rejects(fetch(`${gateway.url}/healthz`), 'nothing listens once closed');
  // The bus is still open for the roles that share it.
  const [written] = await transport.produce([{ topic: names.events, key: 'r2', value: Buffer.from('{}') }]);
  assert.ok(written!.offset >= 0);
});

test('a gateway thread that cannot start says why, and leaves the bus open', async (t) => {
  const transport = await openBus(t);
  await assert.rejects(
    startGatewayThread({ transport, gateway: { host: '127.0.0.1', port: 0, bodyLimitBytes: -1 }, logLevel: 'silent' }),
    /The gateway's thread could not start: .*bodyLimitBytes/,
  );
  await transport.ensureTopics([{ name: 'still-open', partitions: 1 }]);
});
