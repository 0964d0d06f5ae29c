import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { DEFINITION, http, startTestGateway } from './helpers.js';

interface Operation {
  requestBody?: { content: Record<string, { schema: object }> };
  parameters?: { in: string; name: string }[];
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
}
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** Every route the gateway serves, as OpenAPI path templates. */
const ROUTES: [string, string][] = [
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['get', '/metrics'],
  ['get', '/api/v1/openapi.json'],
  ['put', '/api/v1/workflows/{name}'],
  ['get', '/api/v1/workflows'],
  ['get', '/api/v1/workflows/{name}'],
  ['post', '/api/v1/runs'],
  ['post', '/api/v1/runs/batch'],
  ['get', '/api/v1/runs'],
  ['get', '/api/v1/runs/{runId}'],
  ['get', '/api/v1/runs/{runId}/events'],
  ['post', '/api/v1/runs/{runId}/cancel'],
  ['post', '/api/v1/runs/{runId}/retry'],
  ['post', '/api/v1/runs/{runId}/rerun'],
  ['post', '/api/v1/runs/{runId}/signals/{name}'],
  ['get', '/api/v1/stream'],
  ['get', '/api/v1/dlq'],
  ['get', '/api/v1/payloads/{ref}'],
  ['post', '/api/v1/dlq/redrive'],
  ['put', '/api/v1/schedules/{name}'],
  ['get', '/api/v1/schedules'],
  ['get', '/api/v1/schedules/{name}'],
  ['delete', '/api/v1/schedules/{name}'],
  ['post', '/api/v1/schedules/{name}/trigger'],
];

function schemaOf(doc: Doc, method: string, path: string, status: number): Record<string, unknown> {
  const schema = doc.paths[path]?.[method]?.responses[String(status)]?.content?.['application/json']?.schema;
  assert.ok(schema, `${method} ${path} documents a ${status} response`);
  return schema;
}

void test('GET /api/v1/openapi.json is OpenAPI 3.1 listing every route with its request and error schemas, which the responses match', async (t) => {
  const { url, gateway } = await startTestGateway(t);
  const res = await http(url, 'GET', '/api/v1/openapi.json');
  assert.equal(res.status, 200);
  const doc = res.body as Doc;
  assert.equal(doc.openapi, '3.1.0');

  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)).sort();
  assert.deepEqual(documented, ROUTES.map(([m, p]) => `${m} ${p}`).sort());

  // Every route the app serves under /api, /healthz, /readyz and /metrics is documented.
  const served = gateway.app.printRoutes({ commonPrefix: false, includeMeta: false });
  for (const line of served.split('\n')) {
    const match = /(\/\S*) \(([A-Z, ]+)\)/.exec(line);
    if (match === null || !/^\/(api|healthz|readyz|metrics)/.test(match[1] ?? '')) continue;
    const path = (match[1] ?? '').replace(/:(\w+)/g, '{$1}');
    for (const method of (match[2] ?? '').split(', ').filter((m) => m !== 'HEAD')) {
      assert.ok(doc.paths[path]?.[method.toLowerCase()], `${method} ${path} is served but not documented`);
    }
  }

  for (const [method, path] of ROUTES) {
    const op = doc.paths[path]?.[method];
    assert.ok(op, `${method} ${path}`);
    for (const status of [400, 401, 403, 429, 503]) {
      const error = schemaOf(doc, method, path, status);
      assert.deepEqual((error.properties as { error: { required: string[] } }).error.required, ['code', 'message'], `${method} ${path} ${status}`);
    }
    if (method === 'put' || (method === 'post' && path.startsWith('/api/v1/runs') && !path.includes('{'))) {
      assert.ok(op.requestBody?.content['application/json']?.schema, `${method} ${path} documents its body`);
    }
    for (const name of path.match(/\{(\w+)\}/g) ?? []) {
      assert.ok(op.parameters?.some((p) => p.in === 'path' && `{${p.name}}` === name), `${method} ${path} documents ${name}`);
    }
  }
  const start = doc.paths['/api/v1/runs']?.post?.requestBody?.content['application/json']?.schema as { properties: Record<string, unknown>; required: string[] };
  assert.deepEqual(Object.keys(start.properties).sort(), ['idempotencyKey', 'input', 'priority', 'version', 'workflow']);
  assert.deepEqual(start.required, ['workflow']);

  // The responses the gateway gives match the schemas it documents.
  const ajv = new Ajv2020({ strict: false });
  const check = (method: string, path: string, status: number, body: unknown): void => {
    const validate = ajv.compile(schemaOf(doc, method, path, status));
    assert.ok(validate(body), `${method} ${path} ${status}: ${ajv.errorsText(validate.errors)}`);
  };

  const put = await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  check('put', '/api/v1/workflows/{name}', 201, put.body);
  check('get', '/api/v1/workflows', 200, (await http(url, 'GET', '/api/v1/workflows')).body);
  check('get', '/api/v1/workflows/{name}', 200, (await http(url, 'GET', '/api/v1/workflows/orders')).body);
  const started = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', input: { amount: 1 } });
  check('post', '/api/v1/runs', 202, started.body);
  const batch = await http(url, 'POST', '/api/v1/runs/batch', { runs: [{ workflow: 'orders' }, { workflow: 'orders', idempotencyKey: 'k', input: 1 }] });
  check('post', '/api/v1/runs/batch', 202, batch.body);
  const conflicting = await http(url, 'POST', '/api/v1/runs/batch', { runs: [{ workflow: 'orders' }, { workflow: 'orders', idempotencyKey: 'k', input: 2 }] });
  assert.ok((conflicting.body as { items: unknown[] }).items.some((item) => typeof item === 'object' && item !== null && 'error' in item));
  check('post', '/api/v1/runs/batch', 202, conflicting.body);
  check('get', '/api/v1/runs', 200, (await http(url, 'GET', '/api/v1/runs')).body);
  const missing = await http(url, 'GET', '/api/v1/runs/nope');
  assert.equal(missing.status, 404);
  check('get', '/api/v1/runs/{runId}', 404, missing.body);
  const bad = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', extra: 1 });
  assert.equal(bad.status, 400);
  check('post', '/api/v1/runs', 400, bad.body);

  // A body that breaks the documented schema is refused by the handler's zod schema, the same source.
  const validateBody = ajv.compile(doc.paths['/api/v1/runs']?.post?.requestBody?.content['application/json']?.schema ?? {});
  assert.equal(validateBody({ workflow: 'orders', extra: 1 }), false);
});
