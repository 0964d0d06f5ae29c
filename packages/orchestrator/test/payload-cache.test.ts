/**
 * The orchestrator looks inside a claim-checked output only where a template or condition picks a
 * field of it; a payload it cannot read fails the step with an error naming the ref.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topicNames } from '@orchestrator-lite/core';
import type { ChildRunEnded, ClaimCheck, WorkflowDefinition } from '@orchestrator-lite/core';
import { PayloadStore } from '@orchestrator-lite/transport';
import { startOrchestrator } from '../src/index.js';
import { adoptChildOutput } from '../src/payload-cache.js';
import { embeddedBus, inputs, observe, until } from './harness.js';

const names = topicNames('pc.');
const definition: WorkflowDefinition = {
  name: 'pick',
  steps: [
    { id: 'a', task: 't' },
    { id: 'b', task: 't', dependsOn: ['a'], if: 'steps.a.output.go', input: { n: '${steps.a.output.n}', all: '${steps.a.output}' } },
  ],
};

test('a field of a claim-checked output is fetched for a template and a condition; an unreadable one fails the step naming its ref', async (t) => {
  const transport = embeddedBus(t, { pollIntervalMs: 10 });
  const orchestrator = await startOrchestrator({ transport, topicPrefix: 'pc.', partitions: 1 });
  t.after(() => orchestrator.close());
  const { tasks, events } = await observe(t, transport, names, 1);
  const store = new PayloadStore(transport, { topic: names.payloads, inlineBytes: 16 });
  const send = inputs(transport, names);
  const start = (runId: string) => send.start(runId, definition);
  const complete = (runId: string, output: unknown) => send.complete(runId, 'a', output);

  await start('good');
  await start('lost');
  await until(() => tasks.filter((task) => task.stepId === 'a').length === 2, 'both first steps');
  const claim = (await store.claim({ go: true, n: 7, pad: 'p'.repeat(100) }, 'good')) as ClaimCheck;
  await complete('good', claim);
  const lost: ClaimCheck = { $payload: { ...claim.$payload, ref: claim.$payload.ref.replace(/\.[^.]+$/, '.gone') } };
  await complete('lost', lost);

  await until(() => tasks.some((task) => task.runId === 'good' && task.stepId === 'b'), 'step b of the good run');
  const b = tasks.find((task) => task.runId === 'good' && task.stepId === 'b');
  assert.deepEqual(b?.input, { n: 7, all: claim }, 'the picked field is resolved, the whole output stays a claim-check');

  await until(() => events.some((e) => e.runId === 'lost' && e.type === 'RunFailed'), 'the run with a lost payload to fail');
  const failed = events.find((e) => e.runId === 'lost' && e.type === 'StepFailed');
  assert.ok(failed?.type === 'StepFailed');
  assert.equal(failed.data.error.type, 'ORCH_PAYLOAD_UNREADABLE');
  assert.ok(failed.data.error.message.includes(lost.$payload.ref), failed.data.error.message);
  assert.equal(failed.data.error.nonRetryable, true);
});

test("a child's output becomes its parent's: its payload is copied to the parent; one that cannot be read fails the step", async (t) => {
  const transport = embeddedBus(t, { pollIntervalMs: 10 });
  await transport.ensureTopics([{ name: names.payloads, partitions: 1, compacted: true }]);
  const store = new PayloadStore(transport, { topic: names.payloads, inlineBytes: 16 });
  const value = { report: 'r'.repeat(100) };
  const childOwned = (await store.claim(value, 'child-1')) as ClaimCheck;
  const ended: ChildRunEnded = { v: 1, type: 'ChildRunEnded', runId: 'parent-1', childRunId: 'child-1', stepId: 'sub', status: 'SUCCEEDED', output: { summary: childOwned }, at: 1 };

  const adopted = await adoptChildOutput(store, ended);
  const copy = (adopted.output as { summary: ClaimCheck }).summary;
  assert.notEqual(copy.$payload.ref, childOwned.$payload.ref);
  assert.equal((await store.inspect(copy.$payload.ref))?.owner, 'parent-1');
  assert.deepEqual(await store.get(copy), value);
  const again = await adoptChildOutput(store, adopted);
  assert.equal((again.output as { summary: ClaimCheck }).summary.$payload.ref, copy.$payload.ref, 'a payload the parent owns is not copied again');

  const lost: ClaimCheck = { $payload: { ...childOwned.$payload, ref: childOwned.$payload.ref.replace(/\.[^.]+$/, '.gone') } };
  const failed = await adoptChildOutput(store, { ...ended, output: lost });
  assert.equal(failed.status, 'FAILED');
  assert.equal(failed.output, undefined);
  assert.equal(failed.error?.type, 'ORCH_PAYLOAD_UNREADABLE');
  assert.ok(failed.error?.message.includes(lost.$payload.ref) && failed.error.nonRetryable === true, failed.error?.message);
});
