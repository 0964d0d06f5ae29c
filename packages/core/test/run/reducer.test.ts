import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectRun, reduceRun, workflow, type RunEvent, type WorkflowDefinition } from '../../src/index.js';
import { RunHarness } from './harness.js';

const diamond: WorkflowDefinition = workflow('diamond')
  .step('A', 'demo.echo', { input: { n: '${input.n}' } })
  .step('B', 'demo.echo', { dependsOn: ['A'], input: { a: '${steps.A.output.v}' } })
  .step('C', 'demo.flaky', { dependsOn: ['A'], retry: { maxAttempts: 3, initialIntervalMs: 1000, backoffCoefficient: 2, jitter: 'full' } })
  .step('D', 'demo.join', { dependsOn: ['B', 'C'], input: { b: '${steps.B.output}', c: '${steps.C.output.v}' } })
  .build();

void test('StartRun creates the run, emits RunStarted and dispatches the root steps', () => {
  const h = new RunHarness(diamond);
  const r = h.start({ n: 5 });
  assert.equal(h.state?.status, 'RUNNING');
  assert.deepEqual(r.events.map((e) => e.type), ['RunStarted', 'StepScheduled']);
  assert.deepEqual(r.events[0]?.data, { workflow: 'diamond', version: 1, input: { n: 5 }, definition: diamond });
  assert.deepEqual(r.tasks, [
    {
      v: 1, type: 'TaskDispatched', runId: 'run-1', stepId: 'A', attempt: 1, task: 'demo.echo', queue: 'default',
      input: { n: 5 }, idempotencyKey: 'run-1:A:1', dispatchedAt: h.now,
    },
  ]);
  assert.equal(h.state?.steps.B?.status, 'PENDING');
  assert.deepEqual(h.state?.steps.D?.dependsOn, ['B', 'C']);
  // A second StartRun is a no-op, as is any input for a run that does not exist.
  const again = h.start({ n: 6 });
  assert.equal(again.state, h.state);
  assert.equal(again.events.length, 0);
  const none = reduceRun(undefined, { v: 1, type: 'CancelRun', runId: 'x', at: 0 }, { now: 0, random: Math.random });
  assert.deepEqual(none, { state: undefined, events: [], tasks: [], control: [], commands: [] });
  h.checkInvariants();
});

void test('diamond: C fails twice then succeeds; D gets the outputs of B and C', () => {
  const h = new RunHarness(diamond, { seed: 42 });
  h.start({ n: 1 });
  h.started('A');
  h.complete('A', 1, { v: 'a-out' });
  assert.deepEqual(h.tasks.filter((t) => t.stepId !== 'A').map((t) => [t.stepId, t.input]), [['B', { a: 'a-out' }], ['C', undefined]]);
  h.complete('B', 1, { b: 2 });
  const t0 = h.now;
  h.fail('C', 1);
  let retry = h.ofType('RetryScheduled')[0]?.data;
  assert.ok(retry);
  assert.equal(retry.attempt, 1);
  assert.equal(retry.nextAttempt, 2);
  assert.equal(retry.baseDelayMs, 1000);
  assert.equal(retry.jitter, 'full');
  assert.ok(retry.delayMs >= 0 && retry.delayMs <= 1000);
  assert.equal(retry.jitterMs, retry.delayMs - retry.baseDelayMs);
  assert.equal(retry.dueAt, t0 + retry.delayMs);
  assert.equal(h.state?.steps.C?.status, 'RETRY_WAIT');
  assert.equal(h.state?.steps.C?.nextRetryAt, retry.dueAt);
  assert.deepEqual(h.state?.timers.map((t) => t.id), ['retry:C:1']);
  h.fireTimer('retry:C:1');
  assert.equal(h.state?.steps.C?.status, 'SCHEDULED');
  assert.equal(h.tasks.at(-1)?.idempotencyKey, 'run-1:C:2');
  h.fail('C', 2);
  retry = h.ofType('RetryScheduled')[1]?.data;
  assert.equal(retry?.baseDelayMs, 2000);
  h.fireTimer('retry:C:2');
  h.started('C', 3);
  h.complete('C', 3, { v: 'c-out' });
  const dTask = h.tasks.at(-1);
  assert.equal(dTask?.stepId, 'D');
  assert.deepEqual(dTask?.input, { b: { b: 2 }, c: 'c-out' });
  h.complete('D', 1, 'done');
  assert.equal(h.state?.status, 'SUCCEEDED');
  assert.deepEqual(h.state?.output, { D: 'done' });
  const c = h.state?.steps.C;
  assert.deepEqual(c?.attempts.map((a) => a.status), ['FAILED', 'FAILED', 'SUCCEEDED']);
  assert.equal(c?.attempts[0]?.retry?.baseDelayMs, 1000);
  assert.equal(c?.attempts[1]?.retry?.baseDelayMs, 2000);
  assert.equal(c?.attempts[2]?.retry, undefined);
  assert.deepEqual(h.state?.timers, []);
  assert.equal(h.ofType('RunSucceeded').length, 1);
  h.checkInvariants();
});

