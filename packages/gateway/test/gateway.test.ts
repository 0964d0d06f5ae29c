/**
 * startGateway as a process sees it: graceful shutdown (stream clients told 1001, readiness off,
 * refused upgrades do not hold shutdown open) and log lines (no per-request info lines; lines about
 * a run carry its runId; no secret is ever logged).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { DEFINITION, http, openStream, startTestGateway } from './helpers.js';

const TOKEN = 'deployer-token-0123456789abcdef';
const auth = { tokens: [{ name: 'deployer', scope: 'write' as const, token: TOKEN }] };

function captureLogger(level = 'info'): { logger: Logger; lines: Record<string, unknown>[]; raw: string[] } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level }, stream);
  return {
    logger,
    raw,
    get lines() {
      return raw.flatMap((text) => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>));
    },
  };
}

void test('close(): stream clients get 1001 (going away), /readyz turns 503 first, and it finishes promptly', async (t) => {
  const { gateway, url } = await startTestGateway(t);
  const stream = openStream(t, url, '');
  await stream.opened;
  assert.equal(gateway.isReady(), true);
  const started = Date.now();
  const closing = gateway.close();
  assert.equal(gateway.isReady(), false, 'not ready as soon as shutdown begins');
  await closing;
  const closed = await stream.closed;
  assert.equal(closed.code, 1001);
  assert.equal(closed.reason, 'server shutting down');
  assert.ok(Date.now() - started < 5000, 'shutdown does not wait out close handshakes');
});

void test('a refused WebSocket upgrade (401) does not hold shutdown open', async (t) => {
  const { gateway, url } = await startTestGateway(t, { auth });
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v1/stream`);
  // Terminating a socket whose upgrade was refused reports an error; it is expected here.
  socket.on('error', () => undefined);
  t.after(() => socket.terminate());
  const status = await new Promise<number>((resolve) => {
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
  });
  assert.equal(status, 401);
  // The client keeps its end open on purpose: the server must close its side.
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    gateway.close().then(() => 'closed'),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still open after 5 s'), 5000))),
  ]);
  clearTimeout(timer);
  assert.equal(outcome, 'closed');
});

void test('logs: no per-request info lines; writes log an audit line with runId and the token name; no secret appears', async (t) => {
  const capture = captureLogger('info');
  const { url } = await startTestGateway(t, { auth, logger: capture.logger });
  const headers = { authorization: `Bearer ${TOKEN}` };
  assert.equal((await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION, headers)).status, 201);
  const started = await http(url, 'POST', '/api/v1/runs', { workflow: 'orders' }, headers);
  assert.equal(started.status, 202);
  const { runId } = started.body as { runId: string };
  await http(url, 'GET', `/api/v1/runs/${runId}`, undefined, headers);
  await http(url, 'GET', '/api/v1/runs', undefined, { authorization: 'Bearer wrong-token-0123456789abcdef' });

  const lines = capture.lines;
  assert.ok(!lines.some((l) => l.msg === 'incoming request' || l.msg === 'request completed'), 'requests are not logged at info');
  const submitted = lines.find((l) => l.msg === 'run submitted');
  assert.equal(submitted?.runId, runId);
  assert.equal(submitted?.principal, 'deployer');
  assert.equal(submitted?.workflow, 'orders');
  const registered = lines.find((l) => l.msg === 'workflow version registered');
  assert.deepEqual([registered?.workflow, registered?.version, registered?.principal], ['orders', 1, 'deployer']);
  assert.ok(!capture.raw.join('').includes(TOKEN), 'the token never reaches the logs');
});

void test('logs at debug: one line per request, with the access_token redacted', async (t) => {
  const capture = captureLogger('debug');
  const { url } = await startTestGateway(t, { auth, logger: capture.logger });
  await http(url, 'GET', `/api/v1/stream?access_token=${TOKEN}`);
  const completed = capture.lines.filter((l) => l.msg === 'request completed');
  assert.equal(completed.length, 1);
  assert.equal(completed[0]?.url, '/api/v1/stream?access_token=[redacted]');
  assert.equal(completed[0]?.principal, 'deployer');
  assert.ok(!capture.raw.join('').includes(TOKEN), 'the token never reaches the logs');
});
