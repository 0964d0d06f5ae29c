import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gateIdOf, projectRun, validateDefinition, workflow, type StartRun, type WorkflowDefinition } from '../../src/index.js';
import { RunHarness } from './harness.js';

const billing = workflow('billing').step('A', 'demo.echo').step('B', 'demo.echo', { dependsOn: ['A'] }).concurrency({ key: 'input.customer', limit: 1 }).build();
const gate = gateIdOf('billing', 'acme');

function start(h: RunHarness, definition: WorkflowDefinition = billing, input: unknown = { customer: 'acme' }): void {
  const cmd: StartRun = { v: 1, type: 'StartRun', runId: h.runId, workflow: definition.name, version: 1, definition, input, at: h.now };
  h.apply(cmd);
}

void test('a run under a concurrency key waits PENDING for a slot, with the reason, and asks its gate for one', () => {
  const h = new RunHarness(billing);
  start(h);
  assert.equal(h.state?.status, 'PENDING');
  assert.equal(h.tasks.length, 0, 'no step runs before the slot');
  assert.deepEqual(h.events.map((e) => e.type), ['RunStarted', 'RunQueued']);
  assert.deepEqual(h.commands, [{ v: 1, type: 'AcquireSlot', runId: gate, holder: h.runId, workflow: 'billing', key: 'acme', limit: 1, policy: 'queue', at: h.now }]);
  const view = projectRun(h.events);
  assert.equal(view?.status, 'PENDING');
  assert.equal(view?.concurrencyKey, 'acme');
  assert.match(view?.queued?.reason ?? '', /at most 1 run with concurrency key "acme"/);

  // A signal or a stray result while queued starts nothing.
  h.apply({ v: 1, type: 'Signal', runId: h.runId, name: 'x', at: h.now });
  assert.equal(h.tasks.length, 0);

  h.apply({ v: 1, type: 'SlotQueued', runId: h.runId, gate, reason: '1 of 1 slot for concurrency key "acme" taken; next in line', at: h.now });
  assert.equal(projectRun(h.events)?.queued?.reason, '1 of 1 slot for concurrency key "acme" taken; next in line');
  h.now += 250;
  h.apply({ v: 1, type: 'SlotGranted', runId: h.runId, gate, at: h.now });
  assert.equal(h.state?.status, 'RUNNING');
  assert.deepEqual(h.tasks.map((t) => t.stepId), ['A']);
  const admitted = h.events.find((e) => e.type === 'RunAdmitted');
  assert.deepEqual(admitted?.data, { key: 'acme', waitedMs: 250 });
  // A second grant (a replay) changes nothing.
  assert.equal(h.apply({ v: 1, type: 'SlotGranted', runId: h.runId, gate, at: h.now }).events.length, 0);
  h.checkInvariants();
});

void test('a run gives its slot back when it ends, whether it succeeds, fails or is cancelled while waiting', () => {
  const done = new RunHarness(billing);
  start(done);
  done.apply({ v: 1, type: 'SlotGranted', runId: done.runId, gate, at: done.now });
  done.complete('A');
  done.complete('B');
  assert.equal(done.state?.status, 'SUCCEEDED');
  assert.deepEqual(done.commands.at(-1), { v: 1, type: 'ReleaseSlot', runId: gate, holder: done.runId, at: done.now });
  done.checkInvariants();

  const cancelled = new RunHarness(billing, { runId: 'run-2' });
  start(cancelled);
  cancelled.apply({ v: 1, type: 'CancelRun', runId: 'run-2', reason: 'no longer needed', at: cancelled.now });
  assert.equal(cancelled.state?.status, 'CANCELLED');
  assert.equal(cancelled.state?.queued, undefined);
  assert.deepEqual(cancelled.commands.map((c) => c.type), ['AcquireSlot', 'ReleaseSlot']);
  assert.equal(projectRun(cancelled.events)?.queued, undefined);
  cancelled.checkInvariants();
});

void test('a retried run waits for a slot again', () => {
  const h = new RunHarness(billing);
  start(h);
  h.apply({ v: 1, type: 'SlotGranted', runId: h.runId, gate, at: h.now });
  h.apply({ v: 1, type: 'CancelRun', runId: h.runId, at: h.now });
  h.apply({ v: 1, type: 'RetryRun', runId: h.runId, at: h.now });
  assert.equal(h.state?.status, 'PENDING');
  assert.deepEqual(h.commands.map((c) => c.type), ['AcquireSlot', 'ReleaseSlot', 'AcquireSlot']);
  const tasks = h.tasks.length;
  h.apply({ v: 1, type: 'SlotGranted', runId: h.runId, gate, at: h.now });
  assert.equal(h.tasks.length, tasks + 1);
  h.checkInvariants();
});

void test('a key that does not evaluate to a scalar fails the run, naming concurrency.key', () => {
  const h = new RunHarness(billing);
  start(h, billing, { customer: { nested: true } });
  assert.equal(h.state?.status, 'FAILED');
  assert.equal(h.state?.error?.type, 'ORCH_EXPRESSION');
  assert.match(h.state?.error?.message ?? '', /^concurrency\.key: must give a string, number or boolean, got object/);
  assert.deepEqual(h.commands, []);
  const missing = new RunHarness(billing);
  start(missing, billing, {});
  assert.match(missing.state?.error?.message ?? '', /^concurrency\.key: /);
});

void test('registration checks the key: it parses, reads only input and run, and the limit and policy are in range', () => {
  const base = { name: 'w', steps: [{ id: 'a', task: 't' }] };
  const issues = (concurrency: unknown) => {
    const r = validateDefinition({ ...base, concurrency });
    return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
  };
  assert.deepEqual(issues({ key: 'input.customer', limit: 2, policy: 'cancelOldest' }), []);
  assert.match(issues({ key: 'input.(', limit: 1 })[0] ?? '', /^concurrency\.key: CEL syntax error/);
  assert.match(issues({ key: 'steps.a.output', limit: 1 })[0] ?? '', /^concurrency\.key: it is evaluated when the run starts/);
  assert.match(issues({ key: 'foo', limit: 1 })[0] ?? '', /^concurrency\.key: unknown variable "foo"/);
  assert.match(issues({ key: 'input.c', limit: 0 })[0] ?? '', /^concurrency\.limit: must be >= 1/);
  assert.match(issues({ key: 'input.c', limit: 1, policy: 'drop' })[0] ?? '', /^concurrency\.policy: must be one of queue, cancelNewest, cancelOldest/);
  assert.match(issues({ key: 'input.c' })[0] ?? '', /^concurrency\.limit/);
});
