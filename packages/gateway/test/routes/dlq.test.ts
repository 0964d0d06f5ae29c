import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deadLetter } from '@orchestrator-lite/transport';
import type { ConsumedRecord, EmbeddedTransport } from '@orchestrator-lite/transport';
import { http, startTestGateway, waitFor } from '../helpers.js';

interface Item {
  id: string;
  topic: string;
  partition: number;
  offset: number;
  key: string;
  reason: string;
  at: number;
  value: unknown;
  valueEncoding?: string;
}
interface Page {
  items: Item[];
  nextCursor: string | null;
}

function consumed(topic: string, partition: number, offset: number, key: string, value: Buffer | null): ConsumedRecord {
  return { topic, partition, offset, key, value, headers: { 'trace-id': `t-${offset}` }, timestamp: 1 };
}

async function readAll(transport: EmbeddedTransport, topic: string): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  const partitions = await transport.partitionCount(topic);
  for (let p = 0; p < partitions; p += 1) for await (const batch of transport.readPartition(topic, p)) out.push(...batch);
  return out;
}

void test('GET /api/v1/dlq lists dead letters with reason, origin and the value decoded where it decodes; pages with a cursor', async (t) => {
  const { url, transport, names } = await startTestGateway(t);
  await transport.produce([
    deadLetter(consumed(names.commands, 2, 7, 'run-1', Buffer.from('{"v":9,"type":"StartRun"}')), 'ORCH_SCHEMA_VERSION: v 9', names.dlq, 1000),
    deadLetter(consumed(names.results, 0, 3, 'run-2', Buffer.from('not json')), 'ORCH_DECODE: not JSON', names.dlq, 2000),
    deadLetter(consumed(names.results, 1, 4, 'run-3', Buffer.from([0xff, 0xfe, 0x00])), 'ORCH_DECODE: binary', names.dlq, 3000),
  ]);

  const all = await http(url, 'GET', '/api/v1/dlq');
  assert.equal(all.status, 200);
  const page = all.body as Page;
  assert.equal(page.nextCursor, null);
  assert.deepEqual(page.items.map((i) => [i.id, i.topic, i.partition, i.offset, i.key, i.reason, i.at]), [
    ['0-0', names.commands, 2, 7, 'run-1', 'ORCH_SCHEMA_VERSION: v 9', 1000],
    ['0-1', names.results, 0, 3, 'run-2', 'ORCH_DECODE: not JSON', 2000],
    ['0-2', names.results, 1, 4, 'run-3', 'ORCH_DECODE: binary', 3000],
  ]);
  assert.deepEqual(page.items[0]?.value, { v: 9, type: 'StartRun' });
  assert.equal(page.items[0]?.valueEncoding, undefined);
  assert.equal(page.items[1]?.value, 'not json');
  assert.equal(page.items[1]?.valueEncoding, 'utf8');
  assert.equal(page.items[2]?.value, Buffer.from([0xff, 0xfe, 0x00]).toString('base64'));
  assert.equal(page.items[2]?.valueEncoding, 'base64');

  const first = (await http(url, 'GET', '/api/v1/dlq?limit=2')).body as Page;
  assert.deepEqual(first.items.map((i) => i.id), ['0-0', '0-1']);
  assert.ok(first.nextCursor);
  const second = (await http(url, 'GET', `/api/v1/dlq?limit=2&cursor=${first.nextCursor}`)).body as Page;
  assert.deepEqual(second.items.map((i) => i.id), ['0-2']);
  assert.equal(second.nextCursor, null);

  const badLimit = await http(url, 'GET', '/api/v1/dlq?limit=0');
  assert.equal(badLimit.status, 400);
  assert.equal((badLimit.body as { error: { details: { field: string } } }).error.details.field, 'limit');
  const badCursor = await http(url, 'GET', '/api/v1/dlq?cursor=zzz');
  assert.equal(badCursor.status, 400);
  assert.equal((badCursor.body as { error: { details: { field: string } } }).error.details.field, 'cursor');
});

void test('POST /api/v1/dlq/redrive re-produces the originals to their topics, selected by ids, reason or topic', async (t) => {
  const { url, transport, names } = await startTestGateway(t);
  await transport.produce([
    deadLetter(consumed(names.commands, 2, 7, 'run-1', Buffer.from('{"a":1}')), 'handler crashed', names.dlq, 1000),
    deadLetter(consumed(names.results, 0, 3, 'run-2', Buffer.from('{"b":2}')), 'ORCH_DECODE: bad', names.dlq, 2000),
    deadLetter(consumed(names.results, 1, 4, 'run-3', Buffer.from('{"c":3}')), 'ORCH_DECODE: worse', names.dlq, 3000),
  ]);

  const byId = await http(url, 'POST', '/api/v1/dlq/redrive', { ids: ['0-0'] });
  assert.equal(byId.status, 202);
  assert.deepEqual(byId.body, { redriven: 1 });
  await waitFor(async () => (await readAll(transport, names.commands)).length === 1, 'the redriven command');
  const [command] = await readAll(transport, names.commands);
  assert.equal(command?.key, 'run-1');
  assert.equal(command?.value?.toString(), '{"a":1}');
  assert.deepEqual(command?.headers, { 'trace-id': 't-7', 'orch-redriven-from': '0-0' });

  const byReason = await http(url, 'POST', '/api/v1/dlq/redrive', { reason: 'ORCH_DECODE', ratePerSec: 1000 });
  assert.deepEqual(byReason.body, { redriven: 2 });
  await waitFor(async () => (await readAll(transport, names.results)).length === 2, 'the redriven results');
  assert.deepEqual((await readAll(transport, names.results)).map((r) => r.key).sort(), ['run-2', 'run-3']);

  const byTopic = await http(url, 'POST', '/api/v1/dlq/redrive', { topic: names.commands, reason: 'nothing like this' });
  assert.deepEqual(byTopic.body, { redriven: 0 });

  const none = await http(url, 'POST', '/api/v1/dlq/redrive', {});
  assert.equal(none.status, 400);
  assert.equal((none.body as { error: { details: { field: string } } }).error.details.field, 'ids');
  const unknown = await http(url, 'POST', '/api/v1/dlq/redrive', { ids: ['0-99'] });
  assert.equal(unknown.status, 404);
  const badRate = await http(url, 'POST', '/api/v1/dlq/redrive', { ids: ['0-0'], ratePerSec: 0 });
  assert.equal(badRate.status, 400);
  assert.equal((badRate.body as { error: { details: { field: string } } }).error.details.field, 'ratePerSec');
});
