import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRunInput, isClaimCheck } from '@orchestrator-lite/core';
import type { ClaimCheck, RunEvent, RunInput } from '@orchestrator-lite/core';
import { PayloadStore } from '@orchestrator-lite/transport';
import { DEFINITION, http, produceEvents, runStarted, startTestGateway, waitFor } from '../helpers.js';

void test('POST /runs/{id}/rerun starts a run that reuses the outputs of the steps not downstream of fromStep', async (t) => {
  const { url, gateway, transport, names } = await startTestGateway(t);
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  const failed: RunEvent[] = [
    runStarted('r1'),
    { runId: 'r1', seq: 2, type: 'StepScheduled', at: 1002, data: { stepId: 'charge', attempt: 1, task: 'charge-card', queue: 'default', input: { amount: 5 } } },
    { runId: 'r1', seq: 3, type: 'StepSucceeded', at: 1003, data: { stepId: 'charge', attempt: 1, output: { receipt: 'R-9' } } },
    { runId: 'r1', seq: 4, type: 'StepScheduled', at: 1004, data: { stepId: 'ship', attempt: 1, task: 'ship-parcel', queue: 'default', input: {} } },
    { runId: 'r1', seq: 5, type: 'StepFailed', at: 1005, data: { stepId: 'ship', attempts: 1, error: { type: 'Boom', message: 'no truck' } } },
    { runId: 'r1', seq: 6, type: 'RunFailed', at: 1006, data: { error: { type: 'Boom', message: 'no truck' }, failedSteps: ['ship'] } },
  ];
  await produceEvents(transport, names, [...failed, runStarted('r2')]);
  await waitFor(async () => (await gateway.readModel.getRun('r1'))?.status === 'FAILED' && (await gateway.readModel.getRun('r2')) !== undefined, 'the runs to be projected');

  const res = await http(url, 'POST', '/api/v1/runs/r1/rerun', { fromStep: 'ship', input: { amount: 6 } });
  assert.equal(res.status, 202);
  const { runId, reused } = res.body as { runId: string; reused: string[] };
  assert.deepEqual(reused, ['charge']);
  const commands: RunInput[] = [];
  for (let p = 0; p < 3; p += 1) for await (const batch of transport.readPartition(names.commands, p)) for (const r of batch) commands.push(decodeRunInput(r.value));
  const start = commands.find((c) => c.runId === runId);
  assert.equal(start?.type, 'StartRun');
  if (start?.type !== 'StartRun') return;
  assert.deepEqual(start.input, { amount: 6 });
  assert.equal(start.version, 1);
  assert.deepEqual(start.reuse, { fromRunId: 'r1', fromStep: 'ship', steps: { charge: { output: { receipt: 'R-9' } } } });

  // From the first step nothing is reused; the input defaults to the earlier run's.
  const all = await http(url, 'POST', '/api/v1/runs/r1/rerun', { fromStep: 'charge' });
  assert.deepEqual((all.body as { reused: string[] }).reused, []);

  const badStep = await http(url, 'POST', '/api/v1/runs/r1/rerun', { fromStep: 'nope' });
  assert.equal(badStep.status, 400);
  assert.equal((badStep.body as { error: { details: { field: string } } }).error.details.field, 'fromStep');
  assert.equal((await http(url, 'POST', '/api/v1/runs/r1/rerun', {})).status, 400);
  assert.equal((await http(url, 'POST', '/api/v1/runs/r2/rerun', { fromStep: 'ship' })).status, 409, 'a running run');
  assert.equal((await http(url, 'POST', '/api/v1/runs/zz/rerun', { fromStep: 'ship' })).status, 404);
});

void test("a rerun copies the claim-checked input and outputs it takes to the new run, so the original's expiry leaves them; one that cannot be read is a 400", async (t) => {
  const { url, gateway, transport, names } = await startTestGateway(t);
  await http(url, 'PUT', '/api/v1/workflows/orders', DEFINITION);
  const store = new PayloadStore(transport, { topic: names.payloads, inlineBytes: 16 });
  const input = (await store.claim({ amount: 5, note: 'n'.repeat(100) }, 'r3')) as ClaimCheck;
  const receipt = (await store.claim({ receipt: 'R-1', pad: 'p'.repeat(100) }, 'r3')) as ClaimCheck;
  const lost: ClaimCheck = { $payload: { ...input.$payload, ref: input.$payload.ref.replace(/\.[^.]+$/, '.gone') } };
  const history = (runId: string, runInput: unknown): RunEvent[] => [
    { ...runStarted(runId), data: { ...runStarted(runId).data, input: runInput } } as RunEvent,
    { runId, seq: 2, type: 'StepScheduled', at: 1002, data: { stepId: 'charge', attempt: 1, task: 'charge-card', queue: 'default', input: {} } },
    { runId, seq: 3, type: 'StepSucceeded', at: 1003, data: { stepId: 'charge', attempt: 1, output: receipt } },
    { runId, seq: 4, type: 'RunFailed', at: 1006, data: { error: { type: 'Boom', message: 'no truck' }, failedSteps: ['ship'] } },
  ];
  await produceEvents(transport, names, [...history('r3', input), ...history('r4', lost)]);
  await waitFor(async () => (await gateway.readModel.getRun('r3'))?.status === 'FAILED' && (await gateway.readModel.getRun('r4'))?.status === 'FAILED', 'the runs to be projected');

  const res = await http(url, 'POST', '/api/v1/runs/r3/rerun', { fromStep: 'ship' });
  assert.equal(res.status, 202);
  const { runId } = res.body as { runId: string };
  const commands: RunInput[] = [];
  for (let p = 0; p < 3; p += 1) for await (const batch of transport.readPartition(names.commands, p)) for (const r of batch) commands.push(decodeRunInput(r.value));
  const start = commands.find((c) => c.runId === runId);
  assert.ok(start?.type === 'StartRun' && isClaimCheck(start.input));
  const reused = start.reuse?.steps.charge?.output;
  assert.ok(isClaimCheck(reused));
  for (const [copy, original] of [[start.input, input], [reused, receipt]] as const) {
    assert.notEqual(copy.$payload.ref, original.$payload.ref, 'a copy, not the original');
    assert.equal(copy.$payload.sha256, original.$payload.sha256);
    assert.equal((await store.inspect(copy.$payload.ref))?.owner, runId, 'owned by the new run');
  }

  const unreadable = await http(url, 'POST', '/api/v1/runs/r4/rerun', { fromStep: 'ship' });
  assert.equal(unreadable.status, 400);
  const error = (unreadable.body as { error: { message: string; details: { field: string } } }).error;
  assert.equal(error.details.field, 'input');
  assert.ok(error.message.includes(lost.$payload.ref), error.message);
});
