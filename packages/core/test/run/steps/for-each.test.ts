import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunHarness, type WorkflowDefinition } from '../harness.js';

const def = (maxParallel?: number, maxAttempts = 2): WorkflowDefinition => ({
  name: 'fan',
  steps: [
    {
      id: 'ship',
      task: 'ship',
      forEach: 'input.lines',
      ...(maxParallel === undefined ? {} : { maxParallel }),
      input: { sku: '${item.sku}', n: '${index}', label: 'line ${index}: ${item.sku}' },
      retry: { maxAttempts, initialIntervalMs: 10, jitter: 'none' },
    },
    { id: 'after', task: 'after', dependsOn: ['ship'], input: '${steps.ship.output}' },
  ],
});
const lines = [{ sku: 'a' }, { sku: 'b' }, { sku: 'c' }];

void test('one task per item with ${item} and ${index}, outputs in order whatever the completion order', () => {
  const h = new RunHarness(def());
  h.start({ lines });
  assert.deepEqual(h.tasks.map((t) => [t.stepId, t.input]), [
    ['ship[0]', { sku: 'a', n: 0, label: 'line 0: a' }],
    ['ship[1]', { sku: 'b', n: 1, label: 'line 1: b' }],
    ['ship[2]', { sku: 'c', n: 2, label: 'line 2: c' }],
  ]);
  assert.equal(h.tasks[0]?.idempotencyKey, 'run-1:ship[0]:1');
  h.complete('ship[2]', 1, 'C');
  h.complete('ship[0]', 1, 'A');
  assert.equal(h.state?.steps.ship?.status, 'RUNNING');
  h.complete('ship[1]', 1, 'B');
  assert.deepEqual(h.state?.steps.ship?.output, ['A', 'B', 'C']);
  assert.deepEqual(h.tasks.at(-1)?.input, ['A', 'B', 'C']);
  h.checkInvariants();
});

void test('maxParallel bounds the items in flight; a retrying item keeps its slot and retries alone', () => {
  const h = new RunHarness(def(2));
  h.start({ lines });
  assert.deepEqual(h.tasks.map((t) => t.stepId), ['ship[0]', 'ship[1]']);
  h.fail('ship[0]');
  assert.equal(h.state?.steps.ship?.items?.[0]?.status, 'RETRY_WAIT');
  assert.equal(h.tasks.length, 2, 'the retry wait holds the slot');
  h.complete('ship[1]', 1, 'B');
  assert.deepEqual(h.tasks.map((t) => t.stepId), ['ship[0]', 'ship[1]', 'ship[2]']);
  h.fireTimer('retry:ship[0]:1');
  assert.deepEqual(h.tasks.at(-1)?.stepId, 'ship[0]');
  assert.equal(h.tasks.at(-1)?.attempt, 2);
  h.complete('ship[0]', 2, 'A');
  h.complete('ship[2]', 1, 'C');
  assert.deepEqual(h.state?.steps.ship?.output, ['A', 'B', 'C']);
  h.checkInvariants();
});

void test('an item that fails for good fails the step and cancels the others', () => {
  const h = new RunHarness(def(undefined, 1));
  h.start({ lines });
  h.started('ship[1]');
  h.fail('ship[0]');
  const ship = h.state?.steps.ship;
  assert.equal(ship?.status, 'FAILED');
  assert.match(ship?.error?.message ?? '', /item 0 of step "ship" failed/);
  assert.deepEqual(ship?.items?.map((i) => i.status), ['FAILED', 'CANCELLED', 'CANCELLED']);
  assert.deepEqual(h.control.map((c) => c.stepId), ['ship[1]', 'ship[2]']);
  assert.equal(h.state?.status, 'FAILED');
  // A late result of a cancelled item changes nothing.
  assert.equal(h.complete('ship[1]').events.length, 0);
  h.checkInvariants();
});

void test('an empty list succeeds at once with []; a non-list fails with ORCH_EXPRESSION', () => {
  const h = new RunHarness(def());
  h.start({ lines: [] });
  assert.deepEqual(h.state?.steps.ship?.output, []);
  const bad = new RunHarness(def());
  bad.start({ lines: 'abc' });
  assert.equal(bad.state?.steps.ship?.error?.type, 'ORCH_EXPRESSION');
  h.checkInvariants();
  bad.checkInvariants();
});

void test('a retried run keeps the items that succeeded', () => {
  const h = new RunHarness(def(undefined, 1));
  h.start({ lines });
  h.complete('ship[0]', 1, 'A');
  h.fail('ship[1]');
  h.retryRun();
  assert.deepEqual(h.state?.steps.ship?.items?.map((i) => i.status), ['SUCCEEDED', 'SCHEDULED', 'SCHEDULED']);
  h.complete('ship[1]', 2, 'B');
  h.complete('ship[2]', 2, 'C');
  assert.deepEqual(h.state?.steps.ship?.output, ['A', 'B', 'C']);
  h.checkInvariants();
});
