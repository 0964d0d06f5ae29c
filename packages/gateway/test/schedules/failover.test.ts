/**
 * Two gateways share the firing of schedules through one consumer group. When the one that owns
 * a schedule leaves, the other takes it over: it fires what is owed, and no fire time twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { decodeRunInput, topicNames } from '@orchestrator-lite/core';
import { createEmbeddedTransport } from '@orchestrator-lite/transport';
import { startGateway } from '../../src/index.js';
import type { GatewayHandle } from '../../src/index.js';
import { DEFINITION, http, waitFor } from '../helpers.js';

void test('a schedule fires once per fire time across a failover of the gateway that fires it', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'orch-sched-'));
  const transport = createEmbeddedTransport({ dataDir, synchronous: 'normal', pollIntervalMs: 20 });
  const topicPrefix = `t${randomUUID().slice(0, 8)}.`;
  const names = topicNames(topicPrefix);
  let now = Date.parse('2026-01-01T00:00:30Z');
  const start = async (instanceId: string): Promise<GatewayHandle> => {
    const g = await startGateway({ transport, topicPrefix, instanceId, host: '127.0.0.1', port: 0, partitions: 3, logger: pino({ level: 'silent' }), clock: () => now, scheduler: { tickMs: 0 } });
    await waitFor(() => g.isReady(), `${instanceId} to be ready`);
    return g;
  };
  const a = await start('a');
  const b = await start('b');
  t.after(async () => {
    await a.close();
    await b.close();
    await transport.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  await http(a.url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  assert.equal((await http(a.url, 'PUT', '/api/v1/schedules/minutely', { workflow: 'orders', cron: '* * * * *', overlap: 'allow' })).status, 201);
  await waitFor(() => a.schedules.ownedPartitions().length + b.schedules.ownedPartitions().length === 3, 'the partitions to be shared');
  const partition = a.schedules.store?.partitionOf('minutely') ?? -1;
  const [owner, other] = a.schedules.ownedPartitions().includes(partition) ? [a, b] : [b, a];
  await waitFor(() => other.schedules.store?.get('minutely') !== undefined, 'both gateways to know the schedule');

  now = Date.parse('2026-01-01T00:01:00Z');
  await Promise.all([owner.schedules.tick(), other.schedules.tick()]);

  // The owner leaves; the other takes the partition over and owes the firing of 00:02.
  await owner.close();
  await waitFor(() => other.schedules.ownedPartitions().length === 3, 'the other gateway to own every partition');
  now = Date.parse('2026-01-01T00:02:10Z');
  await other.schedules.tick();
  await other.schedules.tick();

  const keys: string[] = [];
  for (let p = 0; p < 3; p += 1) {
    for await (const batch of transport.readPartition(names.commands, p)) {
      for (const r of batch) {
        const c = decodeRunInput(r.value);
        if (c.type === 'StartRun' && c.idempotencyKey !== undefined) keys.push(c.idempotencyKey);
      }
    }
  }
  assert.deepEqual(keys.sort(), ['schedule:minutely:2026-01-01T00:01:00.000Z', 'schedule:minutely:2026-01-01T00:02:00.000Z']);
  const item = (await http(other.url, 'GET', '/api/v1/schedules/minutely')).body as { lastFireAt: number; lastRuns: { fireAt: number }[] };
  assert.equal(item.lastFireAt, Date.parse('2026-01-01T00:02:00Z'));
  assert.deepEqual(item.lastRuns.map((r) => r.fireAt), [Date.parse('2026-01-01T00:02:00Z'), Date.parse('2026-01-01T00:01:00Z')]);
});
