import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRunInput, runIdForIdempotencyKey } from '@orchestrator-lite/core';
import type { RunInput } from '@orchestrator-lite/core';
import type { EmbeddedTransport } from '@orchestrator-lite/transport';
import { DEFINITION, http, produceEvents, runFailed, runStarted, runSucceeded, startTestGateway, stepLog, waitFor } from '../helpers.js';

interface ErrorShape {
  error: { code: string; message: string; details?: { field?: string; issues?: unknown[] } };
}

async function commands(transport: EmbeddedTransport, topic: string): Promise<RunInput[]> {
  const out: RunInput[] = [];
  for (let p = 0; p < (await transport.partitionCount(topic)); p++) {
    for await (const batch of transport.readPartition(topic, p)) for (const r of batch) out.push(decodeRunInput(r.value));
  }
  return out;
}

void test('POST /runs produces StartRun keyed by runId and answers 202 PENDING; the run is readable at once', async (t) => {
  const { url, transport, names, gateway } = await startTestGateway(t);
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  const res = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', input: { amount: 3 } });
  assert.equal(res.status, 202);
  const { runId, status } = res.body as { runId: string; status: string };
  assert.equal(status, 'PENDING');
  const sent = await commands(transport, names.commands);
  assert.equal(sent.length, 1);
  const start = sent[0];
  assert.equal(start?.type, 'StartRun');
  if (start?.type !== 'StartRun') return;
  assert.equal(start.runId, runId);
  assert.equal(start.workflow, 'orders');
  assert.equal(start.version, 1);
  assert.deepEqual(start.input, { amount: 3 });
  assert.equal(start.definition.steps.length, 2);

  const view = await http(url, 'GET', `/api/v1/runs/${runId}`);
  assert.equal(view.status, 200);
  assert.equal((view.body as { status: string }).status, 'PENDING');

  // The orchestrator's RunStarted replaces the placeholder.
  await produceEvents(transport, names, [runStarted(runId, 2_000)]);
  await waitFor(async () => (await gateway.readModel.getRun(runId))?.status === 'RUNNING', 'RunStarted to be projected');
  const started = await http(url, 'GET', `/api/v1/runs/${runId}`);
  const body = started.body as { status: string; steps: Record<string, { status: string }>; createdAt: number };
  assert.equal(body.status, 'RUNNING');
  assert.equal(body.steps.charge?.status, 'PENDING');
});

void test('POST /runs with an idempotencyKey is idempotent: the same runId, 200 the second time, one command', async (t) => {
  const { url, transport, names } = await startTestGateway(t);
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  const first = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', idempotencyKey: 'order-42' });
  assert.equal(first.status, 202);
  const runId = (first.body as { runId: string }).runId;
  assert.equal(runId, runIdForIdempotencyKey('orders', 'order-42'));
  const second = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', idempotencyKey: 'order-42' });
  assert.equal(second.status, 200);
  assert.deepEqual(second.body, { runId, status: 'PENDING' });
  assert.equal((await commands(transport, names.commands)).length, 1);
});

void test('POST /runs reusing an idempotencyKey with another input or version is 409 naming the original run', async (t) => {
  const { url, transport, names } = await startTestGateway(t);
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  await http(url, 'PUT', '/api/v1/workflows/orders', { ...DEFINITION, description: 'v2' });
  const first = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', idempotencyKey: 'pay-7', input: { amount: 5, to: 'a' } });
  assert.equal(first.status, 202);
  const runId = (first.body as { runId: string }).runId;
  // The same body, keys in another order, is the same request.
  const again = await http(url, 'POST', '/api/v1/runs', { idempotencyKey: 'pay-7', workflow: 'orders', input: { to: 'a', amount: 5 }, version: 2 });
  assert.equal(again.status, 200, JSON.stringify(again.body));
  for (const [body, differs] of [
    [{ workflow: 'orders', idempotencyKey: 'pay-7', input: { amount: 6, to: 'a' } }, ['input']],
    [{ workflow: 'orders', idempotencyKey: 'pay-7' }, ['input']],
    [{ workflow: 'orders', idempotencyKey: 'pay-7', input: { amount: 5, to: 'a' }, version: 1 }, ['version']],
  ] as const) {
    const res = await http(url, 'POST', '/api/v1/runs', body);
    assert.equal(res.status, 409, JSON.stringify(body));
    const error = (res.body as { error: { code: string; details: { runId: string; field: string; differs: string[] } } }).error;
    assert.equal(error.code, 'ORCH_CONFLICT');
    assert.equal(error.details.runId, runId);
    assert.equal(error.details.field, 'idempotencyKey');
    assert.deepEqual(error.details.differs, differs);
  }
  assert.equal((await commands(transport, names.commands)).length, 1);
});

