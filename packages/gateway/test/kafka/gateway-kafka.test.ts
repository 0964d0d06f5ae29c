/**
 * The gateway, unchanged, on a real Kafka broker: registry, commands, the read model, readiness
 * and the live stream with resume. `KAFKA_BROKERS` points at a broker, or deploy/kafka starts one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { decodeRunInput } from '@orchestrator-lite/core';
import type { RunEvent, RunInput } from '@orchestrator-lite/core';
import { ensureKafka, kafkaSkip, randomPrefix } from '@orchestrator-lite/testing';
import { createKafkaTransport } from '@orchestrator-lite/transport';
import type { Transport } from '@orchestrator-lite/transport';
import { startGateway } from '../../src/index.js';
import type { GatewayHandle } from '../../src/index.js';
import { DEFINITION, http, openStream, runStarted, stepLog, waitFor } from '../helpers.js';

async function gatewayOn(t: { after(fn: () => Promise<void>): void }, transport: Transport, topicPrefix: string): Promise<GatewayHandle> {
  const gateway = await startGateway({ transport, topicPrefix, port: 0, partitions: 3, logger: pino({ level: 'silent' }) });
  t.after(() => gateway.close());
  await waitFor(() => gateway.isReady(), 'the gateway to be ready on Kafka', 60_000);
  return gateway;
}

async function produce(transport: Transport, topic: string, events: RunEvent[]): Promise<void> {
  const { encodeMessage } = await import('@orchestrator-lite/core');
  await transport.produce(events.map((e) => ({ topic, key: e.runId, value: encodeMessage(e) })));
}

void test('gateway on Kafka: register, start, project events and stream them with resume', { skip: kafkaSkip(), timeout: 180_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  const transport = createKafkaTransport({ brokers, clientId: 'gateway-test' });
  t.after(() => transport.close());
  const prefix = randomPrefix('gw');
  const gateway = await gatewayOn(t, transport, prefix);
  const url = gateway.url;

  assert.equal((await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION)).status, 201);
  assert.equal((await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION)).status, 200);
  const started = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', idempotencyKey: 'k-1' });
  assert.equal(started.status, 202);
  const runId = (started.body as { runId: string }).runId;
  assert.equal((await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', idempotencyKey: 'k-1' })).status, 200);

  // The StartRun command is on the commands topic, keyed by the runId.
  const commands: RunInput[] = [];
  await waitFor(async () => {
    commands.length = 0;
    for (let p = 0; p < 3; p++) {
      for await (const batch of transport.readPartition(`${prefix}commands`, p)) for (const r of batch) if (r.key === runId) commands.push(decodeRunInput(r.value));
    }
    return commands.length > 0;
  }, 'the StartRun command', 30_000);
  assert.deepEqual(
    commands.map((c) => c.type),
    ['StartRun'],
  );

  const all = openStream(t, url, '');
  await all.opened;
  await produce(transport, `${prefix}events`, [runStarted(runId), stepLog(runId, 2), runStarted('other'), stepLog(runId, 3)]);
  await waitFor(async () => (await gateway.readModel.getRun(runId))?.lastSeq === 3, 'the events to be projected', 30_000);
  assert.equal(((await http(url, 'GET', `/api/v1/runs/${runId}`)).body as { status: string }).status, 'RUNNING');

  const one = openStream(t, url, `?runId=${runId}&since=1`);
  await one.opened;
  await one.waitForFrames(2, 30_000);
  await all.waitForFrames(4, 30_000);
  const resumed = openStream(t, url, `?cursor=${String(all.frames[1]?.cursor)}`);
  await resumed.opened;
  await resumed.waitForFrames(2, 30_000);
  await produce(transport, `${prefix}events`, [stepLog(runId, 4)]);
  await one.waitForFrames(3, 30_000);
  await resumed.waitForFrames(3, 30_000);
  assert.deepEqual(
    one.frames.map((f) => f.seq),
    [2, 3, 4],
  );
  assert.deepEqual(
    resumed.frames.map((f) => `${String(f.runId)}#${String(f.seq)}`),
    all.frames.slice(2, 5).map((f) => `${String(f.runId)}#${String(f.seq)}`),
  );

  // A second gateway (its own consumer groups) rebuilds the same picture from the topics.
  const second = await gatewayOn(t, transport, prefix);
  assert.equal(((await http(second.url, 'GET', '/api/v1/workflows/orders')).body as { version: number }).version, 1);
  assert.equal((await second.readModel.getRun(runId))?.lastSeq, 4);
  assert.equal((await http(second.url, 'GET', `/api/v1/runs/${runId}/events?since=2`)).status, 200);
});
