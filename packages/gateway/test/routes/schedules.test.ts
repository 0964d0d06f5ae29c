import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRunInput, runIdForIdempotencyKey } from '@orchestrator-lite/core';
import type { RunInput, TopicNames } from '@orchestrator-lite/core';
import type { EmbeddedTransport } from '@orchestrator-lite/transport';
import { DEFINITION, http, produceEvents, runStarted, runSucceeded, startTestGateway, waitFor } from '../helpers.js';

interface Item {
  name: string;
  cron: string;
  timezone: string;
  overlap: string;
  catchup: string;
  paused: boolean;
  nextFireAt: number | null;
  lastFireAt: number | null;
  lastRuns: { fireAt: number; runId?: string; status?: string | null; skipped?: string; manual?: boolean }[];
}
interface ErrorBody {
  error: { code: string; message: string; details?: { field?: string } };
}

const T = (iso: string): number => Date.parse(iso);

async function commands(transport: EmbeddedTransport, names: TopicNames): Promise<RunInput[]> {
  const out: RunInput[] = [];
  for (let p = 0; p < 3; p += 1) for await (const batch of transport.readPartition(names.commands, p)) for (const r of batch) out.push(decodeRunInput(r.value));
  return out;
}

function clock(start: string): { now: () => number; set(iso: string): void } {
  let now = T(start);
  return { now: () => now, set: (iso) => void (now = T(iso)) };
}

void test('PUT validates a schedule and names the field; 201 on create, 200 for the same body or a change; DELETE is 204 then 404', async (t) => {
  const time = clock('2026-03-28T10:00:00Z');
  const { url } = await startTestGateway(t, { clock: time.now, scheduler: { tickMs: 0 } });
  assert.equal((await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION)).status, 201);

  const cases: [unknown, string][] = [
    [{ workflow: 'orders', cron: '* * * *' }, 'cron'],
    [{ workflow: 'orders', cron: '0 0 0 * * * *' }, 'cron'],
    [{ workflow: 'orders', cron: '61 * * * *' }, 'cron'],
    [{ workflow: 'orders', cron: '0 9 * * *', timezone: 'Mars/Olympus' }, 'timezone'],
    [{ workflow: 'orders', cron: '0 9 * * *', overlap: 'sometimes' }, 'overlap'],
    [{ workflow: 'orders', cron: '0 9 * * *', catchup: 'maybe' }, 'catchup'],
    [{ workflow: 'orders', cron: '0 9 * * *', every: 5 }, 'every'],
  ];
  for (const [body, field] of cases) {
    const res = await http(url, 'PUT', '/api/v1/schedules/nightly', body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal((res.body as ErrorBody).error.details?.field, field, JSON.stringify(res.body));
  }
  const unknown = await http(url, 'PUT', '/api/v1/schedules/nightly', { workflow: 'nope', cron: '0 9 * * *' });
  assert.equal(unknown.status, 404);
  assert.equal((await http(url, 'PUT', '/api/v1/schedules/9bad', { workflow: 'orders', cron: '0 9 * * *' })).status, 400);

  const body = { workflow: 'orders', cron: '0 9 * * *', timezone: 'Europe/Paris', input: { amount: 3 } };
  const created = await http(url, 'PUT', '/api/v1/schedules/nightly', body);
  assert.equal(created.status, 201);
  const item = created.body as Item;
  assert.deepEqual([item.overlap, item.catchup, item.paused, item.lastFireAt, item.lastRuns], ['skip', 'none', false, null, []]);
  // 09:00 in Paris on the day daylight saving starts is 07:00 UTC.
  assert.equal(item.nextFireAt, T('2026-03-29T07:00:00Z'));

  assert.equal((await http(url, 'PUT', '/api/v1/schedules/nightly', body)).status, 200);
  const paused = await http(url, 'PUT', '/api/v1/schedules/nightly', { ...body, paused: true });
  assert.equal(paused.status, 200);
  assert.equal((paused.body as Item).nextFireAt, null);

  const list = (await http(url, 'GET', '/api/v1/schedules')).body as { items: Item[] };
  assert.deepEqual(list.items.map((i) => [i.name, i.paused]), [['nightly', true]]);
  assert.equal((await http(url, 'DELETE', '/api/v1/schedules/nightly')).status, 204);
  assert.equal((await http(url, 'GET', '/api/v1/schedules/nightly')).status, 404);
  assert.equal((await http(url, 'DELETE', '/api/v1/schedules/nightly')).status, 404);
  assert.equal((await http(url, 'POST', '/api/v1/schedules/nightly/trigger')).status, 404);
});

