/**
 * Other web pages cannot drive a default gateway through a browser: a foreign Origin on a write
 * or a WebSocket handshake is refused, a rebound Host is refused, and writes with the content
 * types a page may send without a preflight get 415. Requests without Origin (curl) still pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import type { FastifyRequest } from 'fastify';
import type { CleanupContext } from './helpers.js';
import { DEFINITION, startTestGateway } from './helpers.js';
import { hostName, OriginGuard } from '../src/origin-guard.js';

interface RawResponse {
  status: number;
  body: { error?: { code: string; message: string; details?: { field?: string } } } | undefined;
}

/** node:http, so that Host and Origin are sent exactly as given. */
function raw(url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<RawResponse> {
  const target = new URL(path, url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: target.hostname, port: target.port, path: target.pathname, method, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : (JSON.parse(text) as RawResponse['body']) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function upgrade(t: CleanupContext, url: string, headers: Record<string, string>): Promise<'open' | number> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/stream`, { headers });
  t.after(() => socket.terminate());
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve('open'));
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    socket.once('error', reject);
  });
}

const json = { 'content-type': 'application/json' };
const definition = JSON.stringify({ steps: DEFINITION.steps });

void test('a foreign Origin cannot open the stream; the same origin, an allowed one and no Origin can', async (t) => {
  const { url } = await startTestGateway(t, { corsOrigins: ['https://portal.example.com'] });
  const own = new URL(url).origin;
  assert.equal(await upgrade(t, url, { origin: 'https://evil.example' }), 403);
  assert.equal(await upgrade(t, url, { origin: 'null' }), 403);
  assert.equal(await upgrade(t, url, { origin: own }), 'open');
  assert.equal(await upgrade(t, url, { origin: 'https://portal.example.com' }), 'open');
  assert.equal(await upgrade(t, url, {}), 'open');
});

void test('a foreign Origin cannot write (cancel, start, register); reads and Origin-less writes pass', async (t) => {
  const { url } = await startTestGateway(t);
  const evil = { origin: 'https://evil.example' };
  // The no-cors POST a page can send: no body, no content type.
  const cancel = await raw(url, 'POST', '/api/v1/runs/some-run/cancel', evil);
  assert.equal(cancel.status, 403);
  assert.equal(cancel.body?.error?.code, 'ORCH_FORBIDDEN');
  assert.equal(cancel.body?.error?.details?.field, 'origin');
  assert.equal((await raw(url, 'PUT', '/api/v1/workflows/w1', { ...evil, ...json }, definition)).status, 403);
  assert.equal((await raw(url, 'POST', '/api/v1/runs', { ...evil, ...json }, '{"workflow":"w1"}')).status, 403);
  // Reads are left to CORS: the page cannot read the answer.
  assert.equal((await raw(url, 'GET', '/api/v1/workflows', evil)).status, 200);
  // curl sends no Origin; the gateway's own page sends its own.
  assert.equal((await raw(url, 'POST', '/api/v1/runs/some-run/cancel', {})).status, 404);
  assert.equal((await raw(url, 'PUT', '/api/v1/workflows/w1', { origin: new URL(url).origin, ...json }, definition)).status, 201);
});

void test('a Host that is not the listen address, a loopback name or an allowed name is refused (DNS rebinding)', async (t) => {
  const { url } = await startTestGateway(t, { allowedHosts: ['orch.internal'] });
  const port = new URL(url).port;
  const rebound = await raw(url, 'PUT', '/api/v1/workflows/w1', { host: `attacker.example:${port}`, ...json }, definition);
  assert.equal(rebound.status, 403);
  assert.equal(rebound.body?.error?.details?.field, 'host');
  assert.equal((await raw(url, 'GET', '/api/v1/runs', { host: `attacker.example:${port}` })).status, 403);
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `orch.internal:${port}`, 'ORCH.internal']) {
    assert.equal((await raw(url, 'GET', '/api/v1/runs', { host })).status, 200, host);
  }
  // Health probes come with whatever Host the platform uses.
  assert.equal((await raw(url, 'GET', '/healthz', { host: '10.1.2.3:8080' })).status, 200);
});

void test('writes with a content type a page may send without a preflight get 415', async (t) => {
  const { url } = await startTestGateway(t);
  for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const res = await raw(url, 'POST', '/api/v1/runs', { 'content-type': type }, '{"workflow":"w1"}');
    assert.equal(res.status, 415, type);
    assert.equal(res.body?.error?.code, 'ORCH_UNSUPPORTED_MEDIA_TYPE', type);
    assert.equal(res.body?.error?.details?.field, 'content-type');
  }
});

function fakeRequest(headers: Record<string, string>): FastifyRequest {
  return { headers } as unknown as FastifyRequest;
}

void test('on a wildcard listen address any IP literal Host passes, names still need allowing', () => {
  const guard = new OriginGuard({ host: '0.0.0.0', allowedHosts: [], corsOrigins: [] });
  guard.checkHost(fakeRequest({ host: '10.0.0.7:8080' }));
  guard.checkHost(fakeRequest({ host: '[fe80::1]:8080' }));
  guard.checkHost(fakeRequest({ host: 'localhost' }));
  assert.throws(() => guard.checkHost(fakeRequest({ host: 'attacker.example' })), /ORCH_ALLOWED_HOSTS/);
  assert.throws(() => guard.checkHost(fakeRequest({})), /host/);
  new OriginGuard({ host: '127.0.0.1', allowedHosts: ['*'], corsOrigins: [] }).checkHost(fakeRequest({ host: 'anything.example' }));
  assert.equal(hostName('[::1]:80'), '[::1]');
  assert.equal(hostName('Example.COM:443'), 'example.com');
});
