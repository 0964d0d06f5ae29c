/** The workflows the language end-to-end tests run, and the order flow they drive over REST. */
import assert from 'node:assert/strict';
import type { WorkflowDefinition } from '@orchestrator-lite/core';
import type { Engine } from './language-engine.js';

export const CHILD: WorkflowDefinition = {
  name: 'lang.invoice',
  steps: [{ id: 'total', task: 'lang.echo', input: { order: '${input.order}', total: '${input.total}' } }],
  output: '${steps.total.output}',
};

export const ORDER: WorkflowDefinition = {
  name: 'lang.order',
  steps: [
    { id: 'check', task: 'lang.echo', input: { amount: '${input.amount}' } },
    { id: 'big', task: 'lang.echo', dependsOn: ['check'], if: 'steps.check.output.amount >= 100', input: { path: 'big' } },
    { id: 'small', task: 'lang.echo', dependsOn: ['check'], if: 'steps.check.output.amount < 100', input: { path: 'small' } },
    { id: 'lines', task: 'lang.double', dependsOn: ['big', 'small'], forEach: 'input.lines', maxParallel: 2, input: { n: '${item.n}' } },
    { id: 'cool', type: 'sleep', dependsOn: ['lines'], durationMs: 200 },
    { id: 'approve', type: 'wait', dependsOn: ['cool'], signal: 'approval', timeoutMs: 60_000 },
    { id: 'invoice', type: 'workflow', dependsOn: ['approve'], if: 'steps.approve.output.approved', workflow: 'lang.invoice', input: { order: '${input.id}', total: '${steps.lines.output}' } },
  ],
  output: { lines: '${steps.lines.output}', invoice: '${steps.invoice.output}' },
};

/** Registers the flows, runs an order of 150 with three lines, approves it, and checks every step. */
export async function orderFlow(e: Engine): Promise<void> {
  await e.register(CHILD);
  await e.register(ORDER);
  const runId = await e.start('lang.order', { id: 'o-7', amount: 150, lines: [{ n: 1 }, { n: 2 }, { n: 3 }] });
  const waiting = await e.until(runId, 'the approval step waits', (r) => r.steps.approve?.status === 'RUNNING');
  assert.equal(waiting.steps.small?.status, 'SKIPPED');
  assert.match(waiting.steps.small?.skip?.reason ?? '', /condition .* is false/);
  assert.equal(waiting.steps.big?.status, 'SUCCEEDED');
  assert.deepEqual(waiting.steps.lines?.output, [{ n: 2 }, { n: 4 }, { n: 6 }]);
  assert.equal(waiting.steps.lines?.items?.length, 3);
  assert.equal(waiting.steps.cool?.status, 'SUCCEEDED');
  assert.deepEqual(waiting.steps.approve?.waitingFor?.signal, 'approval');

  const sent = await e.call('POST', `/api/v1/runs/${runId}/signals/approval`, { payload: { approved: true, by: 'ann' } });
  assert.equal(sent.status, 202);
  const done = await e.until(runId, 'the run ends', (r) => r.status === 'SUCCEEDED' || r.status === 'FAILED');
  assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
  assert.deepEqual(done.steps.approve?.output, { approved: true, by: 'ann' });
  const childId = done.steps.invoice?.childRunId;
  assert.ok(childId, 'the workflow step names its child');
  const child = await e.run(childId);
  assert.equal(child.parentRunId, runId);
  assert.equal(child.parentStepId, 'invoice');
  assert.equal(child.workflow, 'lang.invoice');
  assert.deepEqual(done.output, { lines: [{ n: 2 }, { n: 4 }, { n: 6 }], invoice: { order: 'o-7', total: [{ n: 2 }, { n: 4 }, { n: 6 }] } });
  const events = await e.call('GET', `/api/v1/runs/${runId}/events`);
  const types = new Set((events.body as { items: { type: string }[] }).items.map((i) => i.type));
  for (const type of ['StepSkipped', 'ForEachExpanded', 'StepSleeping', 'StepWaiting', 'SignalReceived', 'ChildRunStarted']) {
    assert.ok(types.has(type), `events include ${type}`);
  }
}
