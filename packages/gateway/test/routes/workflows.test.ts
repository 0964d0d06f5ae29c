import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRegistered } from '@orchestrator-lite/core';
import type { Transport } from '@orchestrator-lite/transport';
import { DEFINITION, http, startTestGateway, waitFor } from '../helpers.js';

interface ErrorShape {
  error: { code: string; message: string; details?: { field?: string; issues?: { path: string; message: string }[] } };
}

void test('PUT registers version 1 (201), the same body again is 200 with the same version, a change is version 2', async (t) => {
  const { url } = await startTestGateway(t);
  const first = await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  assert.equal(first.status, 201);
  assert.deepEqual(first.body, { name: 'orders', version: 1 });

  // Same definition, keys in another order and name omitted: identical canonically.
  const { name: _name, ...withoutName } = DEFINITION;
  const reordered = { steps: withoutName.steps, description: withoutName.description };
  const again = await http(url, 'PUT', '/api/v1/workflows/orders', reordered);
  assert.equal(again.status, 200);
  assert.deepEqual(again.body, { name: 'orders', version: 1 });

  const changed = await http(url, 'PUT', '/api/v1/workflows/orders', { ...DEFINITION, description: 'changed' });
  assert.equal(changed.status, 201);
  assert.deepEqual(changed.body, { name: 'orders', version: 2 });

  const latest = await http(url, 'GET', '/api/v1/workflows/orders');
  assert.equal(latest.status, 200);
  assert.equal((latest.body as { version: number }).version, 2);
  assert.equal((latest.body as { definition: { description: string } }).definition.description, 'changed');
  const v1 = await http(url, 'GET', '/api/v1/workflows/orders?version=1');
  assert.equal((v1.body as { definition: { description: string } }).definition.description, 'two steps');

  const list = await http(url, 'GET', '/api/v1/workflows');
  assert.equal(list.status, 200);
  const items = (list.body as { items: { name: string; version: number; steps: number; description: string; registeredAt: number }[] }).items;
  assert.equal(items.length, 1);
  assert.equal(items[0]?.name, 'orders');
  assert.equal(items[0]?.version, 2);
  assert.equal(items[0]?.steps, 2);
  assert.equal(items[0]?.description, 'changed');
  assert.equal(typeof items[0]?.registeredAt, 'number');
});

void test('registrations are written to the definitions topic as claims keyed name@version#claim', async (t) => {
  const { url, transport, names } = await startTestGateway(t);
  assert.equal((await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION)).status, 201);
  const keys: string[] = [];
  for await (const batch of transport.readPartition(names.definitions, 0)) {
    for (const record of batch) {
      keys.push(record.key);
      assert.equal(decodeRegistered(record.value).definition.steps.length, 2);
    }
  }
  assert.equal(keys.length, 1);
  assert.match(keys[0] ?? '', /^orders@1#[0-9a-f-]{36}$/);
});

void test('a second gateway on the same bus sees the registry from the definitions topic', async (t) => {
  const a = await startTestGateway(t);
  assert.equal((await http(a.url, 'PUT', '/api/v1/workflows/orders', DEFINITION)).status, 201);
  const { startGateway } = await import('../../src/index.js');
  const { pino } = await import('pino');
  const b = await startGateway({
    transport: a.transport,
    topicPrefix: a.names.commands.replace(/commands$/, ''),
    port: 0,
    logger: pino({ level: 'silent' }),
    partitions: 3,
  });
  t.after(() => b.close());
  await waitFor(() => b.isReady(), 'the second gateway to be ready');
  const got = await http(b.url, 'GET', '/api/v1/workflows/orders');
  assert.equal(got.status, 200);
  assert.equal((got.body as { version: number }).version, 1);
  // Identical body through the other gateway: same version, nothing new.
  assert.equal((await http(b.url, 'PUT', '/api/v1/workflows/orders', DEFINITION)).status, 200);
});

