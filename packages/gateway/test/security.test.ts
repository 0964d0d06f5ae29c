/**
 * Bearer-token auth on a real gateway (embedded bus, 127.0.0.1): 401 without or with a bad
 * token, 403 for a read token on a write route, the probes stay open, the metrics token, and the
 * WebSocket with a header or `?access_token=`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { CleanupContext } from './helpers.js';
import { DEFINITION, http, startTestGateway } from './helpers.js';

const READ = 'read-token-0123456789abcdef';
const WRITE = 'write-token-0123456789abcdef';
const METRICS = 'metrics-token-0123456789abcdef';
const auth = { tokens: [{ name: 'viewer', scope: 'read' as const, token: READ }, { name: 'deployer', scope: 'write' as const, token: WRITE }] };
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

function assertError(res: { status: number; body: unknown }, status: number, code: string): ErrorBody['error'] {
  assert.equal(res.status, status, JSON.stringify(res.body));
  const body = res.body as ErrorBody;
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  return body.error;
}

/** Opens the stream; resolves 'open' or the HTTP status the upgrade was refused with. */
function connect(t: CleanupContext, url: string, query: string, headers: Record<string, string> = {}): Promise<{ outcome: 'open'; socket: WebSocket } | { outcome: number }> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/stream${query}`, { headers });
  t.after(() => socket.terminate());
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ outcome: 'open', socket }));
    socket.once('unexpected-response', (_req, res) => {
      resolve({ outcome: res.statusCode ?? 0 });
      res.resume();
    });
    socket.once('error', (error) => reject(error));
  });
}

void test('with tokens configured, /api/v1 needs a valid bearer token: 401 with the error shape otherwise', async (t) => {
  const { url } = await startTestGateway(t, { auth });
  const missing = await http(url, 'GET', '/api/v1/workflows');
  const error = assertError(missing, 401, 'ORCH_UNAUTHORIZED');
  assert.equal(error.details?.field, 'authorization');
  assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="orchestrator-lite"');

  const wrong = await http(url, 'GET', '/api/v1/runs', undefined, bearer('not-a-real-token-at-all'));
  assertError(wrong, 401, 'ORCH_UNAUTHORIZED');
  assert.match(wrong.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  assertError(await http(url, 'GET', '/api/v1/runs', undefined, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }), 401, 'ORCH_UNAUTHORIZED');
  assertError(await http(url, 'GET', '/api/v1/runs', undefined, bearer(READ.slice(0, -1))), 401, 'ORCH_UNAUTHORIZED');
  // An unknown route under /api answers 401 too, so routes cannot be probed without a token.
  assertError(await http(url, 'GET', '/api/v1/nothing-here'), 401, 'ORCH_UNAUTHORIZED');
  // A write without a token is refused before its body is looked at.
  assertError(await http(url, 'POST', '/api/v1/runs', '{not json', { 'content-type': 'application/json' }), 401, 'ORCH_UNAUTHORIZED');
  // ?access_token= is for the WebSocket only.
  assertError(await http(url, 'GET', `/api/v1/runs?access_token=${READ}`), 401, 'ORCH_UNAUTHORIZED');

  const ok = await http(url, 'GET', '/api/v1/workflows', undefined, { authorization: `bearer ${READ}` });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, { items: [] });
});

void test('a read token may read but not write (403); a write token may do both', async (t) => {
  const { url } = await startTestGateway(t, { auth });
  const put = await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION, bearer(READ));
  const error = assertError(put, 403, 'ORCH_FORBIDDEN');
  assert.deepEqual(error.details, { scope: 'read', required: 'write' });
  assert.match(error.message, /"viewer" has scope read; PUT \/api\/v1\/workflows\/orders needs write/);

  assert.equal((await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION, bearer(WRITE))).status, 201);
  assertError(await http(url, 'POST', '/api/v1/runs', { workflow: 'orders' }, bearer(READ)), 403, 'ORCH_FORBIDDEN');
  const started = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders', input: { amount: 3 } }, bearer(WRITE));
  assert.equal(started.status, 202);
  const { runId } = started.body as { runId: string };
  assertError(await http(url, 'POST', `/api/v1/runs/${runId}/cancel`, undefined, bearer(READ)), 403, 'ORCH_FORBIDDEN');
  assertError(await http(url, 'POST', `/api/v1/runs/${runId}/retry`, undefined, bearer(READ)), 403, 'ORCH_FORBIDDEN');
  assert.equal((await http(url, 'GET', `/api/v1/runs/${runId}`, undefined, bearer(READ))).status, 200);
  assert.equal((await http(url, 'GET', '/api/v1/workflows/orders', undefined, bearer(READ))).status, 200);
  assert.equal((await http(url, 'POST', `/api/v1/runs/${runId}/cancel`, undefined, bearer(WRITE))).status, 202);
});

void test('/healthz and /readyz stay open with auth on; /metrics is open unless a metrics token is set', async (t) => {
  const open = await startTestGateway(t, { auth });
  assert.equal((await http(open.url, 'GET', '/healthz')).status, 200);
  assert.equal((await http(open.url, 'GET', '/readyz')).status, 200);
  assert.equal((await http(open.url, 'GET', '/metrics')).status, 200);

  const guarded = await startTestGateway(t, { auth, metricsToken: METRICS });
  assert.equal((await http(guarded.url, 'GET', '/healthz')).status, 200);
  assertError(await http(guarded.url, 'GET', '/metrics'), 401, 'ORCH_UNAUTHORIZED');
  // API tokens are not metrics tokens.
  assertError(await http(guarded.url, 'GET', '/metrics', undefined, bearer(WRITE)), 401, 'ORCH_UNAUTHORIZED');
  const scraped = await http(guarded.url, 'GET', '/metrics', undefined, bearer(METRICS));
  assert.equal(scraped.status, 200);
  assert.match(String(scraped.body), /orch_runs/);

  // The metrics token works without API auth too.
  const metricsOnly = await startTestGateway(t, { metricsToken: METRICS });
  assert.equal((await http(metricsOnly.url, 'GET', '/api/v1/workflows')).status, 200);
  assertError(await http(metricsOnly.url, 'GET', '/metrics'), 401, 'ORCH_UNAUTHORIZED');
});

void test('the WebSocket needs a token too: in the Authorization header or as ?access_token=', async (t) => {
  const { url } = await startTestGateway(t, { auth });
  assert.deepEqual(await connect(t, url, ''), { outcome: 401 });
  assert.deepEqual(await connect(t, url, '?access_token=wrong-token-0123456789'), { outcome: 401 });
  assert.deepEqual(await connect(t, url, '', bearer('wrong-token-0123456789')), { outcome: 401 });

  const viaHeader = await connect(t, url, '', bearer(READ));
  assert.equal(viaHeader.outcome, 'open');
  const viaQuery = await connect(t, url, `?access_token=${encodeURIComponent(READ)}`);
  assert.equal(viaQuery.outcome, 'open');
  if (viaQuery.outcome !== 'open') return;
  // The access_token parameter is not a stream parameter: the all-runs stream opens and ping answers.
  // (A runId the gateway does not know would get an error frame and a close, see stream.test.ts.)
  const pong = new Promise<string>((resolve) => viaQuery.socket.once('message', (data) => resolve(String(data))));
  viaQuery.socket.send(JSON.stringify({ type: 'ping' }));
  assert.deepEqual(JSON.parse(await pong), { type: 'pong' });
});

void test('without tokens on loopback, nothing needs a token (the default for local use)', async (t) => {
  const { url } = await startTestGateway(t);
  assert.equal((await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION)).status, 201);
  assert.equal((await http(url, 'POST', '/api/v1/runs', { workflow: 'orders' })).status, 202);
  assert.equal((await connect(t, url, '')).outcome, 'open');
});
