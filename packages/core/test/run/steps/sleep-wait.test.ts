import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunHarness, projectRun, toView } from '../harness.js';

void test('a sleep is a durable timer in the snapshot; it ends when the timer fires, not before', () => {
  const h = new RunHarness({ name: 'w', steps: [{ id: 'nap', type: 'sleep', durationMs: 5000 }, { id: 'b', task: 'b', dependsOn: ['nap'] }] });
  h.start();
  const nap = h.state?.steps.nap;
  assert.equal(nap?.status, 'RUNNING');
  assert.equal(nap?.wakeAt, h.now + 5000);
  assert.deepEqual(h.state?.timers.map((t) => [t.id, t.dueAt]), [['sleep:nap:1', h.now + 5000]]);
  h.now += 4999;
  assert.equal(h.fire('sleep:nap:1').events.length, 0, 'an early firing changes nothing');
  h.fireTimer('sleep:nap');
  assert.equal(h.state?.steps.nap?.status, 'SUCCEEDED');
  assert.equal(h.state?.steps.b?.status, 'SCHEDULED');
  h.checkInvariants();
});

void test('until takes a CEL timestamp; a past time wakes at once; a bad one fails the step', () => {
  const h = new RunHarness({ name: 'w', steps: [{ id: 'nap', type: 'sleep', until: "timestamp(input.at) + duration('1h')" }] }, { now: Date.parse('2026-12-01T10:00:00Z') });
  h.start({ at: '2026-12-01T10:30:00Z' });
  assert.equal(h.state?.steps.nap?.wakeAt, Date.parse('2026-12-01T11:30:00Z'));
  const past = new RunHarness({ name: 'w', steps: [{ id: 'nap', type: 'sleep', until: 'input.at' }] }, { now: Date.parse('2026-12-01T10:00:00Z') });
  past.start({ at: '2020-01-01T00:00:00Z' });
  assert.equal(past.state?.steps.nap?.wakeAt, past.now);
  const bad = new RunHarness({ name: 'w', steps: [{ id: 'nap', type: 'sleep', until: 'input.at' }] });
  bad.start({ at: 'soon' });
  assert.equal(bad.state?.steps.nap?.error?.type, 'ORCH_EXPRESSION');
  for (const r of [h, past, bad]) r.checkInvariants();
});

const approval = {
  name: 'approval',
  steps: [
    { id: 'prepare', task: 'prepare' },
    { id: 'approve', type: 'wait' as const, dependsOn: ['prepare'], signal: 'approval', timeoutMs: 60_000 },
    { id: 'ship', task: 'ship', dependsOn: ['approve'], if: 'steps.approve.output.approved', input: '${steps.approve.output}' },
  ],
};

void test('a signal ends the waiting step; its payload is the output and feeds the condition', () => {
  const h = new RunHarness(approval);
  h.start();
  h.complete('prepare');
  assert.deepEqual(h.state?.steps.approve?.waitingFor, { signal: 'approval', timeoutAt: h.now + 60_000 });
  assert.equal(h.signal('other', 1).events.length, 1, 'a signal nobody waits for is kept');
  h.signal('approval', { approved: true, by: 'ann' });
  assert.equal(h.state?.steps.approve?.status, 'SUCCEEDED');
  assert.deepEqual(h.tasks.at(-1)?.input, { approved: true, by: 'ann' });
  assert.deepEqual(h.state?.timers, []);
  h.checkInvariants();
});

void test('a signal that comes early is kept and consumed when the step is reached', () => {
  const h = new RunHarness(approval);
  h.start();
  h.signal('approval', { approved: false });
  assert.deepEqual(h.state?.signals?.map((s) => s.name), ['approval']);
  h.complete('prepare');
  assert.equal(h.state?.steps.approve?.status, 'SUCCEEDED');
  assert.deepEqual(h.state?.signals, []);
  assert.equal(h.state?.steps.ship?.skip?.cause, 'condition');
  assert.equal(h.state?.status, 'SUCCEEDED');
  h.checkInvariants();
  assert.deepEqual(projectRun(h.events), toView(h.state!));
});

void test('no signal in time fails the step with ORCH_TIMEOUT, without a retry; signals to a finished run change nothing', () => {
  const h = new RunHarness(approval);
  h.start();
  h.complete('prepare');
  h.fireTimer('signal:approve');
  assert.equal(h.state?.steps.approve?.status, 'FAILED');
  assert.equal(h.state?.steps.approve?.error?.type, 'ORCH_TIMEOUT');
  assert.equal(h.state?.status, 'FAILED');
  assert.equal(h.signal('approval', {}).events.length, 0);
  h.checkInvariants();
});

void test('a step started in the transition where another step succeeded reads its output, even after a task started before it', () => {
  const h = new RunHarness({
    name: 'early-approval',
    steps: [
      { id: 'prepare', task: 'prepare' },
      // Started first in the same transition: its template scope was made before "approve" ended.
      { id: 'side', task: 'side', dependsOn: ['prepare'], input: '${input}' },
      { id: 'approve', type: 'wait' as const, dependsOn: ['prepare'], signal: 'approval' },
      { id: 'ship', task: 'ship', dependsOn: ['approve'], input: '${steps.approve.output}' },
    ],
  });
  h.start({ order: 7 });
  h.signal('approval', { approved: true, by: 'ann' });
  h.complete('prepare');
  assert.equal(h.state?.steps.approve?.status, 'SUCCEEDED');
  assert.deepEqual(
    h.tasks.slice(-2).map((t) => [t.stepId, t.input]),
    [
      ['side', { order: 7 }],
      ['ship', { approved: true, by: 'ann' }],
    ],
  );
  h.checkInvariants();
});
