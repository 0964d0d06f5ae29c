/**
 * Two gateways sharing one PostgreSQL read store (the real server; a schema per test, dropped
 * after): what one writes, the other serves and streams live; two writers split the partitions of
 * `events` in one consumer group and write each event once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startGateway } from '../../src/index.js';
import type { GatewayHandle, GatewayOptions } from '../../src/index.js';
import { http, openStream, produceEvents, runStarted, runSucceeded, startTestGateway, stepLog, waitFor } from '../helpers.js';
import { POSTGRES_URL, dropSchema, newSchemaName } from './postgres-helpers.js';

async function sharedPair(
  t: Parameters<typeof startTestGateway>[0],
  second: Partial<GatewayOptions>,
): Promise<{ a: GatewayHandle; b: GatewayHandle; produce: (events: Parameters<typeof produceEvents>[2]) => Promise<unknown> }> {
  const schema = newSchemaName();
  const { transport, names } = await startTestGateway(t);
  const topicPrefix = names.events.slice(0, -'events'.length);
  const base = { transport, topicPrefix, host: '127.0.0.1', port: 0, partitions: 3, readStore: POSTGRES_URL, readStoreSchema: schema, logger: pino({ level: 'silent' }) };
  const a = await startGateway(base);
  const b = await startGateway({ ...base, ...second });
  t.after(async () => {
    await b.close();
    await a.close();
    await dropSchema(schema);
  });
  await waitFor(() => a.isReady() && b.isReady(), 'both gateways to be ready');
  return { a, b, produce: (events) => produceEvents(transport, names, events) };
}

void test('a reading gateway serves and streams live what the writing gateway commits to the shared store', async (t) => {
  const { a, b, produce } = await sharedPair(t, { readStoreWriter: false });
  const all = openStream(t, b.url, '');
  await all.opened;
  await produce([runStarted('r1')]);
  await waitFor(async () => (await b.readModel.getRun('r1')) !== undefined, 'the reader to see the run start');
  const live = openStream(t, b.url, '?runId=r1&since=0');
  await live.waitForFrames(1);
  await produce([stepLog('r1', 2), runStarted('r2'), runSucceeded('r1', 3)]);
  // r1 and r2 may sit on different partitions, written by separate batches.
  await waitFor(async () => (await b.readModel.getRun('r1'))?.status === 'SUCCEEDED' && (await b.readModel.getRun('r2')) !== undefined, 'the reader to see both runs');
  assert.equal((await a.readModel.getRun('r1'))?.status, 'SUCCEEDED');
  const list = (await http(b.url, 'GET', '/api/v1/runs')).body as { items: { runId: string }[]; counts: Record<string, number> };
  assert.deepEqual(list.items.map((r) => r.runId).sort(), ['r1', 'r2']);
  assert.equal(list.counts.SUCCEEDED, 1);
  // Live pushes from the store: every event once, in seq order per run.
  const frames = await live.waitForFrames(3);
  assert.deepEqual(
    frames.map((f) => f.seq),
    [1, 2, 3],
  );
  const everything = await all.waitForFrames(4);
  assert.deepEqual(everything.map((f) => `${String(f.runId)}#${String(f.seq)}`).sort(), ['r1#1', 'r1#2', 'r1#3', 'r2#1']);
  // A cursor issued by the reader resumes on the writer.
  const cursor = String(everything[1]?.cursor);
  const resumed = openStream(t, a.url, `?cursor=${cursor}`);
  const rest = await resumed.waitForFrames(2);
  assert.deepEqual(
    rest.map((f) => `${String(f.runId)}#${String(f.seq)}`).sort(),
    everything.slice(2).map((f) => `${String(f.runId)}#${String(f.seq)}`).sort(),
  );
});

void test('two writing gateways split the partitions in one group and write every event once', async (t) => {
  const { a, b, produce } = await sharedPair(t, {});
  const runs = 30;
  const events = [];
  for (let i = 0; i < runs; i++) events.push(runStarted(`run-${i}`, 1_000 + i), stepLog(`run-${i}`, 2));
  await produce(events);
  await waitFor(async () => (await a.readModel.runCount()) === runs, `${runs} runs in the store`);
  assert.equal(await b.readModel.runCount(), runs);
  for (const gateway of [a, b]) {
    const page = (await http(gateway.url, 'GET', '/api/v1/runs?limit=1000')).body as { items: { runId: string; lastSeq: number }[] };
    assert.equal(page.items.length, runs);
    assert.ok(page.items.every((r) => r.lastSeq === 2));
  }
  // Every event is stored once, whichever gateway wrote it.
  const history = (await http(b.url, 'GET', '/api/v1/runs/run-7/events')).body as { items: { seq: number }[] };
  assert.deepEqual(
    history.items.map((e) => e.seq),
    [1, 2],
  );
  // The checkpoint covers every record of every partition, whichever member wrote it.
  const checkpoint = await a.readModel.store.checkpoint();
  assert.equal(checkpoint.reduce((x, y) => x + y, 0), runs * 2);
});
