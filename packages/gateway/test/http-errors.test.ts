import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ErrorCode, OrchError } from '@orchestrator-lite/core';
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

/** The real embedded transport, with writes that can be switched to fail: a bus outage. */
function withFailingWrites(inner: Transport): { transport: Transport; fail(on: boolean): void } {
  let failing = false;
  const transport: Transport = {
    kind: inner.kind,
    atomicCommit: inner.atomicCommit,
    ensureTopics: (specs) => inner.ensureTopics(specs),
    partitionCount: (topic) => inner.partitionCount(topic),
    produce: async (records: ProduceRecord[]): Promise<RecordMetadata[]> => {
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
  return { transport, fail: (on) => (failing = on) };
}

void test('a bus write failure is 503 ORCH_TRANSPORT, and no placeholder run is left behind', async (t) => {
  const base = await startTestGateway(t);
  const { transport, fail } = withFailingWrites(base.transport);
  const { startGateway } = await import('../src/index.js');
  const { pino } = await import('pino');
  const gateway = await startGateway({ transport, topicPrefix: base.names.commands.replace(/commands$/, ''), port: 0, partitions: 3, logger: pino({ level: 'silent' }) });
  t.after(() => gateway.close());
  assert.equal((await http(gateway.url, 'PUT', '/api/v1/workflows/orders', DEFINITION)).status, 201);
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
