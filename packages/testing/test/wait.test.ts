import * as assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { randomPrefix, waitFor, waitForHttp } from '../src/index.js';

void test('randomPrefix is unique and ends with a dot', () => {
  const a = randomPrefix();
  assert.match(a, /^t-[0-9a-f]{8}\.$/);
  assert.notEqual(a, randomPrefix());
});

void test('waitFor returns the first truthy value', async () => {
  let n = 0;
  const value = await waitFor(() => (++n >= 3 ? `done after ${n}` : false), { timeoutMs: 2000, intervalMs: 5 });
  assert.equal(value, 'done after 3');
});

void test('waitFor times out with the description and the last error', async () => {
  await assert.rejects(
    waitFor(() => { throw new Error('boom'); }, { timeoutMs: 100, intervalMs: 10, description: 'the thing' }),
    (error: Error) => error.message.includes('the thing') && (error.cause as Error).message === 'boom',
  );
});

void test('waitForHttp waits for a 2xx and fails on a server that stays unhealthy', async (t) => {
  let healthy = false;
  const server = createServer((_req, res) => { res.statusCode = healthy ? 200 : 503; res.end(); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
  await assert.rejects(waitForHttp(url, 300), /HTTP 503/);
  setTimeout(() => { healthy = true; }, 100);
  await waitForHttp(url, 5000);
});
