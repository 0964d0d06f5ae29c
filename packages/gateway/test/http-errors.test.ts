import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ErrorCode, OrchError, runIdForIdempotencyKey } from '@orchestrator-lite/core';
import type { ProduceRecord, RecordMetadata, Transport } from '@orchestrator-lite/transport';
import { fromZodError, toErrorResponse } from '../src/http-errors.js';
import { DEFINITION, http, startTestGateway } from './helpers.js';

void test('an unexpected exception is 500 ORCH_INTERNAL without leaking its message', () => {
  const res = toErrorResponse(new TypeError('secret detail at /srv/app.js:12'), 1024);
  assert.equal(res.status, 500);
  assert.deepEqual(res.body, { error: { code: 'ORCH_INTERNAL', message: 'internal error' } });
  assert.equal(toErrorResponse('a string', 1024).status, 500);
});

void test('OrchErrors keep their registry status, code and details', () => {
  const res = toErrorResponse(new OrchError(ErrorCode.Conflict, 'already done', { status: 'SUCCEEDED' }), 1024);
  assert.equal(res.status, 409);
  assert.deepEqual(res.body, { error: { code: 'ORCH_CONFLICT', message: 'already done', details: { status: 'SUCCEEDED' } } });
});

void test('zod failures name the field; unknown fields are all listed', () => {
  const schema = z.strictObject({ workflow: z.string(), nested: z.strictObject({ n: z.number() }).optional() });
  const unknown = schema.safeParse({ workflow: 'a', colour: 1, shade: 2 });
  assert.equal(unknown.success, false);
  if (unknown.success) return;
  const err = fromZodError(unknown.error, 'body');
  assert.equal(err.httpStatus, 400);
  assert.match(err.message, /colour, shade/);
  assert.equal((err.details as { field: string }).field, 'colour');
  const nested = schema.safeParse({ workflow: 'a', nested: { n: 'x' } });
  if (nested.success) return assert.fail('expected a failure');
  assert.equal((fromZodError(nested.error, 'body').details as { field: string }).field, 'nested.n');
});

/**
 * The real embedded transport, with writes that can be switched to fail (a bus outage) or held
 * until `release` (a write that outlasts a client's timeout); `held` resolves when one waits.
 */
function withFailingWrites(inner: Transport): { transport: Transport; fail(on: boolean): void; hold(): { held: Promise<void>; release(): void } } {
  let failing = false;
  let gate: { reached(): void; released: Promise<void> } | undefined;
  const transport: Transport = {
    kind: inner.kind,
    atomicCommit: inner.atomicCommit,
    ensureTopics: (specs) => inner.ensureTopics(specs),
    partitionCount: (topic) => inner.partitionCount(topic),
    produce: async (records: ProduceRecord[]): Promise<RecordMetadata[]> => {
      if (gate !== undefined) {
        gate.reached();
        await gate.released;
      }
      if (failing) throw new Error('broker unreachable');
      return inner.produce(records);
    },
    subscribe: (options) => inner.subscribe(options),
    readPartition: (topic, partition, options) => inner.readPartition(topic, partition, options),
    endOffsets: (topic) => inner.endOffsets(topic),
    committedOffsets: (group, topic) => inner.committedOffsets(group, topic),
    writeStats: () => inner.writeStats(),
    close: () => inner.close(),
  };
  const hold = (): { held: Promise<void>; release(): void } => {
    let reached = (): void => undefined;
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (reached = resolve));
    gate = { reached: () => reached(), released: new Promise<void>((resolve) => (release = resolve)) };
    return {
      held,
      release: () => {
        gate = undefined;
        release();
      },
    };
  };
  return { transport, fail: (on) => (failing = on), hold };
}

async function gatewayOver(t: { after(fn: () => Promise<void>): void }, transport: Transport, names: { commands: string }): Promise<{ url: string; readModel: { runCount(): Promise<number> } }> {
  const { startGateway } = await import('../src/index.js');
  const { pino } = await import('pino');
  const gateway = await startGateway({ transport, topicPrefix: names.commands.replace(/commands$/, ''), port: 0, partitions: 3, logger: pino({ level: 'silent' }) });
  t.after(() => gateway.close());
  assert.equal((await http(gateway.url, 'PUT', '/api/v1/workflows/orders', DEFINITION)).status, 201);
  return gateway;
}

void test('a bus write failure is 503 ORCH_TRANSPORT, and no placeholder run is left behind', async (t) => {
  const base = await startTestGateway(t);
  const { transport, fail } = withFailingWrites(base.transport);
  const gateway = await gatewayOver(t, transport, base.names);
  fail(true);
  const res = await http(gateway.url, 'POST', '/api/v1/runs', { workflow: 'orders', idempotencyKey: 'k1' });
  assert.equal(res.status, 503);
  assert.equal((res.body as { error: { code: string } }).error.code, 'ORCH_TRANSPORT');
  assert.equal(await gateway.readModel.runCount(), 0);
  const put = await http(gateway.url, 'PUT', '/api/v1/workflows/orders', { ...DEFINITION, description: 'v2' });
  assert.equal(put.status, 503);
  fail(false);
  assert.equal((await http(gateway.url, 'POST', '/api/v1/runs', { workflow: 'orders', idempotencyKey: 'k1' })).status, 202);
  assert.deepEqual((await http(gateway.url, 'PUT', '/api/v1/workflows/orders', { ...DEFINITION, description: 'v2' })).body, { name: 'orders', version: 2 });
});

void test('a retry of a submission whose write is still in flight answers with that write: never accepted for a run not written', async (t) => {
  const base = await startTestGateway(t);
  const { transport, fail, hold } = withFailingWrites(base.transport);
  const gateway = await gatewayOver(t, transport, base.names);
  const submit = (): Promise<{ status: number; body: unknown }> => http(gateway.url, 'POST', '/api/v1/runs', { workflow: 'orders', idempotencyKey: 'k1' });

  // A failed assertion must not leave a write held: the gateway's close would wait for it.
  let gate: { held: Promise<void>; release(): void } | undefined;
  try {
    // The first write outlasts its client, which retries; the write then fails: both answer 503.
    gate = hold();
    const first = submit();
    await gate.held;
    let retryAnswered = false;
    const retry = submit().finally(() => (retryAnswered = true));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(retryAnswered, false, 'the retry waits for the write in flight');
    fail(true);
    gate.release();
    assert.deepEqual([(await first).status, (await retry).status], [503, 503]);
    assert.equal(await gateway.readModel.runCount(), 0);

    // The same with a write that succeeds: the retry answers 200 with the run the first one wrote.
    fail(false);
    gate = hold();
    const again = submit();
    await gate.held;
    const retryAgain = submit();
    gate.release();
    const [written, answered] = await Promise.all([again, retryAgain]);
    assert.equal(written.status, 202);
    assert.equal(answered.status, 200);
    assert.equal((answered.body as { runId: string }).runId, (written.body as { runId: string }).runId);

    // A cancel of a run whose StartRun is still being written goes on the bus after it.
    gate = hold();
    const started = http(gateway.url, 'POST', '/api/v1/runs', { workflow: 'orders', idempotencyKey: 'k2' });
    await gate.held;
    const runId = runIdForIdempotencyKey('orders', 'k2');
    let cancelAnswered = false;
    const cancel = http(gateway.url, 'POST', `/api/v1/runs/${runId}/cancel`, {}).finally(() => (cancelAnswered = true));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(cancelAnswered, false, 'the cancel waits for the StartRun in flight');
    gate.release();
    assert.deepEqual([(await started).status, (await cancel).status], [202, 202]);
  } finally {
    gate?.release();
  }
});