void test('always failing with maxAttempts 3 fails the step after 3 attempts and skips dependents', () => {
  const h = new RunHarness(diamond);
  h.start();
  h.complete('A');
  h.complete('B');
  for (let n = 1; n <= 3; n++) {
    h.fail('C', n, { message: `try ${n}` });
    if (n < 3) h.fireTimer(`retry:C:${n}`);
  }
  assert.equal(h.state?.steps.C?.status, 'FAILED');
  assert.equal(h.state?.steps.C?.attempts.length, 3);
  assert.equal(h.ofType('AttemptFailed').length, 3);
  assert.equal(h.ofType('RetryScheduled').length, 2);
  assert.deepEqual(h.ofType('StepFailed')[0]?.data, { stepId: 'C', attempts: 3, error: { type: 'Boom', message: 'try 3' } });
  assert.equal(h.state?.steps.D?.status, 'SKIPPED');
  assert.match(h.ofType('StepSkipped')[0]?.data.reason ?? '', /"C" failed/);
  assert.equal(h.state?.status, 'FAILED');
  assert.deepEqual(h.ofType('RunFailed')[0]?.data.failedSteps, ['C']);
  assert.equal(h.state?.error?.type, 'ORCH_STEP_FAILED');
  assert.match(h.state?.error?.message ?? '', /step "C" failed: try 3/);
  h.checkInvariants();
});

void test('a non-retryable error (flag or policy list) fails the step after 1 attempt', () => {
  const h = new RunHarness(diamond);
  h.start();
  h.complete('A');
  h.fail('C', 1, { nonRetryable: true });
  assert.equal(h.state?.steps.C?.status, 'FAILED');
  assert.equal(h.state?.steps.C?.attempts.length, 1);
  assert.equal(h.ofType('RetryScheduled').length, 0);
  assert.equal(h.state?.status, 'RUNNING', 'B is still running: independent branches continue');
  h.complete('B');
  assert.equal(h.state?.status, 'FAILED');
  h.checkInvariants();

  const def = workflow('w').step('x', 't', { retry: { nonRetryableErrors: ['BadInput'] } }).build();
  const g = new RunHarness(def);
  g.start();
  g.fail('x', 1, { type: 'BadInput' });
  assert.equal(g.state?.status, 'FAILED');
  assert.equal(g.state?.steps.x?.attempts.length, 1);
  g.checkInvariants();
});

void test('retryAfterMs overrides the backoff', () => {
  const def = workflow('w').step('x', 't', { retry: { jitter: 'full', initialIntervalMs: 10 } }).build();
  const h = new RunHarness(def);
  h.start();
  h.fail('x', 1, { retryAfterMs: 7000 });
  const data = h.ofType('RetryScheduled')[0]?.data;
  assert.deepEqual(data, {
    stepId: 'x', attempt: 1, nextAttempt: 2, jitter: 'full', baseDelayMs: 7000, jitterMs: 0, delayMs: 7000, dueAt: h.now + 7000, retryAfterMs: 7000,
  });
  assert.equal(h.state?.timers[0]?.dueAt, h.now + 7000);
  h.checkInvariants();
});

void test('a zero delay still goes through a retry timer', () => {
  const def = workflow('w').step('x', 't', { retry: { initialIntervalMs: 0, jitter: 'none' } }).build();
  const h = new RunHarness(def);
  h.start();
  h.fail('x');
  assert.equal(h.state?.steps.x?.status, 'RETRY_WAIT');
  assert.deepEqual(h.state?.timers.map((t) => [t.id, t.dueAt]), [['retry:x:1', h.now]]);
  h.fire('retry:x:1');
  assert.equal(h.state?.steps.x?.status, 'SCHEDULED');
  h.checkInvariants();
});

