import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { encodeMessage, topicNames } from '@orchestrator-lite/core';
import type { RegisteredWorkflow } from '@orchestrator-lite/core';
import { createEmbeddedTransport, provisionTopics } from '@orchestrator-lite/transport';
import type { ConsumedRecord } from '@orchestrator-lite/transport';
import { startGateway } from '../src/index.js';
import { DEFINITION, http, produceEvents, runStarted, startTestGateway, stepLog, waitFor } from './helpers.js';

void test('undecodable records go to the dead-letter topic with the reason and origin, and the stream goes on', async (t) => {
  const { url, transport, names, gateway } = await startTestGateway(t);
  await transport.produce([
    { topic: names.events, key: 'bad', value: Buffer.from('not json'), partition: 0 },
    { topic: names.events, key: 'bad', value: encodeMessage({ runId: 'bad', seq: 1, type: 'NoSuchEvent', at: 1, data: {} }), partition: 0 },
    { topic: names.definitions, key: 'x@1', value: Buffer.from('{"name":5}') },
  ]);
  await produceEvents(transport, names, [runStarted('good'), stepLog('good', 2)]);
  await waitFor(async () => (await gateway.readModel.getRun('good'))?.lastSeq === 2, 'the good run after the bad records');

  const dead: ConsumedRecord[] = [];
  await waitFor(async () => {
    dead.length = 0;
    for await (const batch of transport.readPartition(names.dlq, 0)) dead.push(...batch);
    return dead.length >= 3;
  }, 'three dead letters');
  assert.equal(dead.length, 3);
  const fromEvents = dead.filter((r) => r.headers.sourceTopic === names.events);
  assert.equal(fromEvents.length, 2);
  assert.deepEqual(
    fromEvents.map((r) => r.headers.sourceOffset),
    ['0', '1'],
  );
  assert.ok(fromEvents.every((r) => r.headers.sourcePartition === '0' && r.key === 'bad'));
  assert.match(fromEvents[0]?.headers.reason ?? '', /JSON/);
  assert.equal(fromEvents[0]?.value?.toString(), 'not json');
  const fromDefinitions = dead.find((r) => r.headers.sourceTopic === names.definitions);
  assert.ok(fromDefinitions?.headers.reason);

  const metrics = String((await http(url, 'GET', '/metrics')).body);
  assert.match(metrics, new RegExp(`orch_gateway_dlq_records_total\\{topic="${names.events.replace(/\./g, '\\.')}"\\} 2`));
  assert.equal((await http(url, 'GET', '/healthz')).status, 200);
});

void test('/readyz turns 200 only once the history that existed at start has been projected', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'orch-gateway-'));
  const transport = createEmbeddedTransport({ dataDir, synchronous: 'normal', pollIntervalMs: 20 });
  t.after(async () => {
    await transport.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  const names = topicNames('ready.');
  await provisionTopics(transport, names, { partitions: 3 });
  const runs = 300;
  const events = [];
  for (let i = 0; i < runs; i++) events.push(runStarted(`r${i}`, i), stepLog(`r${i}`, 2));
  await produceEvents(transport, names, events);
  const registered: RegisteredWorkflow = { name: 'orders', version: 1, definition: DEFINITION, registeredAt: 1 };
  await transport.produce([{ topic: names.definitions, key: 'orders@1', value: encodeMessage(registered) }]);

  const gateway = await startGateway({ transport, topicPrefix: 'ready.', port: 0, partitions: 3, logger: pino({ level: 'silent' }) });
  t.after(() => gateway.close());
  let sawNotReady = false;
  await waitFor(async () => {
    const res = await http(gateway.url, 'GET', '/readyz');
    if (res.status === 503) {
      sawNotReady = true;
      assert.equal((res.body as { error: { code: string } }).error.code, 'ORCH_UNAVAILABLE');
    }
    if (res.status !== 200) return false;
    // The moment it says ready, everything that was on the bus at start is visible.
    assert.equal(await gateway.readModel.runCount(), runs);
    assert.equal((await http(gateway.url, 'GET', '/api/v1/workflows/orders')).status, 200);
    return true;
  }, 'readiness');
  assert.equal((await http(gateway.url, 'GET', '/healthz')).status, 200);
  t.diagnostic(`503 observed before ready: ${String(sawNotReady)}`);
});