void test('YAML bodies are accepted with application/yaml and text/yaml', async (t) => {
  const { url } = await startTestGateway(t);
  const yaml = 'description: from yaml\nsteps:\n  - id: a\n    task: echo\n  - id: b\n    task: echo\n    dependsOn: [a]\n';
  const res = await http(url, 'PUT', '/api/v1/workflows/yamly', yaml, { 'content-type': 'application/yaml' });
  assert.equal(res.status, 201);
  assert.deepEqual(res.body, { name: 'yamly', version: 1 });
  const same = await http(url, 'PUT', '/api/v1/workflows/yamly', yaml, { 'content-type': 'text/yaml' });
  assert.equal(same.status, 200);
  const bad = await http(url, 'PUT', '/api/v1/workflows/yamly', 'steps: [unclosed', { 'content-type': 'text/yaml' });
  assert.equal(bad.status, 400);
  assert.equal((bad.body as ErrorShape).error.code, 'ORCH_BAD_REQUEST');
});

void test('invalid definitions get 422 ORCH_INVALID_DEFINITION with the path of every issue', async (t) => {
  const { url } = await startTestGateway(t);
  const res = await http(url, 'PUT', '/api/v1/workflows/broken', {
    steps: [
      { id: 'a', task: 'x', dependsOn: ['b'] },
      { id: 'b', task: 'x', dependsOn: ['a'], retry: { maxAttempts: 0 } },
      { id: 'c', task: 'x', input: '${steps.nope.output.y}' },
    ],
  });
  assert.equal(res.status, 422);
  const body = res.body as ErrorShape;
  assert.equal(body.error.code, 'ORCH_INVALID_DEFINITION');
  const paths = (body.error.details?.issues ?? []).map((i) => i.path);
  assert.ok(paths.some((p) => p.startsWith('steps[1].retry.maxAttempts')), `paths: ${paths.join(', ')}`);
  assert.ok(paths.some((p) => p.startsWith('steps[2].input')), `paths: ${paths.join(', ')}`);
  assert.ok(paths.some((p) => p.startsWith('steps[')), 'the cycle is reported on a step');
  assert.ok(body.error.message.length > 0);

  const noSteps = await http(url, 'PUT', '/api/v1/workflows/broken', { steps: 'nope' });
  assert.equal(noSteps.status, 422);
  assert.ok(((noSteps.body as ErrorShape).error.details?.issues ?? []).some((i) => i.path === 'steps'));
});

void test('a name in the body that differs from the path is 400 naming the field', async (t) => {
  const { url } = await startTestGateway(t);
  const res = await http(url, 'PUT', '/api/v1/workflows/orders', { ...DEFINITION, name: 'other' });
  assert.equal(res.status, 400);
  assert.equal((res.body as ErrorShape).error.code, 'ORCH_BAD_REQUEST');
  assert.equal((res.body as ErrorShape).error.details?.field, 'name');
  const notObject = await http(url, 'PUT', '/api/v1/workflows/orders', [1, 2]);
  assert.equal(notObject.status, 400);
  assert.equal((notObject.body as ErrorShape).error.details?.field, 'body');
});

void test('GET of an unknown workflow or version is 404; a bad version is 400', async (t) => {
  const { url } = await startTestGateway(t);
  assert.equal((await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION)).status, 201);
  const unknown = await http(url, 'GET', '/api/v1/workflows/nope');
  assert.equal(unknown.status, 404);
  assert.equal((unknown.body as ErrorShape).error.code, 'ORCH_NOT_FOUND');
  assert.equal((await http(url, 'GET', '/api/v1/workflows/orders?version=9')).status, 404);
  for (const bad of ['0', '-1', 'abc', '1.5']) {
    const res = await http(url, 'GET', `/api/v1/workflows/orders?version=${bad}`);
    assert.equal(res.status, 400, `version=${bad}`);
    assert.equal((res.body as ErrorShape).error.details?.field, 'version');
  }
});