void test('a start-to-close timeout fails the attempt, cancels it on workers, and retries', () => {
  const def = workflow('w').step('x', 't', { timeoutMs: 5000, retry: { maxAttempts: 2, jitter: 'none' } }).build();
  const h = new RunHarness(def);
  h.start();
  assert.equal(h.tasks[0]?.timeoutMs, 5000);
  assert.equal(h.tasks[0]?.deadlineAt, h.now + 5000);
  h.started('x');
  const timer = h.state?.timers[0];
  assert.deepEqual(timer, { id: 'timeout:x:1', kind: 'timeout', stepId: 'x', attempt: 1, dueAt: h.now + 5000, armed: 1 });
  h.fireTimer('timeout:x:1');
  const failed = h.ofType('AttemptFailed')[0]?.data;
  assert.equal(failed?.reason, 'timeout');
  assert.equal(failed?.error.type, 'ORCH_TIMEOUT');
  assert.equal(h.state?.steps.x?.attempts[0]?.status, 'TIMED_OUT');
  assert.deepEqual(h.control, [{ v: 1, type: 'CancelTask', runId: 'run-1', stepId: 'x', attempt: 1, reason: 'timeout', at: h.now }]);
  assert.equal(h.state?.steps.x?.status, 'RETRY_WAIT');
  // The late result of the timed-out attempt is ignored.
  const late = h.complete('x', 1);
  assert.equal(late.events.length, 0);
  h.fireTimer('retry:x:1');
  h.started('x', 2);
  h.fireTimer('timeout:x:2');
  assert.equal(h.state?.status, 'FAILED');
  h.checkInvariants();
});

void test('heartbeats push the heartbeat timeout out; silence fails the attempt', () => {
  const def = workflow('w').step('x', 't', { heartbeatTimeoutMs: 1000, retry: { maxAttempts: 1 } }).build();
  const h = new RunHarness(def);
  h.start();
  h.started('x');
  const t0 = h.now;
  h.now += 800;
  const hb = h.heartbeat('x');
  assert.equal(hb.events.length, 0, 'a heartbeat emits no event');
  assert.notEqual(hb.state, undefined);
  assert.equal(h.state?.timers[0]?.dueAt, t0 + 1800);
  h.now += 500;
  h.progress('x', 1, 0.5, 'halfway');
  assert.equal(h.state?.timers[0]?.dueAt, t0 + 2300);
  assert.deepEqual(h.state?.steps.x?.attempts[0]?.progress, { fraction: 0.5, message: 'halfway' });
  h.log('x', 1, 'still here');
  assert.equal(h.ofType('StepLog')[0]?.data.message, 'still here');
  // A firing scheduled for the old due time arrives after the re-arm: it is stale and ignored.
  h.now = t0 + 1000;
  const stale = h.fire('heartbeat:x:1');
  assert.deepEqual([stale.events, stale.control], [[], []]);
  assert.equal(h.state?.timers[0]?.dueAt, t0 + 2300, 'the timer stays armed');
  assert.equal(h.state?.steps.x?.status, 'RUNNING');
  h.fireTimer('heartbeat:x:1');
  assert.equal(h.ofType('AttemptFailed')[0]?.data.reason, 'heartbeat-timeout');
  assert.equal(h.ofType('AttemptFailed')[0]?.data.error.type, 'ORCH_HEARTBEAT_TIMEOUT');
  assert.equal(h.state?.status, 'FAILED');
  assert.equal(h.control[0]?.reason, 'heartbeat-timeout');
  h.checkInvariants();
});

void test('a firing of an earlier arming is stale even past both due times; the firing of the last arming fires', () => {
  const def = workflow('w').step('x', 't', { heartbeatTimeoutMs: 1000, retry: { maxAttempts: 1 } }).build();
  const h = new RunHarness(def);
  h.start();
  h.started('x');
  assert.equal(h.state?.timers[0]?.armed, 1);
  h.now += 800;
  h.heartbeat('x');
  assert.equal(h.state?.timers[0]?.armed, 2, 'a heartbeat arms the timer again');
  h.now += 5000;
  const stale = h.fire('heartbeat:x:1', 1);
  assert.deepEqual([stale.events, stale.control], [[], []]);
  assert.equal(h.state?.steps.x?.status, 'RUNNING');
  h.fire('heartbeat:x:1', 2);
  assert.equal(h.ofType('AttemptFailed')[0]?.data.reason, 'heartbeat-timeout');
  h.checkInvariants();
});

