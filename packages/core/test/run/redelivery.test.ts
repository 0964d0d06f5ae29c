/**
 * A task redelivered after its worker died (kill -9) starts again on another worker: the attempt
 * takes the new worker and start time, a StepStarted with `redelivery` records the move, and its
 * timeout counts from the new start. The same worker saying TaskStarted again changes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectRun, workflow } from '../../src/index.js';
import { RunHarness } from './harness.js';

const slow = workflow('slow').step('a', 'demo.sleep', { timeoutMs: 10_000 }).build();

void test('a TaskStarted from another worker for a RUNNING attempt records a redelivery with the new worker and start time', () => {
  const h = new RunHarness(slow);
  h.start();
  const firstStart = h.now;
  h.started('a', 1, 'worker-dead');
  h.now += 21_000;
  const r = h.started('a', 1, 'worker-new');
  assert.deepEqual(
    r.events.map((e) => [e.type, e.data]),
    [['StepStarted', { stepId: 'a', attempt: 1, workerId: 'worker-new', redelivery: { previousWorkerId: 'worker-dead' } }]],
  );
  const attempt = h.state?.steps.a;
  assert.equal(attempt?.status, 'RUNNING');
  // The timeout counts from the new start.
  assert.deepEqual(h.state?.timers.filter((t) => t.id.startsWith('timeout:')).map((t) => t.dueAt), [h.now + 10_000]);

  // The run view (API and UI) shows the new worker and start, and the move.
  const view = projectRun(h.events);
  const a1 = view?.steps.a?.attempts[0];
  assert.equal(a1?.workerId, 'worker-new');
  assert.equal(a1?.startedAt, h.now);
  assert.deepEqual(a1?.redeliveries, [{ at: h.now, fromWorkerId: 'worker-dead', toWorkerId: 'worker-new', previousStartedAt: firstStart }]);

  // The same worker again, or a heartbeat from the dead one, records nothing.
  assert.equal(h.started('a', 1, 'worker-new').events.length, 0);
  assert.equal(h.heartbeat('a', 1).events.length, 0);
  h.now += 3_000;
  h.complete('a', 1);
  const done = projectRun(h.events)?.steps.a?.attempts[0];
  assert.equal(done?.status, 'SUCCEEDED');
  assert.equal((done?.endedAt ?? 0) - (done?.startedAt ?? 0), 3_000, 'the attempt ran 3 s, from its redelivered start');
  h.checkInvariants();
});
