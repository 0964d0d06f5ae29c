/**
 * Arbitrary methods, paths, query strings, content types and bodies against the real server:
 * the answer is never a 5xx, every error has the error shape, and the server stays healthy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { DEFINITION, http, produceEvents, runStarted, startTestGateway } from './helpers.js';

interface Reply {
  status: number;
  body: string;
}

/** Sends bytes as they are (fetch would normalize or refuse a malformed path). */
function send(url: string, method: string, path: string, contentType: string | undefined, body: string | undefined): Promise<Reply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const req = httpRequest({ host: hostname, port, path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Keeps `%` and printable ASCII raw (so bad escapes get through), escapes the rest. */
function rawSegment(s: string): string {
  return [...s].map((c) => (/^[\x21-\x7e]$/.test(c) && c !== '?' && c !== '#' ? c : encodeURIComponent(c))).join('');
}

const segment = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.string({ maxLength: 30 }).map(rawSegment),
  fc.constantFrom('r1', 'orders', '..', '%', '%zz', '%E0%A4%A', '', '.', 'run-0'),
);

const path = fc.oneof(
  fc.constantFrom('/api/v1/workflows', '/api/v1/runs', '/healthz', '/readyz', '/metrics', '/api/v1/stream', '/'),
  segment.map((s) => `/api/v1/workflows/${s}`),
  segment.map((s) => `/api/v1/runs/${s}`),
  segment.map((s) => `/api/v1/runs/${s}/events`),
  segment.map((s) => `/api/v1/runs/${s}/cancel`),
  segment.map((s) => `/api/v1/runs/${s}/retry`),
  fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
);

const queryKey = fc.oneof(fc.constantFrom('limit', 'status', 'cursor', 'since', 'version', 'workflow', 'runId'), fc.string({ maxLength: 8 }));
const queryValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer().map(String),
  fc.constantFrom('RUNNING', 'FAILED', '0', '1000', '1001', '-1', '1e3', 'eyJwIjpbMF19', 'WzEsInIiXQ', '%zz'),
);
const query = fc.oneof(
  fc.constant(''),
  fc.array(fc.tuple(queryKey, queryValue), { maxLength: 4 }).map((pairs) => `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${rawSegment(v)}`).join('&')}`),
);

const runBody = fc.record(
  {
    workflow: fc.oneof(fc.constantFrom('orders', 'nope'), fc.jsonValue()),
    version: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.jsonValue()),
    input: fc.jsonValue(),
    idempotencyKey: fc.oneof(fc.string({ maxLength: 10 }), fc.jsonValue()),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);
const definitionBody = fc.oneof(
  fc.jsonValue(),
  fc.record({ steps: fc.array(fc.record({ id: fc.string({ maxLength: 6 }), task: fc.string({ maxLength: 6 }), dependsOn: fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }) }, { requiredKeys: [] }), { maxLength: 4 }) }),
  fc.constant(DEFINITION),
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.oneof(fc.jsonValue(), runBody, definitionBody).map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ maxLength: 200 }),
);
const contentType = fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'application/yaml', 'text/yaml', 'text/plain', 'application/octet-stream', 'multipart/form-data', '');

void test('fuzz: arbitrary requests never get a 5xx, errors have the shape, and /healthz stays 200', async (t) => {
  const { url, transport, names } = await startTestGateway(t);
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  await produceEvents(transport, names, [runStarted('r1'), runStarted('run-0')]);
  const started = Date.now();
  let runs = 0;
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), path, query, contentType, body, async (method, p, q, type, payload) => {
      runs += 1;
      const sendBody = method === 'GET' || method === 'DELETE' ? undefined : payload;
      const reply = await send(url, method, p + q, sendBody === undefined ? undefined : type, sendBody);
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      assert.ok(reply.status < 500, `${method} ${p}${q} [${String(type)}] ${String(sendBody).slice(0, 200)} -> ${reply.status} ${reply.body.slice(0, 300)}`);
      if (reply.status >= 400) {
        const parsed = JSON.parse(reply.body) as { error?: { code?: unknown; message?: unknown } };
        assert.equal(typeof parsed.error?.code, 'string', reply.body);
        assert.equal(typeof parsed.error?.message, 'string', reply.body);
      }
    }),
    // Bounded in count and in time.
    { numRuns: 1000, interruptAfterTimeLimit: 60_000 },
  );
  t.diagnostic(`${runs} requests in ${Date.now() - started} ms; statuses ${JSON.stringify([...statuses].sort())}`);
  // The generators reach the routes, not only the not-found handler.
  for (const status of [200, 400, 404]) assert.ok((statuses.get(status) ?? 0) > 0, `no ${status} among ${JSON.stringify([...statuses])}`);
  assert.equal((await http(url, 'GET', '/healthz')).status, 200);
  assert.equal((await http(url, 'GET', '/readyz')).status, 200);
});