/** What a replay must repeat of an event: its number, type and data, the clock's fields left out. */
function contentOf(event: RunEvent): unknown {
  const { dueAt: _dueAt, startedAt: _startedAt, ...data } = event.data as Record<string, unknown>;
  return { seq: event.seq, type: event.type, data };
}

void test('a new owner that applies the inputs again later, its timers armed later, fires them where the first owner did', () => {
  const def = workflow('w').step('x', 't', { retry: { maxAttempts: 3, initialIntervalMs: 50, backoffCoefficient: 2, jitter: 'none' } }).build();
  // The first owner: attempt 1 fails, its retry timer fires at its due time, attempt 2 runs on w2.
  const first = new RunHarness(def);
  first.start();
  first.started('x', 1, 'w1');
  first.fail('x', 1);
  const timer = first.state?.timers[0];
  first.fireTimer('retry:x:1');
  first.started('x', 2, 'w2');
  first.complete('x', 2);
  // The next owner applies the same inputs 13 s later: its retry timer is due 13 s later than the
  // first one's, and the firing recorded then comes before that, yet it is the same arming.
  const next = new RunHarness(def, { now: first.now + 13_000 });
  next.start();
  next.started('x', 1, 'w1');
  next.fail('x', 1);
  assert.ok(timer !== undefined && timer.armed === 1, `the timer's first arming: ${JSON.stringify(timer)}`);
  assert.ok(next.now < (next.state?.timers[0]?.dueAt ?? 0), 'the firing comes before the next owner\'s due time');
  next.fire(timer.id, timer.armed);
  next.started('x', 2, 'w2');
  next.complete('x', 2);
  assert.equal(next.state?.status, 'SUCCEEDED');
  assert.deepEqual(next.events.map(contentOf), first.events.map(contentOf));
});

void test('progress before TaskStarted starts the attempt first', () => {
  const def = workflow('w').step('x', 't', { timeoutMs: 100 }).build();
  const h = new RunHarness(def);
  h.start();
  const r = h.progress('x', 1, 0.1);
  assert.deepEqual(r.events.map((e) => e.type), ['StepStarted', 'StepProgress']);
  assert.equal(h.state?.steps.x?.status, 'RUNNING');
  assert.deepEqual(h.state?.timers.map((t) => t.id), ['timeout:x:1']);
  assert.equal(h.started('x').events.length, 0, 'a duplicate TaskStarted is a no-op');
  h.checkInvariants();
});

void test('stale, duplicate and unknown results are ignored', () => {
  const def = workflow('w').step('x', 't', { retry: { jitter: 'none' } }).step('y', 't', { dependsOn: ['x'] }).build();
  const h = new RunHarness(def);
  h.start();
  h.started('x');
  h.fail('x', 1);
  const frozen = h.state;
  for (const r of [h.complete('x', 1), h.fail('x', 1), h.started('x', 1), h.complete('x', 2), h.complete('y', 1), h.complete('nope', 1), h.heartbeat('x', 1), h.fire('retry:zzz:1')]) {
    assert.deepEqual([r.events, r.tasks, r.control], [[], [], []]);
    assert.equal(r.state, frozen);
  }
  h.fireTimer('retry:x:1');
  h.complete('x', 2, 'X');
  const after = h.state;
  assert.equal(h.complete('x', 2, 'other').state, after, 'a duplicate completion changes nothing');
  h.complete('y', 1);
  assert.equal(h.state?.status, 'SUCCEEDED');
  assert.equal(h.complete('y', 1).events.length, 0, 'results for a finished run are ignored');
  assert.equal(h.cancel().events.length, 0, 'cancelling a finished run is a no-op');
  assert.equal(h.retryRun().events.length, 0, 'retrying a succeeded run is a no-op');
  h.checkInvariants();
});

