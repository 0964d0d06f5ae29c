/** A workflow under a concurrency key, driven over REST: runs of one customer wait their turn. */
import assert from 'node:assert/strict';
import type { RunListResponse, WorkflowDefinition } from '@orchestrator-lite/core';
import type { Engine } from './language-engine.js';

/** Each run holds its slot until it gets the signal `go`, so the test decides when it ends. */
export const BILLING: WorkflowDefinition = {
  name: 'lang.billing',
  concurrency: { key: 'input.customer', limit: 1, policy: 'queue' },
  steps: [
    { id: 'hold', type: 'wait', signal: 'go', timeoutMs: 60_000 },
    { id: 'charge', task: 'lang.echo', dependsOn: ['hold'], input: { customer: '${input.customer}' } },
  ],
};

export async function concurrencyFlow(e: Engine): Promise<void> {
  await e.register(BILLING);
  const first = await e.start('lang.billing', { customer: 'acme' });
  await e.until(first, 'the first acme run holds the slot', (r) => r.status === 'RUNNING' && r.steps.hold?.status === 'RUNNING');
  const second = await e.start('lang.billing', { customer: 'acme' });
  const other = await e.start('lang.billing', { customer: 'globex' });
  await e.until(other, 'another customer runs at once', (r) => r.status === 'RUNNING');
  const queued = await e.until(second, 'the second acme run waits with its reason', (r) => r.status === 'PENDING' && r.queued?.reason.includes('taken') === true);
  assert.equal(queued.concurrencyKey, 'acme');
  assert.equal(queued.queued?.reason, '1 of 1 slot for concurrency key "acme" taken; next in line');
  assert.equal(queued.steps.hold?.status, 'PENDING', 'no step of a queued run starts');
  const pending = await e.call('GET', '/api/v1/runs?workflow=lang.billing&status=PENDING');
  assert.deepEqual((pending.body as RunListResponse).items.map((r) => r.runId), [second]);

  assert.equal((await e.call('POST', `/api/v1/runs/${first}/signals/go`, {})).status, 202);
  await e.until(first, 'the first run ends', (r) => r.status === 'SUCCEEDED');
  const admitted = await e.until(second, 'the second run gets the slot', (r) => r.status === 'RUNNING');
  assert.equal(admitted.queued, undefined);
  for (const runId of [second, other]) assert.equal((await e.call('POST', `/api/v1/runs/${runId}/signals/go`, {})).status, 202);
  for (const runId of [second, other]) await e.until(runId, 'each run ends', (r) => r.status === 'SUCCEEDED');
  const events = await e.call('GET', `/api/v1/runs/${second}/events`);
  const types = (events.body as { items: { type: string }[] }).items.map((i) => i.type);
  assert.deepEqual(types.slice(0, 4), ['RunStarted', 'RunQueued', 'RunQueued', 'RunAdmitted']);
}
