import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunHarness, childRunId, reduceRun, type StartRun } from '../harness.js';

const parent = {
  name: 'order',
  steps: [
    { id: 'invoice', type: 'workflow' as const, workflow: 'billing', version: 2, input: { order: '${input.id}' } },
    { id: 'mail', task: 'mail', dependsOn: ['invoice'], input: '${steps.invoice.output}' },
  ],
};

void test('a workflow step starts a child with a stable id per attempt, and takes its output', () => {
  const h = new RunHarness(parent);
  h.start({ id: 'o-1' });
  const id = childRunId('run-1', 'invoice', 1, 'billing');
  assert.equal(h.state?.steps.invoice?.childRunId, id);
  assert.deepEqual(h.commands, [
    { v: 1, type: 'StartChildRun', runId: id, workflow: 'billing', version: 2, input: { order: 'o-1' }, parentRunId: 'run-1', parentStepId: 'invoice', at: h.now },
  ]);
  assert.equal(h.childEnded('invoice', 'SUCCEEDED', { total: 3 }, 'someone-else').events.length, 0, 'another child changes nothing');
  h.childEnded('invoice', 'SUCCEEDED', { total: 3 });
  assert.deepEqual(h.tasks.at(-1)?.input, { total: 3 });
  assert.equal(h.childEnded('invoice', 'SUCCEEDED', { total: 4 }).events.length, 0, 'a duplicate changes nothing');
  h.checkInvariants();
});

void test('a failed child fails the step (one attempt unless retry says more); with retries a new child runs', () => {
  const h = new RunHarness(parent);
  h.start({ id: 'o-1' });
  h.childEnded('invoice', 'FAILED');
  assert.equal(h.state?.steps.invoice?.status, 'FAILED');
  assert.equal(h.state?.status, 'FAILED');
  const r = new RunHarness({ ...parent, steps: [{ ...parent.steps[0]!, retry: { maxAttempts: 2, initialIntervalMs: 5 } }] });
  r.start({ id: 'o-1' });
  r.childEnded('invoice', 'FAILED');
  r.fireTimer('retry:invoice');
  assert.equal(r.state?.steps.invoice?.childRunId, childRunId('run-1', 'invoice', 2, 'billing'));
  assert.equal(r.commands.length, 2);
  h.checkInvariants();
  r.checkInvariants();
});

void test('cancelling a parent cancels its running child', () => {
  const h = new RunHarness(parent);
  h.start({ id: 'o-1' });
  h.cancel('stop');
  const cancel = h.commands.find((c) => c.type === 'CancelRun');
  assert.equal(cancel?.runId, h.state?.steps.invoice?.childRunId);
  h.checkInvariants();
});

void test('a child run tells its parent when it ends, once', () => {
  const child = new RunHarness({ name: 'billing', steps: [{ id: 'a', task: 'a' }] }, { runId: 'child-1' });
  const start: StartRun = { v: 1, type: 'StartRun', runId: 'child-1', workflow: 'billing', version: 1, definition: child.definition, input: {}, parentRunId: 'p-1', parentStepId: 'invoice', at: child.now };
  child.apply(start);
  assert.equal(child.state?.parentRunId, 'p-1');
  assert.equal(child.events[0]?.type === 'RunStarted' && child.events[0].data.parentStepId, 'invoice');
  child.complete('a', 1, { total: 9 });
  assert.deepEqual(child.commands, [
    { v: 1, type: 'ChildRunEnded', runId: 'p-1', childRunId: 'child-1', stepId: 'invoice', status: 'SUCCEEDED', output: { a: { total: 9 } }, at: child.now },
  ]);
  assert.equal(reduceRun(child.state, start, { now: 0, random: Math.random }).commands.length, 0);
  child.checkInvariants();
});