void test('CancelRun cancels every unfinished step, clears timers and tells workers', () => {
  const h = new RunHarness(diamond);
  h.start();
  h.complete('A');
  h.started('B');
  h.fail('C');
  assert.equal(h.state?.steps.C?.status, 'RETRY_WAIT');
  const r = h.cancel('user asked');
  assert.equal(h.state?.status, 'CANCELLED');
  assert.deepEqual(
    r.events.map((e) => [e.type, e.data]),
    [
      ['StepCancelled', { stepId: 'B', attempt: 1, reason: 'user asked' }],
      ['StepCancelled', { stepId: 'C', reason: 'user asked' }],
      ['StepCancelled', { stepId: 'D', reason: 'user asked' }],
      ['RunCancelled', { reason: 'user asked' }],
    ],
  );
  assert.deepEqual(r.control, [{ v: 1, type: 'CancelTask', runId: 'run-1', reason: 'user asked', at: h.now }]);
  assert.deepEqual(h.state?.timers, []);
  assert.equal(h.state?.steps.B?.attempts[0]?.status, 'CANCELLED');
  assert.equal(h.state?.steps.C?.nextRetryAt, undefined);
  assert.equal(h.fire('retry:C:1').events.length, 0, 'the cleared retry timer no longer fires');
  assert.equal(h.complete('B', 1).events.length, 0);
  h.checkInvariants();
});

void test('RetryRun reruns failed, cancelled and skipped steps with fresh attempts', () => {
  const h = new RunHarness(diamond);
  h.start();
  h.complete('A');
  h.complete('B');
  h.fail('C', 1, { nonRetryable: true });
  assert.equal(h.state?.status, 'FAILED');
  const r = h.retryRun();
  assert.deepEqual(r.events.map((e) => e.type), ['RunRetried', 'StepScheduled']);
  assert.deepEqual(r.events[0]?.data, { steps: ['C', 'D'] });
  assert.equal(h.state?.status, 'RUNNING');
  assert.equal(h.state?.error, undefined);
  assert.equal(r.tasks[0]?.attempt, 2, 'numbering continues');
  assert.equal(h.state?.steps.C?.attempts.length, 2, 'history is kept');
  // maxAttempts counts from the retry: two more failures retry, the third ends it.
  h.fail('C', 2);
  assert.equal(h.state?.steps.C?.status, 'RETRY_WAIT');
  assert.equal(h.ofType('RetryScheduled').at(-1)?.data.baseDelayMs, 1000, 'backoff restarts too');
  h.fireTimer('retry:C:2');
  h.complete('C', 3, { v: 1 });
  h.complete('D', 1);
  assert.equal(h.state?.status, 'SUCCEEDED');
  assert.equal(h.retryRun().events.length, 0);
  h.checkInvariants();
});

void test('RetryRun after a cancel reruns the cancelled steps', () => {
  const h = new RunHarness(diamond);
  h.start();
  h.started('A');
  h.cancel();
  h.retryRun();
  assert.deepEqual(h.tasks.map((t) => t.idempotencyKey), ['run-1:A:1', 'run-1:A:2']);
  h.complete('A', 2);
  h.complete('B');
  h.complete('C');
  h.complete('D');
  assert.equal(h.state?.status, 'SUCCEEDED');
  h.checkInvariants();
});

void test('the workflow output template is resolved at the end', () => {
  const def = workflow('w')
    .step('a', 't')
    .step('b', 't', { dependsOn: ['a'], queue: 'gpu' })
    .output({ sum: '${steps.a.output.n}+${steps.b.output.n}', a: '${steps.a.output}', in: '${input.k}' })
    .build();
  const h = new RunHarness(def);
  h.start({ k: true });
  h.complete('a', 1, { n: 1 });
  assert.equal(h.tasks[1]?.queue, 'gpu');
  h.complete('b', 1, { n: 2 });
  assert.deepEqual(h.state?.output, { sum: '1+2', a: { n: 1 }, in: true });
  h.checkInvariants();
});

void test('a definition that cannot run fails at once instead of hanging', () => {
  const cyclic = { name: 'w', steps: [{ id: 'a', task: 't', dependsOn: ['b'] }, { id: 'b', task: 't', dependsOn: ['a'] }] };
  const h = new RunHarness(cyclic);
  h.start();
  assert.equal(h.state?.status, 'FAILED');
  assert.equal(h.state?.error?.type, 'ORCH_INVALID_DEFINITION');
  assert.match(h.state?.error?.message ?? '', /cycle/);
  assert.equal(h.retryRun().events.length, 0);
  h.checkInvariants();
});