void test('a firing starts the run named by schedule:<name>:<ISO fire time>, once, and skips while the previous run is going', async (t) => {
  const time = clock('2026-01-01T00:00:30Z');
  const { url, gateway, transport, names } = await startTestGateway(t, { clock: time.now, scheduler: { tickMs: 0 } });
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  assert.equal((await http(url, 'PUT', '/api/v1/schedules/minutely', { workflow: 'orders', cron: '0 * * * * *', input: { amount: 1 } })).status, 201);
  await waitFor(() => gateway.schedules.ownedPartitions().length === 3, 'this gateway to own the schedule partitions');

  await gateway.schedules.tick();
  assert.deepEqual(await commands(transport, names), [], 'nothing is owed before the first minute');

  time.set('2026-01-01T00:01:00.500Z');
  await gateway.schedules.tick();
  await gateway.schedules.tick();
  const first = runIdForIdempotencyKey('orders', 'schedule:minutely:2026-01-01T00:01:00.000Z');
  let started = (await commands(transport, names)).filter((c) => c.type === 'StartRun');
  assert.deepEqual(started.map((c) => c.runId), [first]);
  assert.equal(started[0]?.type === 'StartRun' ? started[0].idempotencyKey : undefined, 'schedule:minutely:2026-01-01T00:01:00.000Z');

  // The first run is still PENDING at the next minute: overlap skip records a skipped firing.
  time.set('2026-01-01T00:02:00Z');
  await gateway.schedules.tick();
  started = (await commands(transport, names)).filter((c) => c.type === 'StartRun');
  assert.equal(started.length, 1);
  let item = (await http(url, 'GET', '/api/v1/schedules/minutely')).body as Item;
  assert.equal(item.lastFireAt, T('2026-01-01T00:02:00Z'));
  assert.match(item.lastRuns[0]?.skipped ?? '', /overlap/);
  assert.deepEqual([item.lastRuns[1]?.runId, item.lastRuns[1]?.status], [first, 'PENDING']);
  assert.equal(item.nextFireAt, T('2026-01-01T00:03:00Z'));

  // Once it has finished, the next minute starts a new run.
  await produceEvents(transport, names, [runStarted(first), runSucceeded(first, 2)]);
  await waitFor(async () => (await gateway.readModel.getRun(first))?.status === 'SUCCEEDED', 'the first run to succeed');
  time.set('2026-01-01T00:03:00Z');
  await gateway.schedules.tick();
  started = (await commands(transport, names)).filter((c) => c.type === 'StartRun');
  assert.deepEqual(started.map((c) => c.runId), [first, runIdForIdempotencyKey('orders', 'schedule:minutely:2026-01-01T00:03:00.000Z')]);

  // A manual trigger starts a run at once and shows among the last runs.
  const triggered = await http(url, 'POST', '/api/v1/schedules/minutely/trigger');
  assert.equal(triggered.status, 202);
  const runId = (triggered.body as { runId: string }).runId;
  assert.equal(runId, runIdForIdempotencyKey('orders', 'schedule:minutely:2026-01-01T00:03:00.000Z'), 'a trigger at a fire time is that firing');
  item = (await http(url, 'GET', '/api/v1/schedules/minutely')).body as Item;
  assert.ok(item.lastRuns.some((r) => r.manual === true && r.runId === runId));
});

void test('overlap cancelPrevious cancels the run still going; overlap allow starts alongside it', async (t) => {
  const time = clock('2026-01-01T00:00:30Z');
  const { url, gateway, transport, names } = await startTestGateway(t, { clock: time.now, scheduler: { tickMs: 0 } });
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  await http(url, 'PUT', '/api/v1/schedules/replace', { workflow: 'orders', cron: '* * * * *', overlap: 'cancelPrevious' });
  await http(url, 'PUT', '/api/v1/schedules/both', { workflow: 'orders', cron: '* * * * *', overlap: 'allow' });
  await waitFor(() => gateway.schedules.ownedPartitions().length === 3, 'this gateway to own the schedule partitions');
  time.set('2026-01-01T00:01:00Z');
  await gateway.schedules.tick();
  time.set('2026-01-01T00:02:00Z');
  await gateway.schedules.tick();
  const all = await commands(transport, names);
  const replaced = runIdForIdempotencyKey('orders', 'schedule:replace:2026-01-01T00:01:00.000Z');
  assert.deepEqual(all.filter((c) => c.type === 'CancelRun').map((c) => c.runId), [replaced]);
  assert.equal(all.filter((c) => c.type === 'StartRun').length, 4);
});

void test('catchup all: after downtime every missed firing runs once, oldest first', async (t) => {
  const time = clock('2026-01-01T00:00:30Z');
  const { url, gateway, transport, names } = await startTestGateway(t, { clock: time.now, scheduler: { tickMs: 0 } });
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  await http(url, 'PUT', '/api/v1/schedules/every', { workflow: 'orders', cron: '* * * * *', catchup: 'all', overlap: 'allow' });
  await waitFor(() => gateway.schedules.ownedPartitions().length === 3, 'this gateway to own the schedule partitions');
  time.set('2026-01-01T00:04:10Z');
  await gateway.schedules.tick();
  await gateway.schedules.tick();
  const keys = (await commands(transport, names)).flatMap((c) => (c.type === 'StartRun' ? [c.idempotencyKey] : []));
  assert.deepEqual(keys, [1, 2, 3, 4].map((m) => `schedule:every:2026-01-01T00:0${m}:00.000Z`));
});

void test('writes to one schedule apply one at a time: concurrent identical PUTs give 201 then 200, concurrent triggers both land in its last runs', async (t) => {
  const time = clock('2026-03-28T10:00:00Z');
  const { url, transport } = await startTestGateway(t, { clock: time.now, scheduler: { tickMs: 0 } });
  assert.equal((await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION)).status, 201);
  // Each write takes 100 ms to land, as on a loaded broker, so the requests overlap.
  const produce = transport.produce.bind(transport);
  transport.produce = async (records) => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return produce(records);
  };
  const body = { workflow: 'orders', cron: '0 9 * * *' };
  const puts = await Promise.all([1, 2, 3].map(() => http(url, 'PUT', '/api/v1/schedules/together', body)));
  assert.deepEqual(puts.map((r) => r.status).sort(), [200, 200, 201]);

  const triggers = await Promise.all([1, 2].map(async (i) => {
    time.set(`2026-03-28T10:00:0${i}Z`);
    return http(url, 'POST', '/api/v1/schedules/together/trigger');
  }));
  assert.deepEqual(triggers.map((r) => r.status), [202, 202]);
  const item = (await http(url, 'GET', '/api/v1/schedules/together')).body as Item;
  assert.equal(item.lastRuns.filter((r) => r.manual === true).length, 2, JSON.stringify(item.lastRuns));
});
