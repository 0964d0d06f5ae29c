/** The UI's projection of run events onto the RunView shape. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTs } from './load-ts.mjs';

const definition = {
  name: 'diamond',
  steps: [
    { id: 'a', task: 'demo.echo' },
    { id: 'b', task: 'demo.echo', dependsOn: ['a'] },
    { id: 'c', task: 'demo.flaky', dependsOn: ['a'] },
    { id: 'd', task: 'demo.echo', dependsOn: ['b', 'c'] },
  ],
};

function history(runId = 'r1') {
  const e = [];
  let seq = 0;
  const add = (type, at, data) => e.push({ runId, seq: ++seq, type, at, data });
  add('RunStarted', 1000, { workflow: 'diamond', version: 1, input: { x: 1 }, definition });
  add('StepScheduled', 1000, { stepId: 'a', attempt: 1, task: 'demo.echo', queue: 'default', input: {} });
  add('StepStarted', 1010, { stepId: 'a', attempt: 1, workerId: 'w1' });
  add('StepProgress', 1015, { stepId: 'a', attempt: 1, fraction: 0.5, message: 'half' });
  add('StepLog', 1016, { stepId: 'a', attempt: 1, level: 'info', message: 'hello' });
  add('StepSucceeded', 1020, { stepId: 'a', attempt: 1, output: { v: 1 } });
  add('StepScheduled', 1020, { stepId: 'c', attempt: 1, task: 'demo.flaky', queue: 'default', input: {} });
  add('StepStarted', 1030, { stepId: 'c', attempt: 1, workerId: 'w1' });
  add('AttemptFailed', 1040, { stepId: 'c', attempt: 1, error: { type: 'Error', message: 'boom' }, reason: 'error' });
  const retry = { stepId: 'c', attempt: 1, nextAttempt: 2, jitter: 'full', baseDelayMs: 1000, jitterMs: -300, delayMs: 700, dueAt: 1740 };
  add('RetryScheduled', 1040, retry);
  return { events: e, retry, add };
}

test('applyEvents builds the RunView: attempts, progress, failures and the recorded retry', async (t) => {
  const { applyEvents } = await loadTs(t, ['store/run-reducer.ts']);
  const { events, retry } = history();
  const view = applyEvents(undefined, events);
  assert.equal(view.runId, 'r1');
  assert.equal(view.status, 'RUNNING');
  assert.equal(view.lastSeq, events.length);
  assert.deepEqual(Object.keys(view.steps), ['a', 'b', 'c', 'd']);
  assert.deepEqual(view.steps.d.dependsOn, ['b', 'c']);
  const a = view.steps.a;
  assert.equal(a.status, 'SUCCEEDED');
  assert.deepEqual(a.output, { v: 1 });
  assert.deepEqual(a.attempts[0], { attempt: 1, status: 'SUCCEEDED', scheduledAt: 1000, startedAt: 1010, workerId: 'w1', progress: { fraction: 0.5, message: 'half' }, endedAt: 1020, output: { v: 1 } });
  const c = view.steps.c;
  assert.equal(c.status, 'RETRY_WAIT');
  assert.equal(c.nextRetryAt, 1740);
  assert.equal(c.attempts[0].status, 'FAILED');
  assert.deepEqual(c.attempts[0].retry, retry);
  assert.equal(view.steps.b.status, 'PENDING');
});

test('an event at or below lastSeq changes nothing (replays and duplicates are harmless)', async (t) => {
  const { applyEvent, applyEvents } = await loadTs(t, ['store/run-reducer.ts']);
  const { events } = history();
  const view = applyEvents(undefined, events);
  for (const e of events) assert.equal(applyEvent(view, e), view);
  assert.deepEqual(applyEvents(view, events), view);
});

test('terminal events, timeouts, cancellation and RunRetried', async (t) => {
  const { applyEvents, isTerminalRun } = await loadTs(t, ['store/run-reducer.ts']);
  const { events, add } = history();
  add('StepScheduled', 1740, { stepId: 'c', attempt: 2, task: 'demo.flaky', queue: 'default', input: {} });
  add('StepStarted', 1750, { stepId: 'c', attempt: 2, workerId: 'w2' });
  add('AttemptFailed', 1800, { stepId: 'c', attempt: 2, error: { type: 'ORCH_TIMEOUT', message: 'late' }, reason: 'timeout' });
  add('StepFailed', 1800, { stepId: 'c', attempts: 2, error: { type: 'ORCH_TIMEOUT', message: 'late' } });
  add('StepSkipped', 1800, { stepId: 'd', reason: 'c failed' });
  add('RunFailed', 1801, { error: { type: 'StepFailed', message: 'c failed' }, failedSteps: ['c'] });
  let view = applyEvents(undefined, events);
  assert.equal(view.status, 'FAILED');
  assert.ok(isTerminalRun(view.status));
  assert.equal(view.steps.c.attempts[1].status, 'TIMED_OUT');
  assert.equal(view.steps.c.status, 'FAILED');
  assert.equal(view.steps.c.nextRetryAt, undefined);
  assert.equal(view.steps.d.status, 'SKIPPED');
  assert.equal(view.updatedAt, 1801);

  const more = [
    { runId: 'r1', seq: events.length + 1, type: 'RunRetried', at: 2000, data: { steps: ['c', 'd'] } },
    { runId: 'r1', seq: events.length + 2, type: 'StepScheduled', at: 2000, data: { stepId: 'c', attempt: 3, task: 'demo.flaky', queue: 'default', input: {} } },
    { runId: 'r1', seq: events.length + 3, type: 'StepCancelled', at: 2100, data: { stepId: 'c', attempt: 3, reason: 'cancelled' } },
    { runId: 'r1', seq: events.length + 4, type: 'RunCancelled', at: 2100, data: { reason: 'by user' } },
  ];
  view = applyEvents(view, more.slice(0, 1));
  assert.equal(view.status, 'RUNNING');
  assert.equal(view.error, undefined);
  assert.equal(view.steps.c.status, 'PENDING');
  assert.equal(view.steps.c.attempts.length, 2, 'earlier attempts are kept');
  view = applyEvents(view, more.slice(1));
  assert.equal(view.status, 'CANCELLED');
  assert.equal(view.steps.c.status, 'CANCELLED');
  assert.equal(view.steps.c.attempts[2].status, 'CANCELLED');
});

test('applySummaryEvent keeps a list row live and ignores what a snapshot already shows', async (t) => {
  const { applySummaryEvent, toSummary } = await loadTs(t, ['store/run-reducer.ts']);
  const { events } = history('r2');
  let row;
  for (const e of events) row = applySummaryEvent(row, e);
  assert.equal(row.status, 'RUNNING');
  assert.equal(row.lastSeq, events.length);
  const done = applySummaryEvent(row, { runId: 'r2', seq: events.length + 1, type: 'RunSucceeded', at: 5000, data: { output: 1 } });
  assert.equal(done.status, 'SUCCEEDED');
  assert.equal(done.endedAt, 5000);
  // A row from GET /runs carries no lastSeq: older events are taken as already in it.
  const snap = toSummary({ runId: 'r3', workflow: 'w', version: 1, status: 'SUCCEEDED', createdAt: 100, updatedAt: 900 });
  assert.equal(snap.endedAt, 900);
  assert.equal(applySummaryEvent(snap, { runId: 'r3', seq: 2, type: 'StepStarted', at: 500, data: { stepId: 'a', attempt: 1, workerId: 'w' } }), snap);
  assert.equal(applySummaryEvent(undefined, { runId: 'r4', seq: 5, type: 'StepStarted', at: 1, data: {} }), undefined, 'no row from a mid-run event');
});

test('a redelivered attempt moves to the new worker and start time, and keeps the move for the timeline', async (t) => {
  const { applyEvents } = await loadTs(t, ['store/run-reducer.ts']);
  const { events, add } = history();
  add('StepScheduled', 2000, { stepId: 'b', attempt: 1, task: 'demo.echo', queue: 'default', input: {} });
  add('StepStarted', 2010, { stepId: 'b', attempt: 1, workerId: 'w-dead' });
  add('StepStarted', 23_000, { stepId: 'b', attempt: 1, workerId: 'w-new', redelivery: { previousWorkerId: 'w-dead' } });
  add('StepSucceeded', 26_000, { stepId: 'b', attempt: 1, output: {} });
  const b = applyEvents(undefined, events).steps.b.attempts[0];
  assert.equal(b.workerId, 'w-new');
  assert.equal(b.startedAt, 23_000);
  assert.equal(b.endedAt - b.startedAt, 3000);
  assert.deepEqual(b.redeliveries, [{ at: 23_000, fromWorkerId: 'w-dead', toWorkerId: 'w-new', previousStartedAt: 2010 }]);
});

test('the UI folds with core projector: the same view as the gateway read store builds', async (t) => {
  const { applyEvents } = await loadTs(t, ['store/run-reducer.ts']);
  const { projectRun } = await import('../../../core/dist/src/projection-entry.js');
  const { events } = history('same');
  assert.deepEqual(applyEvents(undefined, events), projectRun(events));
});
