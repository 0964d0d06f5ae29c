import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { DEFINITION, http, startTestGateway } from './helpers.js';

interface ErrorShape {
  error: { code: string; message: string; details?: { field?: string; limit?: number } };
}

function assertErrorShape(body: unknown, code: string): ErrorShape {
  const shaped = body as ErrorShape;
  assert.equal(typeof shaped, 'object');
  assert.deepEqual(Object.keys(shaped), ['error']);
  assert.equal(shaped.error.code, code);
  assert.equal(typeof shaped.error.message, 'string');
  assert.ok(shaped.error.message.length > 0);
  return shaped;
}

/** A raw request, for bytes fetch refuses to send (a malformed path). */
function rawRequest(url: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

void test('a body over the limit is 413 with the error shape, also for a 5 MB body', async (t) => {
  const { url } = await startTestGateway(t, { bodyLimitBytes: 64 * 1024 });
  const justOver = await http(url, 'PUT', '/api/v1/workflows/orders', { ...DEFINITION, description: 'x'.repeat(70 * 1024) });
  assert.equal(justOver.status, 413);
  assert.equal(assertErrorShape(justOver.body, 'ORCH_PAYLOAD_TOO_LARGE').error.details?.limit, 64 * 1024);
  const huge = await http(url, 'PUT', '/api/v1/workflows/orders', JSON.stringify({ ...DEFINITION, description: 'x'.repeat(5 * 1024 * 1024) }));
  assert.equal(huge.status, 413);
  assertErrorShape(huge.body, 'ORCH_PAYLOAD_TOO_LARGE');
});

void test('the default limit is 1 MiB', async (t) => {
  const { url } = await startTestGateway(t);
  const huge = await http(url, 'PUT', '/api/v1/workflows/orders', JSON.stringify({ ...DEFINITION, description: 'x'.repeat(5 * 1024 * 1024) }));
  assert.equal(huge.status, 413);
  assertErrorShape(huge.body, 'ORCH_PAYLOAD_TOO_LARGE');
});

void test('a run input over the payload limit is 413 naming input; a body past twice the limit is 413 naming the body', async (t) => {
  const { url } = await startTestGateway(t, { maxPayloadBytes: 2 * 1024 * 1024 });
  const over = await http(url, 'POST', '/api/v1/runs', JSON.stringify({ workflow: 'orders', input: 'x'.repeat(3 * 1024 * 1024) }));
  assert.equal(over.status, 413);
  const details = assertErrorShape(over.body, 'ORCH_PAYLOAD_TOO_LARGE').error.details as { field?: string; limit?: number } | undefined;
  assert.deepEqual([details?.field, details?.limit], ['input', 2 * 1024 * 1024]);
  const far = await http(url, 'POST', '/api/v1/runs', JSON.stringify({ workflow: 'orders', input: 'x'.repeat(5 * 1024 * 1024) }));
  assert.equal(far.status, 413);
  assert.equal((assertErrorShape(far.body, 'ORCH_PAYLOAD_TOO_LARGE').error.details as { field?: string } | undefined)?.field, 'body');
});

void test('a signal payload over the input limit is 413 naming payload, before the run is looked up', async (t) => {
  const { url } = await startTestGateway(t, { maxInputBytes: 1024 });
  const over = await http(url, 'POST', '/api/v1/runs/no-such-run/signals/approve', { payload: { note: 'x'.repeat(2000) } });
  assert.equal(over.status, 413);
  const { error } = assertErrorShape(over.body, 'ORCH_PAYLOAD_TOO_LARGE');
  assert.deepEqual([error.details?.field, error.details?.limit], ['payload', 1024]);
  assert.match(error.message, /^payload is \d+ bytes serialized; the limit is 1024$/);
  const within = await http(url, 'POST', '/api/v1/runs/no-such-run/signals/approve', { payload: { note: 'small' } });
  assert.equal(within.status, 404);
});

void test('malformed JSON is 400 ORCH_BAD_REQUEST; a wrong content type is 415 ORCH_UNSUPPORTED_MEDIA_TYPE', async (t) => {
  const { url } = await startTestGateway(t);
  for (const text of ['{', '{"workflow": }', 'nul', '{"a":1}}']) {
    const res = await http(url, 'POST', '/api/v1/runs', text);
    assert.equal(res.status, 400, text);
    assertErrorShape(res.body, 'ORCH_BAD_REQUEST');
  }
  const proto = await http(url, 'POST', '/api/v1/runs', '{"__proto__": {"x": 1}, "workflow": "a"}');
  assert.equal(proto.status, 400);
  assertErrorShape(proto.body, 'ORCH_BAD_REQUEST');

  const wrongType = await http(url, 'POST', '/api/v1/runs', 'workflow=orders', { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(wrongType.status, 415);
  assert.equal(assertErrorShape(wrongType.body, 'ORCH_UNSUPPORTED_MEDIA_TYPE').error.details?.field, 'content-type');
  // YAML is for definitions only.
  const yamlRun = await http(url, 'POST', '/api/v1/runs', 'workflow: orders', { 'content-type': 'application/yaml' });
  assert.equal(yamlRun.status, 415);
  assertErrorShape(yamlRun.body, 'ORCH_UNSUPPORTED_MEDIA_TYPE');
  const xml = await http(url, 'POST', '/api/v1/runs', '<run/>', { 'content-type': 'application/xml' });
  assert.equal(xml.status, 415);
  assertErrorShape(xml.body, 'ORCH_UNSUPPORTED_MEDIA_TYPE');
});

void test('unknown routes and methods are 404 with the shape; a malformed URL is 400', async (t) => {
  const { url } = await startTestGateway(t);
  for (const [method, path] of [
    ['GET', '/nope'],
    ['GET', '/api/v1/nope'],
    ['DELETE', '/api/v1/runs/r1'],
    ['POST', '/api/v1/workflows'],
  ] as const) {
    const res = await http(url, method, path);
    assert.equal(res.status, 404, `${method} ${path}`);
    assertErrorShape(res.body, 'ORCH_NOT_FOUND');
  }
  const bad = await rawRequest(url, '/api/v1/runs/%E0%A4%A');
  assert.equal(bad.status, 400, bad.body);
  assert.equal(typeof (JSON.parse(bad.body) as ErrorShape).error.code, 'string');
});

void test('a 400 for an over-long name or run id does not echo the URL back', async (t) => {
  const { url } = await startTestGateway(t);
  const long = 'n'.repeat(5000);
  for (const [method, path] of [
    ['PUT', `/api/v1/workflows/${long}`],
    ['GET', `/api/v1/workflows/${long}`],
    ['GET', `/api/v1/runs/${long}`],
    ['POST', `/api/v1/runs/${long}/cancel`],
    ['GET', `/api/v1/runs/%zz${long}`],
  ] as const) {
    const res = await http(url, method, path, method === 'PUT' ? { steps: [{ id: 'a', task: 't' }] } : undefined);
    assert.equal(res.status, 400, `${method} ${path.slice(0, 40)}`);
    const error = assertErrorShape(res.body, 'ORCH_BAD_REQUEST').error;
    assert.ok(error.message.length < 300, error.message.slice(0, 300));
    assert.equal(error.details?.field, 'url');
  }
});

void test('/healthz, /readyz and /metrics', async (t) => {
  const { url } = await startTestGateway(t);
  assert.deepEqual((await http(url, 'GET', '/healthz')).body, { status: 'ok' });
  assert.equal((await http(url, 'GET', '/readyz')).status, 200);
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  const started = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders' });
  // Submitted, not started yet: the run answers PENDING here, and is counted once it starts.
  assert.equal(((await http(url, 'GET', `/api/v1/runs/${(started.body as { runId: string }).runId}`)).body as { status: string }).status, 'PENDING');
  const metrics = await http(url, 'GET', '/metrics');
  assert.equal(metrics.status, 200);
  const text = String(metrics.body);
  assert.match(text, /# TYPE orch_runs gauge/);
  assert.match(text, /orch_gateway_http_request_duration_seconds_bucket\{.*route="\/api\/v1\/runs".*\}/);
  assert.match(text, /orch_gateway_ws_clients 0/);
  assert.match(text, /orch_gateway_records_consumed_total/);
  assert.match(text, /orch_gateway_dlq_records_total/);
});

void test('deeply nested bodies are a 400 naming the body, never a stack overflow 500', async (t) => {
  const { url } = await startTestGateway(t);
  const depth = 200_000;
  const deep = '['.repeat(depth) + ']'.repeat(depth);
  const cases: [string, string, string, string][] = [
    ['PUT', '/api/v1/workflows/deep', `{"steps":[{"id":"a","task":"t","input":${deep}}]}`, 'application/json'],
    ['POST', '/api/v1/runs', `{"workflow":"deep","input":${deep}}`, 'application/json'],
    ['PUT', '/api/v1/workflows/deep', `steps:\n  - id: a\n    task: t\n    input: ${deep}\n`, 'application/yaml'],
  ];
  for (const [method, path, body, type] of cases) {
    const res = await http(url, method, path, body, { 'content-type': type });
    assert.equal(res.status, 400, `${method} ${path} ${type}`);
    assert.equal(assertErrorShape(res.body, 'ORCH_BAD_REQUEST').error.details?.field, 'body');
  }
  // A reasonable depth is fine.
  const nested = JSON.stringify({ steps: [{ id: 'a', task: 't', input: JSON.parse('['.repeat(40) + ']'.repeat(40)) as unknown }] });
  assert.equal((await http(url, 'PUT', '/api/v1/workflows/nested', nested)).status, 201);
});

/** Writes raw bytes on a TCP connection and returns everything the server sends back. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.end(bytes));
    let text = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

void test('requests the HTTP parser rejects still get the error shape', async (t) => {
  const { url } = await startTestGateway(t);
  const badLength = await rawExchange(url, 'POST /api/v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}');
  assert.match(badLength, /^HTTP\/1\.1 400 /);
  const body = badLength.slice(badLength.indexOf('\r\n\r\n') + 4);
  assertErrorShape(JSON.parse(body), 'ORCH_BAD_REQUEST');
  const hugeHeaders = await rawExchange(url, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(32 * 1024)}\r\n\r\n`);
  assert.match(hugeHeaders, /^HTTP\/1\.1 431 /);
  assert.equal((await http(url, 'GET', '/healthz')).status, 200);
});