void test('right after a restart, registration waits for the registry to load: no version is reused', async (t) => {
  const a = await startTestGateway(t);
  assert.equal((await http(a.url, 'PUT', '/api/v1/workflows/orders', DEFINITION)).status, 201);
  assert.equal((await http(a.url, 'PUT', '/api/v1/workflows/orders', { ...DEFINITION, description: 'v2' })).status, 201);
  // The same bus, but delivery of `definitions` to the new gateway is held back until we open the gate.
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const slow: Transport = Object.create(a.transport) as Transport;
  slow.subscribe = (options) =>
    a.transport.subscribe(
      options.groupId.endsWith('.definitions')
        ? {
            ...options,
            onBatch: async (records) => {
              await gate;
              await options.onBatch(records);
            },
          }
        : options,
    );
  const { startGateway } = await import('../../src/index.js');
  const { pino } = await import('pino');
  const b = await startGateway({ transport: slow, topicPrefix: a.names.commands.replace(/commands$/, ''), port: 0, partitions: 3, logger: pino({ level: 'silent' }) });
  t.after(() => b.close());
  assert.equal(b.isReady(), false);
  const puts = Promise.all([
    http(b.url, 'PUT', '/api/v1/workflows/orders', { ...DEFINITION, description: 'v2' }),
    http(b.url, 'PUT', '/api/v1/workflows/orders', { ...DEFINITION, description: 'v3' }),
  ]);
  setTimeout(open, 200);
  const [same, changed] = await puts;
  assert.deepEqual([same.status, same.body], [200, { name: 'orders', version: 2 }]);
  assert.deepEqual([changed.status, changed.body], [201, { name: 'orders', version: 3 }]);
});

void test('YAML bodies: aliases that expand past the body limit get 413; tags and __proto__ keys get 400 naming the field', async (t) => {
  const { url } = await startTestGateway(t, { bodyLimitBytes: 256 * 1024 });
  const list = Array.from({ length: 1000 }, (_, i) => `        - ${String(i).padStart(100, 'x')}`).join('\n');
  const refs = Array.from({ length: 50 }, (_, i) => `      k${i}: *big`).join('\n');
  const bomb = `steps:\n  - id: a\n    task: echo\n    input:\n      list: &big\n${list}\n  - id: b\n    task: echo\n    input:\n${refs}\n`;
  assert.ok(bomb.length < 256 * 1024);
  const big = await http(url, 'PUT', '/api/v1/workflows/bomb', bomb, { 'content-type': 'application/yaml' });
  assert.equal(big.status, 413, JSON.stringify(big.body));
  assert.equal((big.body as ErrorShape).error.code, 'ORCH_PAYLOAD_TOO_LARGE');

  const proto = await http(url, 'PUT', '/api/v1/workflows/proto', 'steps:\n  - id: a\n    task: echo\n    input:\n      __proto__: {x: 1}\n', { 'content-type': 'application/yaml' });
  assert.equal(proto.status, 400);
  assert.equal((proto.body as ErrorShape).error.code, 'ORCH_BAD_REQUEST');
  assert.equal((proto.body as { error: { details: { field: string } } }).error.details.field, 'steps[0].input.__proto__');

  for (const tag of ['!!binary aGVsbG8=', '!!set {x, y}', '!!js/function "f"']) {
    const res = await http(url, 'PUT', '/api/v1/workflows/tagged', `steps:\n  - id: a\n    task: echo\n    input:\n      v: ${tag}\n`, { 'content-type': 'application/yaml' });
    assert.equal(res.status, 400, tag);
    assert.equal((res.body as { error: { details: { field: string } } }).error.details.field, 'steps[0].input.v', tag);
  }
});

void test('a literal step input over the input limit is refused at registration with 413 naming the step', async (t) => {
  const { url } = await startTestGateway(t, { maxInputBytes: 1024, bodyLimitBytes: 64 * 1024 });
  const res = await http(url, 'PUT', '/api/v1/workflows/heavy', {
    steps: [
      { id: 'a', task: 'echo', input: { small: 'x' } },
      { id: 'b', task: 'echo', input: { blob: 'y'.repeat(2000) } },
    ],
  });
  assert.equal(res.status, 413, JSON.stringify(res.body));
  const error = (res.body as { error: { code: string; details: { field: string; limit: number } } }).error;
  assert.equal(error.code, 'ORCH_PAYLOAD_TOO_LARGE');
  assert.equal(error.details.field, 'steps[1].input');
  assert.equal(error.details.limit, 1024);
  const fits = await http(url, 'PUT', '/api/v1/workflows/heavy', { steps: [{ id: 'a', task: 'echo', input: { blob: 'y'.repeat(900) } }] });
  assert.equal(fits.status, 201);
});
