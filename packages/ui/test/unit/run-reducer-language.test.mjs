/** The UI's projection of the workflow language's events: skips, forEach items, sleeps, waits, child runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTs } from './load-ts.mjs';

const definition = {
  name: 'order',
  steps: [
    { id: 'a', task: 'demo.echo' },
    { id: 'big', task: 'demo.echo', dependsOn: ['a'], if: 'input.n > 5' },
    { id: 'pick', task: 'demo.sleep', dependsOn: ['a'], forEach: 'input.lines' },
    { id: 'nap', type: 'sleep', durationMs: 5000, dependsOn: ['pick'] },
    { id: 'ok', type: 'wait', signal: 'approval', dependsOn: ['nap'] },
    { id: 'bill', type: 'workflow', workflow: 'invoice', dependsOn: ['ok'] },
  ],
};

test('the language events project onto steps, items and links', async (t) => {
  const { applyEvents } = await loadTs(t, ['store/run-reducer.ts']);
  const e = [];
  let seq = 0;
  const add = (type, at, data) => e.push({ runId: 'r1', seq: ++seq, type, at, data });
  add('RunStarted', 1000, { workflow: 'order', version: 1, input: {}, definition, parentRunId: 'p1', parentStepId: 'sub' });
  add('StepSucceeded', 1001, { stepId: 'a', attempt: 1, output: 1 });
  add('StepSkipped', 1001, { stepId: 'big', reason: 'condition "input.n > 5" is false', cause: 'condition' });
  add('ForEachExpanded', 1001, { stepId: 'pick', count: 2 });
  add('StepScheduled', 1001, { stepId: 'pick[0]', attempt: 1, task: 'demo.sleep', queue: 'default', input: {} });
  add('StepScheduled', 1001, { stepId: 'pick[1]', attempt: 1, task: 'demo.sleep', queue: 'default', input: {} });
  add('StepSucceeded', 1002, { stepId: 'pick[1]', attempt: 1, output: 'B' });
  let view = applyEvents(undefined, e);
  assert.equal(view.parentRunId, 'p1');
  assert.deepEqual(view.steps.big.skip, { cause: 'condition', reason: 'condition "input.n > 5" is false' });
  assert.deepEqual(view.steps.pick.items.map((i) => i.status), ['SCHEDULED', 'SUCCEEDED']);
  assert.equal(view.steps.pick.status, 'RUNNING');
  add('StepSucceeded', 1003, { stepId: 'pick[0]', attempt: 1, output: 'A' });
  add('StepSucceeded', 1003, { stepId: 'pick', attempt: 0, output: ['A', 'B'] });
  add('StepSleeping', 1003, { stepId: 'nap', attempt: 1, until: 6003 });
  view = applyEvents(undefined, e);
  assert.equal(view.steps.nap.wakeAt, 6003);
  assert.deepEqual(view.steps.pick.attempts, [], 'a forEach step has no attempts of its own');
  assert.equal(view.steps.nap.status, 'RUNNING');
  add('StepSucceeded', 6003, { stepId: 'nap', attempt: 1, output: null });
  add('StepWaiting', 6003, { stepId: 'ok', attempt: 1, signal: 'approval' });
  view = applyEvents(undefined, e);
  assert.deepEqual(view.steps.ok.waitingFor, { signal: 'approval' });
  assert.equal(view.steps.nap.wakeAt, undefined);
  add('SignalReceived', 7000, { name: 'approval', payload: { approved: true }, stepId: 'ok' });
  add('StepSucceeded', 7000, { stepId: 'ok', attempt: 1, output: { approved: true } });
  add('ChildRunStarted', 7000, { stepId: 'bill', attempt: 1, childRunId: 'c1', workflow: 'invoice' });
  view = applyEvents(undefined, e);
  assert.equal(view.steps.ok.waitingFor, undefined);
  assert.equal(view.steps.bill.childRunId, 'c1');
  assert.equal(view.steps.bill.task, 'workflow invoice');
});