void test('POST /runs: unknown workflow or version is 404; bad bodies are 400 naming the field', async (t) => {
  const { url } = await startTestGateway(t);
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  assert.equal((await http(url, 'POST', '/api/v1/runs', { workflow: 'nope' })).status, 404);
  const noVersion = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', version: 7 });
  assert.equal(noVersion.status, 404);
  assert.equal((noVersion.body as ErrorShape).error.code, 'ORCH_NOT_FOUND');

  const unknownFields = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', colour: 'red', size: 2 });
  assert.equal(unknownFields.status, 400);
  assert.match((unknownFields.body as ErrorShape).error.message, /colour/);
  assert.match((unknownFields.body as ErrorShape).error.message, /size/);
  assert.equal((unknownFields.body as ErrorShape).error.details?.field, 'colour');

  const cases: [unknown, string][] = [
    [{}, 'workflow'],
    [{ workflow: 5 }, 'workflow'],
    [{ workflow: 'orders', version: 'one' }, 'version'],
    [{ workflow: 'orders', version: 0 }, 'version'],
    [{ workflow: 'orders', idempotencyKey: '' }, 'idempotencyKey'],
    [[1], 'body'],
    ['"text"', 'body'],
  ];
  for (const [body, field] of cases) {
    const res = await http(url, 'POST', '/api/v1/runs', body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal((res.body as ErrorShape).error.code, 'ORCH_BAD_REQUEST');
    assert.equal((res.body as ErrorShape).error.details?.field, field, JSON.stringify(body));
  }
});

void test('GET /runs lists newest first with filters, counts, limit and a cursor; bad parameters are 400', async (t) => {
  const { url, transport, names, gateway } = await startTestGateway(t);
  const events = [];
  for (let i = 0; i < 5; i++) {
    events.push(runStarted(`run-${i}`, 1_000 + i, i < 3 ? 'orders' : 'refunds'));
    if (i === 1) events.push(runFailed(`run-${i}`, 2));
    if (i === 2) events.push(runSucceeded(`run-${i}`, 2));
  }
  await produceEvents(transport, names, events);
  await waitFor(async () => (await gateway.readModel.runCount()) === 5, 'five runs');

  const page1 = await http(url, 'GET', '/api/v1/runs?limit=2');
  assert.equal(page1.status, 200);
  const b1 = page1.body as { items: { runId: string; status: string }[]; nextCursor: string | null; counts: Record<string, number> };
  assert.deepEqual(
    b1.items.map((r) => r.runId),
    ['run-4', 'run-3'],
  );
  assert.deepEqual(b1.counts, { PENDING: 0, RUNNING: 3, SUCCEEDED: 1, FAILED: 1, CANCELLED: 0 });
  assert.equal(typeof b1.nextCursor, 'string');
  const page2 = await http(url, 'GET', `/api/v1/runs?limit=2&cursor=${b1.nextCursor}`);
  const b2 = page2.body as { items: { runId: string }[]; nextCursor: string | null };
  assert.deepEqual(
    b2.items.map((r) => r.runId),
    ['run-2', 'run-1'],
  );
  const page3 = await http(url, 'GET', `/api/v1/runs?limit=2&cursor=${b2.nextCursor}`);
  const b3 = page3.body as { items: { runId: string }[]; nextCursor: string | null };
  assert.deepEqual(
    b3.items.map((r) => r.runId),
    ['run-0'],
  );
  assert.equal(b3.nextCursor, null);

  const failed = await http(url, 'GET', '/api/v1/runs?status=FAILED');
  const failedItems = (failed.body as { items: { runId: string; error?: { type: string } }[] }).items;
  assert.deepEqual(
    failedItems.map((r) => r.runId),
    ['run-1'],
  );
  assert.equal(failedItems[0]?.error?.type, 'Boom');
  const refunds = await http(url, 'GET', '/api/v1/runs?workflow=refunds');
  assert.deepEqual(
    (refunds.body as { items: { runId: string }[] }).items.map((r) => r.runId),
    ['run-4', 'run-3'],
  );
  const defaultLimit = await http(url, 'GET', '/api/v1/runs');
  assert.equal((defaultLimit.body as { items: unknown[] }).items.length, 5);

  const bad: [string, string][] = [
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=-5', 'limit'],
    ['status=DONE', 'status'],
    ['status=running', 'status'],
    ['cursor=!!!', 'cursor'],
    ['cursor=eyJhIjoxfQ', 'cursor'],
    ['limit=1&limit=2', 'limit'],
  ];
  for (const [query, field] of bad) {
    const res = await http(url, 'GET', `/api/v1/runs?${query}`);
    assert.equal(res.status, 400, query);
    assert.equal((res.body as ErrorShape).error.details?.field, field, query);
  }
  assert.equal((await http(url, 'GET', '/api/v1/runs?limit=1000')).status, 200);
});

void test('GET /runs/{id} and /events: 404 unknown, events after `since` in order, bad since is 400', async (t) => {
  const { url, transport, names, gateway } = await startTestGateway(t);
  await produceEvents(transport, names, [runStarted('r1'), stepLog('r1', 2), stepLog('r1', 3), stepLog('r1', 4)]);
  await waitFor(async () => (await gateway.readModel.getRun('r1'))?.lastSeq === 4, 'four events');
  assert.equal((await http(url, 'GET', '/api/v1/runs/nope')).status, 404);
  assert.equal((await http(url, 'GET', '/api/v1/runs/nope/events')).status, 404);
  const all = await http(url, 'GET', '/api/v1/runs/r1/events');
  assert.deepEqual(
    (all.body as { items: { seq: number }[] }).items.map((e) => e.seq),
    [1, 2, 3, 4],
  );
  const since = await http(url, 'GET', '/api/v1/runs/r1/events?since=2');
  const items = (since.body as { items: { seq: number; type: string; at: number; data: unknown }[] }).items;
  assert.deepEqual(
    items.map((e) => e.seq),
    [3, 4],
  );
  assert.deepEqual(Object.keys(items[0] ?? {}).sort(), ['at', 'data', 'seq', 'type']);
  for (const bad of ['-1', 'x', '1.5']) {
    const res = await http(url, 'GET', `/api/v1/runs/r1/events?since=${bad}`);
    assert.equal(res.status, 400, bad);
    assert.equal((res.body as ErrorShape).error.details?.field, 'since');
  }
  const view = await http(url, 'GET', '/api/v1/runs/r1');
  const keys = Object.keys(view.body as object);
  for (const k of ['runId', 'workflow', 'version', 'status', 'input', 'createdAt', 'updatedAt', 'steps']) assert.ok(keys.includes(k), k);
});

void test('cancel: 202 producing CancelRun, 409 when terminal, 404 unknown; retry: 202 only when FAILED or CANCELLED', async (t) => {
  const { url, transport, names, gateway } = await startTestGateway(t);
  await produceEvents(transport, names, [runStarted('live'), runStarted('failed'), runFailed('failed', 2), runStarted('done'), runSucceeded('done', 2)]);
  await waitFor(async () => (await gateway.readModel.runCount()) === 3 && (await gateway.readModel.getRun('done'))?.status === 'SUCCEEDED', 'three runs');

  assert.equal((await http(url, 'POST', '/api/v1/runs/nope/cancel')).status, 404);
  const cancel = await http(url, 'POST', '/api/v1/runs/live/cancel', { reason: 'not needed' });
  assert.equal(cancel.status, 202);
  assert.deepEqual(cancel.body, { runId: 'live' });
  // An empty JSON body is "no body".
  assert.equal((await http(url, 'POST', '/api/v1/runs/live/cancel', '', { 'content-type': 'application/json' })).status, 202);
  const conflict = await http(url, 'POST', '/api/v1/runs/done/cancel');
  assert.equal(conflict.status, 409);
  assert.equal((conflict.body as ErrorShape).error.code, 'ORCH_CONFLICT');
  assert.equal((await http(url, 'POST', '/api/v1/runs/live/cancel', { why: 1 })).status, 400);

  assert.equal((await http(url, 'POST', '/api/v1/runs/nope/retry')).status, 404);
  assert.equal((await http(url, 'POST', '/api/v1/runs/live/retry')).status, 409);
  assert.equal((await http(url, 'POST', '/api/v1/runs/done/retry')).status, 409);
  const retry = await http(url, 'POST', '/api/v1/runs/failed/retry');
  assert.equal(retry.status, 202);
  assert.deepEqual(retry.body, { runId: 'failed' });

  const sent = await commands(transport, names.commands);
  assert.deepEqual(
    sent.map((c) => `${c.type}:${c.runId}`).sort(),
    ['CancelRun:live', 'CancelRun:live', 'RetryRun:failed'],
  );
  const withReason = sent.find((c) => c.type === 'CancelRun' && 'reason' in c);
  assert.equal(withReason?.type === 'CancelRun' ? withReason.reason : undefined, 'not needed');
});

void test('a run input over maxPayloadBytes (serialized) is 413 naming the input field; at the limit it is accepted', async (t) => {
  const limit = 1024;
  const { url } = await startTestGateway(t, { maxPayloadBytes: limit });
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  // {"s":"…"} is 8 bytes of JSON around the string.
  const atLimit = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', input: { s: 'x'.repeat(limit - 8) } });
  assert.equal(atLimit.status, 202, JSON.stringify(atLimit.body));
  const over = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', input: { s: 'x'.repeat(limit - 7) } });
  assert.equal(over.status, 413);
  const body = over.body as { error: { code: string; details: { field: string; limit: number; size: number } } };
  assert.equal(body.error.code, 'ORCH_PAYLOAD_TOO_LARGE');
  assert.deepEqual(body.error.details, { field: 'input', limit, size: limit + 1 });
});

void test('POST /runs/batch starts each run as POST /runs would, in one request: items in order, one StartRun each', async (t) => {
  const { url, transport, names } = await startTestGateway(t);
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  const existing = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', idempotencyKey: 'order-1', input: { amount: 1 } });
  assert.equal(existing.status, 202);

  const runs = [
    { workflow: 'orders', idempotencyKey: 'order-1', input: { amount: 1 } },
    { workflow: 'orders', input: { amount: 2 } },
    { workflow: 'orders', idempotencyKey: 'order-3', input: { amount: 3 }, priority: 1 },
  ];
  const res = await http(url, 'POST', '/api/v1/runs/batch', { runs });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const { items } = res.body as { items: { runId: string; status: string; created: boolean }[] };
  assert.equal(items.length, 3);
  assert.deepEqual(items[0], { runId: runIdForIdempotencyKey('orders', 'order-1'), status: 'PENDING', created: false });
  assert.equal(items[1]?.created, true);
  assert.deepEqual(items[2], { runId: runIdForIdempotencyKey('orders', 'order-3'), status: 'PENDING', created: true });

  const starts = (await commands(transport, names.commands)).filter((c) => c.type === 'StartRun');
  assert.equal(starts.length, 3, 'the first POST and the two new runs of the batch');
  const third = starts.find((c) => c.runId === items[2]?.runId);
  assert.deepEqual(third?.type === 'StartRun' ? [third.input, third.priority] : undefined, [{ amount: 3 }, 1]);
  for (const item of items) assert.equal((await http(url, 'GET', `/api/v1/runs/${item.runId}`)).status, 200);

  // Every run named an existing one: 200, as a repeated POST /runs.
  const again = await http(url, 'POST', '/api/v1/runs/batch', { runs: [runs[0], runs[2]] });
  assert.equal(again.status, 200);
  assert.deepEqual((again.body as { items: unknown[] }).items, [items[0], { ...items[2], created: false }]);
});

void test('POST /runs/batch checks every run before writing any: a bad item is an error naming it, and nothing starts', async (t) => {
  const limit = 1024;
  const { url, transport, names } = await startTestGateway(t, { maxPayloadBytes: limit });
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  const good = { workflow: 'orders', input: { amount: 1 } };
  const cases: [unknown, number, string][] = [
    [{ runs: [good, { workflow: 'nope' }] }, 404, 'runs.1.workflow'],
    [{ runs: [good, { workflow: 'orders', version: 9 }] }, 404, 'runs.1.workflow'],
    [{ runs: [good, good, { workflow: 'orders', input: { s: 'x'.repeat(limit) } }] }, 413, 'runs.2.input'],
    [{ runs: [good, { workflow: 'orders', colour: 'red' }] }, 400, 'runs.1.colour'],
    [{ runs: [good, { workflow: 'orders', idempotencyKey: '' }] }, 400, 'runs.1.idempotencyKey'],
    [{ runs: [] }, 400, 'runs'],
    [{ runs: Array.from({ length: 1001 }, () => good) }, 400, 'runs'],
    [{ run: [good] }, 400, 'runs'],
    [[good], 400, 'body'],
  ];
  for (const [body, status, field] of cases) {
    const res = await http(url, 'POST', '/api/v1/runs/batch', body);
    assert.equal(res.status, status, JSON.stringify(res.body));
    const error = (res.body as ErrorShape).error;
    assert.equal(error.details?.field, field, JSON.stringify(res.body));
    if (status !== 400) assert.match(error.message, new RegExp(`^${field.split('.').slice(0, 2).join('\\.')}: `));
  }
  assert.equal((await commands(transport, names.commands)).length, 0, 'no run started');
});

void test('POST /runs/batch: an item whose idempotency key was used with another input fails alone; all failing answers as one would', async (t) => {
  const { url, transport, names } = await startTestGateway(t);
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  const first = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', idempotencyKey: 'pay-1', input: { amount: 5 } });
  const original = (first.body as { runId: string }).runId;

  const mixed = await http(url, 'POST', '/api/v1/runs/batch', { runs: [{ workflow: 'orders', input: {} }, { workflow: 'orders', idempotencyKey: 'pay-1', input: { amount: 6 } }] });
  assert.equal(mixed.status, 202);
  const [started, conflict] = (mixed.body as { items: [{ created: boolean }, ErrorShape & { error: { details: { runId: string } } }] }).items;
  assert.equal(started.created, true);
  assert.equal(conflict.error.code, 'ORCH_CONFLICT');
  assert.equal(conflict.error.details.field, 'idempotencyKey');
  assert.equal(conflict.error.details.runId, original);

  const none = await http(url, 'POST', '/api/v1/runs/batch', { runs: [{ workflow: 'orders', idempotencyKey: 'pay-1', input: { amount: 7 } }] });
  assert.equal(none.status, 409);
  assert.equal((none.body as ErrorShape).error.details?.field, 'runs.0.idempotencyKey');
  assert.equal((await commands(transport, names.commands)).length, 2, 'the first POST and the batch run that started');
});
