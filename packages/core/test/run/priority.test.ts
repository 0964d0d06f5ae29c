import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectRun, topicNames, workflow } from '../../src/index.js';
import { RunHarness } from './harness.js';

const chain = workflow('chain').step('A', 'demo.echo').step('B', 'demo.echo', { dependsOn: ['A'] }).build();

void test("a run's priority is on RunStarted, its view, and every task it dispatches, also after a restore", () => {
  const h = new RunHarness(chain);
  const r = h.apply({ v: 1, type: 'StartRun', runId: h.runId, workflow: 'chain', version: 1, definition: chain, input: {}, priority: 1, at: h.now });
  assert.equal(r.events[0]?.type === 'RunStarted' ? r.events[0].data.priority : undefined, 1);
  assert.deepEqual(h.tasks.map((t) => [t.stepId, t.priority]), [['A', 1]]);
  h.complete('A');
  // B is dispatched from the state restored from orch.state too (the harness compares both).
  assert.deepEqual(h.tasks.map((t) => [t.stepId, t.priority]), [['A', 1], ['B', 1]]);
  assert.equal(h.restored()?.priority, 1);
  assert.equal(projectRun(h.events)?.priority, 1);
  h.checkInvariants();
});

void test('the default priority 2 adds nothing to the run or its tasks', () => {
  const h = new RunHarness(chain);
  h.apply({ v: 1, type: 'StartRun', runId: h.runId, workflow: 'chain', version: 1, definition: chain, input: {}, priority: 2, at: h.now });
  assert.equal(h.state?.priority, undefined);
  assert.equal(h.tasks[0]?.priority, undefined);
});

void test('each priority has its own task topic per queue', () => {
  const names = topicNames('x.');
  assert.deepEqual([1, 2, 3, undefined].map((p) => names.tasks('mail', p)), ['x.tasks-high.mail', 'x.tasks.mail', 'x.tasks-low.mail', 'x.tasks.mail']);
});
