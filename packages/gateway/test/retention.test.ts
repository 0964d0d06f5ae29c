/**
 * The gateway forgets ended runs after the run retention: with an injected clock, a run that
 * ended more than `runRetentionMs` ago answers 404 (the run, its events, its stream) and leaves
 * the lists and counts, while a running run and a recently ended one stay; a late event of the
 * deleted run does not bring it back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '@orchestrator-lite/core';
import { http, openStream, produceEvents, runFailed, runStarted, runSucceeded, startTestGateway, stepLog, waitFor } from './helpers.js';
import type { TestGateway } from './helpers.js';

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2026, 0, 1);

const dated = (event: RunEvent, at: number): RunEvent => ({ ...event, at });

/** Waits until the store holds every record produced so far on `events`. */
async function waitForStore(g: TestGateway): Promise<void> {
  const ends = await g.transport.endOffsets(g.names.events);
  const want = ends.reduce((a, b) => a + b, 0);
  await waitFor(async () => (await g.gateway.readModel.store.checkpoint()).reduce((a, b) => a + b, 0) === want, `the store to hold ${want} records`);
}

/** The frames and close of a stream for `runId`, with the run's name taken out. */
async function streamRefusal(g: TestGateway, t: Parameters<typeof startTestGateway>[0], runId: string): Promise<unknown> {
  const client = openStream(t, g.url, `?runId=${runId}&since=0`);
  const closed = await client.closed;
  return { closed, frames: JSON.parse(JSON.stringify(client.frames).replaceAll(runId, '<run>')) as unknown };
}

void test('a run that ended more than the retention ago answers 404 like an unknown run; a running and a recent run stay', async (t) => {
  let now = T0;
  // The default retention (7 days), as ORCH_RUN_RETENTION leaves it.
  const g = await startTestGateway(t, { clock: () => now });
  const { url, gateway } = g;
  await produceEvents(g.transport, g.names, [
    dated(runStarted('old', T0), T0),
    dated(stepLog('old', 2), T0 + 1),
    dated(runFailed('old', 3), T0 + 2),
    dated(runStarted('running', T0), T0),
    dated(runStarted('recent', T0), T0),
    dated(runSucceeded('recent', 2), T0 + 6 * DAY),
  ]);
  await waitForStore(g);
  assert.equal((await http(url, 'GET', '/api/v1/runs/old')).status, 200);

  // Just inside the retention nothing goes.
  now = T0 + 2 + 7 * DAY;
  assert.equal(await gateway.sweepRetention(), 0);
  assert.equal((await http(url, 'GET', '/api/v1/runs/old')).status, 200);

  now = T0 + 3 + 7 * DAY;
  assert.equal(await gateway.sweepRetention(), 1);
  for (const path of ['/api/v1/runs/old', '/api/v1/runs/old/events', '/api/v1/runs/old/events?since=1']) {
    const res = await http(url, 'GET', path);
    assert.equal(res.status, 404, path);
    assert.equal((res.body as { error: { code: string } }).error.code, 'ORCH_NOT_FOUND');
  }
  assert.deepEqual(await streamRefusal(g, t, 'old'), await streamRefusal(g, t, 'never-existed'));
  assert.equal((await http(url, 'POST', '/api/v1/runs/old/retry', {})).status, 404);
  for (const runId of ['running', 'recent']) assert.equal((await http(url, 'GET', `/api/v1/runs/${runId}`)).status, 200, runId);
  const list = (await http(url, 'GET', '/api/v1/runs')).body as { items: { runId: string }[]; counts: Record<string, number> };
  assert.deepEqual(list.items.map((r) => r.runId).sort(), ['recent', 'running']);
  assert.deepEqual(list.counts, { PENDING: 0, RUNNING: 1, SUCCEEDED: 1, FAILED: 0, CANCELLED: 0 });
  const metrics = (await http(url, 'GET', '/metrics')).body as string;
  assert.match(metrics, /^orch_runs\{status="FAILED",workflow="orders"\} 0$/m);
  assert.match(metrics, /^orch_gateway_runs_expired_total 1$/m);

  // A late replay of the deleted run's history brings back neither a view nor events.
  await produceEvents(g.transport, g.names, [dated(runStarted('old', T0), T0), dated(stepLog('old', 2), T0 + 1)]);
  await waitForStore(g);
  assert.equal((await http(url, 'GET', '/api/v1/runs/old')).status, 404);
  assert.equal((await http(url, 'GET', '/api/v1/runs/old/events')).status, 404);
  assert.equal(((await http(url, 'GET', '/api/v1/runs')).body as { items: unknown[] }).items.length, 2);

  // The recent run goes once it, too, is older than the retention; the running one never does.
  now = T0 + 14 * DAY;
  assert.equal(await gateway.sweepRetention(), 1);
  assert.equal((await http(url, 'GET', '/api/v1/runs/recent')).status, 404);
  assert.equal((await http(url, 'GET', '/api/v1/runs/running')).status, 200);
});

void test('the gateway sweeps on its own, every quarter of the retention', async (t) => {
  let now = T0;
  const g = await startTestGateway(t, { clock: () => now, runRetentionMs: 1_000 });
  await produceEvents(g.transport, g.names, [dated(runStarted('short', T0), T0), dated(runSucceeded('short', 2), T0 + 10)]);
  await waitForStore(g);
  assert.equal((await http(g.url, 'GET', '/api/v1/runs/short')).status, 200);
  now = T0 + 1_011;
  // The sweep timer runs every 250 ms of real time.
  await waitFor(async () => (await http(g.url, 'GET', '/api/v1/runs/short')).status === 404, 'the periodic sweep to delete the run', 5_000);
});
