/**
 * Concurrency keys through the real orchestrator on the embedded bus: the gate and the runs
 * live on different partitions and talk by commands; the orchestrator is restarted mid-way.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { topicNames, workflow } from '@orchestrator-lite/core';
import type { ConcurrencyPolicy, TaskDispatched, WorkflowDefinition } from '@orchestrator-lite/core';
import { startOrchestrator } from '../src/index.js';
import type { OrchestratorHandle } from '../src/index.js';
import { embeddedBus, inputs, observe, until } from './harness.js';

const names = topicNames('c.');
const billing = (policy: ConcurrencyPolicy, limit = 1): WorkflowDefinition =>
  workflow('billing').step('charge', 'demo.echo').concurrency({ key: 'input.customer', limit, policy }).build();

async function harness(t: TestContext) {
  const transport = embeddedBus(t);
  const start = () => startOrchestrator({ transport, topicPrefix: 'c.', partitions: 4 });
  let orchestrator: OrchestratorHandle = await start();
  t.after(() => orchestrator.close());
  const { tasks, events } = await observe(t, transport, names, 4);
  const send = inputs(transport, names);
  return {
    tasks,
    events,
    startRun: (runId: string, definition: WorkflowDefinition, customer: string) => send.start(runId, definition, { customer }),
    complete: (task: TaskDispatched) => send.complete(task.runId, task.stepId, {}, task.attempt),
    cancel: (runId: string) => send.cancel(runId),
    restart: async () => {
      await orchestrator.close();
      orchestrator = await start();
    },
    ended: (runId: string) => events.find((e) => e.runId === runId && (e.type === 'RunSucceeded' || e.type === 'RunCancelled' || e.type === 'RunFailed')),
  };
}

const settle = () => new Promise((r) => setTimeout(r, 300));

test('queue: one run per customer at a time, in arrival order, also across a restart; other customers are not held up', async (t) => {
  const h = await harness(t);
  const def = billing('queue');
  for (const id of ['a1', 'a2', 'a3']) {
    await h.startRun(id, def, 'acme');
    await until(() => h.events.some((e) => e.runId === id && e.type === 'RunQueued'), `${id} queued`);
  }
  await h.startRun('b1', def, 'globex');
  await until(() => h.tasks.some((task) => task.runId === 'b1'), 'globex runs at once');
  await until(() => h.tasks.some((task) => task.runId === 'a1'), 'a1 runs');
  await settle();
  assert.deepEqual(h.tasks.map((task) => task.runId).sort(), ['a1', 'b1'], 'a2 and a3 wait');
  const waiting = h.events.filter((e) => e.runId === 'a3' && e.type === 'RunQueued').at(-1);
  assert.equal(waiting?.type === 'RunQueued' && waiting.data.reason, '1 of 1 slot for concurrency key "acme" taken; 1 run ahead');

  // The orchestrator restarts with a2 and a3 queued: the gates and the queued runs are restored.
  await h.restart();
  await h.complete(h.tasks.find((task) => task.runId === 'a1')!);
  await until(() => h.tasks.some((task) => task.runId === 'a2'), 'a2 runs after a1 ends');
  await settle();
  assert.equal(h.tasks.some((task) => task.runId === 'a3'), false, 'a3 still waits');
  await h.complete(h.tasks.find((task) => task.runId === 'a2')!);
  await until(() => h.tasks.some((task) => task.runId === 'a3'), 'a3 runs after a2 ends');
  await h.complete(h.tasks.find((task) => task.runId === 'a3')!);
  await until(() => h.ended('a3') !== undefined, 'a3 ends');
  const admitted = h.events.filter((e) => e.type === 'RunAdmitted').map((e) => e.runId);
  assert.deepEqual(admitted.filter((id) => id.startsWith('a')), ['a1', 'a2', 'a3']);
});

test('a queued run that is cancelled leaves the queue: the next one gets the slot', async (t) => {
  const h = await harness(t);
  const def = billing('queue');
  for (const id of ['q1', 'q2', 'q3']) {
    await h.startRun(id, def, 'acme');
    await until(() => h.events.some((e) => e.runId === id && e.type === 'RunQueued'), `${id} queued`);
  }
  await until(() => h.tasks.some((task) => task.runId === 'q1'), 'q1 runs');
  await h.cancel('q2');
  await until(() => h.ended('q2')?.type === 'RunCancelled', 'q2 cancelled');
  await h.complete(h.tasks.find((task) => task.runId === 'q1')!);
  await until(() => h.tasks.some((task) => task.runId === 'q3'), 'q3 runs');
  assert.equal(h.tasks.some((task) => task.runId === 'q2'), false);
});

test('cancelNewest cancels the run over the limit with the reason; cancelOldest cancels the oldest and runs the new one', async (t) => {
  const h = await harness(t);
  const newest = billing('cancelNewest');
  await h.startRun('n1', newest, 'acme');
  await until(() => h.tasks.some((task) => task.runId === 'n1'), 'n1 runs');
  await h.startRun('n2', newest, 'acme');
  await until(() => h.ended('n2') !== undefined, 'n2 ends');
  const cancelled = h.ended('n2');
  assert.equal(cancelled?.type === 'RunCancelled' && cancelled.data.reason, 'concurrency limit 1 reached for key "acme" (policy cancelNewest)');
  assert.equal(h.ended('n1'), undefined, 'n1 keeps running');

  const oldest = workflow('sync').step('pull', 'demo.echo').concurrency({ key: 'input.customer', limit: 1, policy: 'cancelOldest' }).build();
  await h.startRun('o1', oldest, 'acme');
  await until(() => h.tasks.some((task) => task.runId === 'o1'), 'o1 runs');
  await h.startRun('o2', oldest, 'acme');
  await until(() => h.ended('o1') !== undefined, 'o1 ends');
  const replaced = h.ended('o1');
  assert.equal(replaced?.type === 'RunCancelled' && replaced.data.reason, 'replaced by a newer run with concurrency key "acme" (policy cancelOldest)');
  await until(() => h.tasks.some((task) => task.runId === 'o2'), 'o2 runs once o1 has ended');
  const o1End = h.events.indexOf(h.ended('o1')!);
  const o2Admitted = h.events.findIndex((e) => e.runId === 'o2' && e.type === 'RunAdmitted');
  assert.ok(o2Admitted > o1End, 'o2 is admitted only after o1 ended');
});