void test('whether a definition can run is judged again for an unfrozen one, once for a frozen one', () => {
  const steps = [{ id: 'a', task: 't', dependsOn: ['b'] }, { id: 'b', task: 't', dependsOn: ['a'] }];
  const fixable = { name: 'w', steps };
  const first = new RunHarness(fixable);
  first.start();
  assert.equal(first.state?.status, 'FAILED');
  // The caller's own object, fixed in place: the next run sees the fix.
  steps[0]!.dependsOn = [];
  const second = new RunHarness(fixable, { runId: 'run-2' });
  second.start();
  assert.equal(second.state?.steps.a?.status, 'SCHEDULED');

  const frozen = Object.freeze({ name: 'w', steps: Object.freeze([{ id: 'a', task: 't', dependsOn: ['b'] }, { id: 'b', task: 't', dependsOn: ['a'] }]) }) as unknown as WorkflowDefinition;
  for (const runId of ['run-3', 'run-4']) {
    const h = new RunHarness(frozen, { runId });
    h.start();
    assert.equal(h.state?.error?.type, 'ORCH_INVALID_DEFINITION');
  }
});

void test('step ids that name Object.prototype members behave like any other id', () => {
  const def = workflow('proto')
    .step('constructor', 't', { retry: { jitter: 'decorrelated', maxAttempts: 2 } })
    .step('toString', 't', { dependsOn: ['constructor'], input: { c: '${steps.constructor.output}' } })
    .build();
  const h = new RunHarness(def);
  h.start();
  assert.equal(h.state?.steps['constructor' as string]?.status, 'SCHEDULED');
  assert.equal(h.state?.steps['toString' as string]?.status, 'PENDING');
  h.fail('constructor', 1);
  const retry = h.ofType('RetryScheduled')[0]?.data;
  assert.ok(retry && Number.isInteger(retry.delayMs) && retry.delayMs >= 1000 && retry.delayMs <= 3000, JSON.stringify(retry));
  h.fireTimer('retry:constructor:1');
  h.complete('constructor', 2, 'C');
  assert.deepEqual(h.tasks.at(-1)?.input, { c: 'C' });
  h.complete('toString', 1, 'T');
  assert.deepEqual(h.state?.output, { toString: 'T' });
  h.checkInvariants();
});

void test('a result that says its start (no TaskStarted was sent) starts and ends the attempt in one event', () => {
  const def = workflow('short').step('A', 't', { timeoutMs: 60_000, heartbeatTimeoutMs: 10_000 }).step('B', 't', { dependsOn: ['A'] }).build();
  const h = new RunHarness(def);
  h.apply({ v: 1, type: 'StartRun', runId: h.runId, workflow: 'short', version: 1, definition: def, input: {}, at: h.now });
  const startedAt = h.now - 3;
  h.now += 5;
  h.apply({ v: 1, type: 'TaskCompleted', runId: h.runId, stepId: 'A', attempt: 1, workerId: 'w1', output: { ok: true }, startedAt, at: h.now });
  const types = h.events.map((e) => e.type);
  assert.deepEqual(types.slice(2, 4), ['StepSucceeded', 'StepScheduled']);
  assert.deepEqual(h.events[2]?.data, { stepId: 'A', attempt: 1, output: { ok: true }, workerId: 'w1', startedAt });
  assert.equal(h.state?.steps.A?.attempts[0]?.startedAt, startedAt);
  assert.equal(h.state?.steps.A?.attempts[0]?.workerId, 'w1');
  const projected = projectRun(h.events)?.steps.A?.attempts[0];
  assert.equal(projected?.startedAt, startedAt);
  assert.equal(projected?.workerId, 'w1');
  assert.equal(projected?.endedAt, h.now);
  // No timer of A outlives the attempt that started and ended at once.
  assert.deepEqual(h.state?.timers.filter((t) => t.stepId === 'A'), []);
  // A failure that says its start: one AttemptFailed carries it.
  const failedStart = h.now - 1;
  h.apply({ v: 1, type: 'TaskFailed', runId: h.runId, stepId: 'B', attempt: 1, workerId: 'w2', error: { type: 'X', message: 'x', nonRetryable: true }, startedAt: failedStart, at: h.now });
  assert.deepEqual(h.events.filter((e) => e.type === 'StepStarted'), []);
  const failed = h.events.find((e) => e.type === 'AttemptFailed');
  assert.deepEqual(failed?.data, { stepId: 'B', attempt: 1, error: { type: 'X', message: 'x', nonRetryable: true }, reason: 'error', workerId: 'w2', startedAt: failedStart });
  const b = projectRun(h.events)?.steps.B?.attempts[0];
  assert.deepEqual([b?.status, b?.startedAt, b?.workerId], ['FAILED', failedStart, 'w2']);
  h.checkInvariants();
});
