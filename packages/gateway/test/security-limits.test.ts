/**
 * CORS allow-list and rate limits on a real gateway (embedded bus, 127.0.0.1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFINITION, http, startTestGateway } from './helpers.js';

const ALLOWED = 'https://portal.example.com';
const A = 'token-a-0123456789abcdef';
const B = 'token-b-0123456789abcdef';
const auth = { tokens: [{ name: 'a', scope: 'write' as const, token: A }, { name: 'b', scope: 'read' as const, token: B }] };
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

void test('an allowed origin gets CORS headers and a working preflight; another origin gets none', async (t) => {
  const { url } = await startTestGateway(t, { corsOrigins: [ALLOWED, 'http://localhost:5173'], auth });
  const preflight = await http(url, 'OPTIONS', '/api/v1/runs', undefined, {
    origin: ALLOWED,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization, content-type',
  });
  assert.equal(preflight.status, 204, 'the preflight needs no token');
  assert.equal(preflight.headers.get('access-control-allow-origin'), ALLOWED);
  assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
  assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/);
  assert.equal(preflight.headers.get('access-control-max-age'), '600');

  const get = await http(url, 'GET', '/api/v1/workflows', undefined, { origin: ALLOWED, ...bearer(B) });
  assert.equal(get.status, 200);
  assert.equal(get.headers.get('access-control-allow-origin'), ALLOWED);
  // A refusal carries the CORS headers too, so the browser lets the page read the 401.
  const refused = await http(url, 'GET', '/api/v1/workflows', undefined, { origin: ALLOWED });
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get('access-control-allow-origin'), ALLOWED);

  const evilPreflight = await http(url, 'OPTIONS', '/api/v1/runs', undefined, { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' });
  assert.equal(evilPreflight.headers.get('access-control-allow-origin'), null);
  assert.equal(evilPreflight.headers.get('access-control-allow-methods'), null);
  const evil = await http(url, 'GET', '/api/v1/workflows', undefined, { origin: 'https://evil.example.com', ...bearer(B) });
  assert.equal(evil.headers.get('access-control-allow-origin'), null);
});

void test('without an allow-list no response carries CORS headers (same-origin only)', async (t) => {
  const { url } = await startTestGateway(t);
  const get = await http(url, 'GET', '/api/v1/workflows', undefined, { origin: ALLOWED });
  assert.equal(get.status, 200);
  assert.equal(get.headers.get('access-control-allow-origin'), null);
  const preflight = await http(url, 'OPTIONS', '/api/v1/runs', undefined, { origin: ALLOWED, 'access-control-request-method': 'POST' });
  assert.equal(preflight.headers.get('access-control-allow-origin'), null);
});

void test('each token has its own budget: over it, 429 with the error shape and Retry-After; probes are never limited', async (t) => {
  const { url } = await startTestGateway(t, { auth, rateLimitPerMinute: 3 });
  for (let i = 0; i < 3; i++) {
    const res = await http(url, 'GET', '/api/v1/workflows', undefined, bearer(A));
    assert.equal(res.status, 200, `request ${i + 1}`);
    assert.equal(res.headers.get('x-ratelimit-limit'), '3');
  }
  const limited = await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION, bearer(A));
  assert.equal(limited.status, 429);
  const body = limited.body as { error: { code: string; message: string; details: { limit: number; retryAfterSeconds: number } } };
  assert.equal(body.error.code, 'ORCH_RATE_LIMITED');
  assert.equal(body.error.details.limit, 3);
  const retryAfter = Number(limited.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${String(limited.headers.get('retry-after'))}`);
  assert.equal(body.error.details.retryAfterSeconds, retryAfter);

  // Another token is not affected.
  assert.equal((await http(url, 'GET', '/api/v1/workflows', undefined, bearer(B))).status, 200);
  for (let i = 0; i < 10; i++) {
    assert.equal((await http(url, 'GET', '/healthz')).status, 200);
    assert.equal((await http(url, 'GET', '/readyz')).status, 200);
  }
});

void test('bad tokens are limited per client IP, so guessing tokens is throttled', async (t) => {
  const { url } = await startTestGateway(t, { auth, rateLimitPerMinute: 2 });
  assert.equal((await http(url, 'GET', '/api/v1/runs', undefined, bearer('guess-1-0123456789abcdef'))).status, 401);
  assert.equal((await http(url, 'GET', '/api/v1/runs', undefined, bearer('guess-2-0123456789abcdef'))).status, 401);
  const third = await http(url, 'GET', '/api/v1/runs', undefined, bearer('guess-3-0123456789abcdef'));
  assert.equal(third.status, 429);
  assert.equal((third.body as { error: { code: string } }).error.code, 'ORCH_RATE_LIMITED');
  // The valid token has a budget of its own.
  assert.equal((await http(url, 'GET', '/api/v1/runs', undefined, bearer(A))).status, 200);
});

void test('with auth off, the limit applies per client IP', async (t) => {
  const { url } = await startTestGateway(t, { rateLimitPerMinute: 2 });
  assert.equal((await http(url, 'GET', '/api/v1/runs')).status, 200);
  assert.equal((await http(url, 'GET', '/api/v1/workflows')).status, 200);
  const limited = await http(url, 'GET', '/api/v1/runs');
  assert.equal(limited.status, 429);
  assert.ok(limited.headers.get('retry-after'));
});
