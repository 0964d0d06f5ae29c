/**
 * The workflow language end to end on the embedded bus, over REST: a switch with a join, a
 * forEach, a sleep, a wait released by a signal (and one sent early), a child workflow whose
 * output flows back, a cancelled parent whose child is cancelled too, and the signal route's
 * errors. The same flow runs once on the real broker (language-kafka.e2e.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startEngine } from './language-engine.js';
import { CHILD, ORDER, orderFlow } from './language-flows.js';

void test('an order flow: switch and join, forEach, sleep, signal, and a child workflow', { timeout: 120_000 }, async (t) => {
  const e = await startEngine(t);
  await orderFlow(e);
});

void test('a signal sent before its step is reached is kept; a cancelled parent cancels its child', { timeout: 120_000 }, async (t) => {
  const e = await startEngine(t);
  await e.register(CHILD);
  await e.register(ORDER);
  const early = await e.start('lang.order', { amount: 50, lines: [{ n: 1 }] });
  assert.equal((await e.call('POST', `/api/v1/runs/${early}/signals/approval`, { payload: { approved: true, by: 'early' } })).status, 202);
  const done = await e.until(early, 'the run ends', (r) => r.status === 'SUCCEEDED');
  assert.deepEqual(done.steps.approve?.output, { approved: true, by: 'early' });

  // A parent that never gets its approval: cancel it while its child waits too.
  await e.register({ name: 'lang.stuck', steps: [{ id: 'sub', type: 'workflow', workflow: 'lang.hold' }] });
  await e.register({ name: 'lang.hold', steps: [{ id: 'hold', type: 'wait', signal: 'never' }] });
  const parent = await e.start('lang.stuck', {});
  const running = await e.until(parent, 'the child starts', (r) => r.steps.sub?.childRunId !== undefined);
  const childId = running.steps.sub?.childRunId as string;
  await e.until(childId, 'the child waits', (r) => r.steps.hold?.status === 'RUNNING');
  assert.equal((await e.call('POST', `/api/v1/runs/${parent}/cancel`, {})).status, 202);
  const child = await e.until(childId, 'the child is cancelled', (r) => r.status === 'CANCELLED');
  assert.equal(child.parentRunId, parent);
  assert.equal((await e.run(parent)).status, 'CANCELLED');
});

void test('the signal route: 404 for an unknown run, 409 for a finished one, 400 for a bad name', { timeout: 60_000 }, async (t) => {
  const e = await startEngine(t);
  assert.equal((await e.call('POST', '/api/v1/runs/nope/signals/go', {})).status, 404);
  await e.register({ name: 'lang.one', steps: [{ id: 'a', task: 'lang.echo', input: { x: 1 } }] });
  const runId = await e.start('lang.one', {});
  await e.until(runId, 'the run ends', (r) => r.status === 'SUCCEEDED');
  const finished = await e.call('POST', `/api/v1/runs/${runId}/signals/go`, { payload: 1 });
  assert.equal(finished.status, 409);
  assert.equal((finished.body as { error: { code: string } }).error.code, 'ORCH_CONFLICT');
  const bad = await e.call('POST', `/api/v1/runs/${runId}/signals/${encodeURIComponent('no way')}`, {});
  assert.equal(bad.status, 400);
});

void test('a definition whose CEL does not parse, or names an unknown step, is a 422 naming the field', { timeout: 60_000 }, async (t) => {
  const e = await startEngine(t);
  const r = await e.call('PUT', '/api/v1/workflows/bad', {
    name: 'bad',
    steps: [
      { id: 'a', task: 'x' },
      { id: 'b', task: 'x', dependsOn: ['a'], if: 'steps.a.output >' },
      { id: 'c', task: 'x', dependsOn: ['a'], if: 'steps.zzz.output == 1' },
      { id: 'd', task: 'x', dependsOn: ['a'], forEach: 'steps.c.output' },
    ],
  });
  assert.equal(r.status, 422);
  const issues = (r.body as { error: { details: { issues: { path: string; message: string }[] } } }).error.details.issues;
  assert.deepEqual(issues.map((i) => i.path), ['steps[1].if', 'steps[2].if', 'steps[3].forEach']);
});
