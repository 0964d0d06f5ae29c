/**
 * The orchestrator looks inside a claim-checked output only where a template or condition picks a
 * field of it; a payload it cannot read fails the step with an error naming the ref.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeDispatch, decodeEvent, encodeMessage, topicNames } from '@orchestrator-lite/core';
import type { ClaimCheck, RunEvent, TaskDispatched, WorkflowDefinition } from '@orchestrator-lite/core';
import { createEmbeddedTransport, PayloadStore } from '@orchestrator-lite/transport';
import { startOrchestrator } from '../src/index.js';

const names = topicNames('pc.');
const definition: WorkflowDefinition = {
  name: 'pick',
  steps: [
    { id: 'a', task: 't' },
    { id: 'b', task: 't', dependsOn: ['a'], if: 'steps.a.output.go', input: { n: '${steps.a.output.n}', all: '${steps.a.output}' } },
  ],
};

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a field of a claim-checked output is fetched for a template and a condition; an unreadable one fails the step naming its ref', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-payload-'));
  const transport = createEmbeddedTransport({ dataDir, pollIntervalMs: 10 });
  const orchestrator = await startOrchestrator({ transport, topicPrefix: 'pc.', partitions: 1 });
  await transport.ensureTopics([{ name: names.tasks('default'), partitions: 1 }]);
  const tasks: TaskDispatched[] = [];
  const events: RunEvent[] = [];
  const listener = await transport.subscribe({
    groupId: 'listener',
    topics: [names.tasks('default'), names.events],
    onBatch: async (records) => {
      for (const r of records) {
        if (r.topic === names.events) events.push(decodeEvent(r.value));
        else tasks.push(decodeDispatch(r.value));
      }
    },
  });
  t.after(async () => {
    await listener.close();
    await orchestrator.close();
    await transport.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const store = new PayloadStore(transport, { topic: names.payloads, inlineBytes: 16 });
  const start = (runId: string) =>
    transport.produce([{ topic: names.commands, key: runId, value: encodeMessage({ v: 1, type: 'StartRun', runId, workflow: 'pick', version: 1, definition, input: {}, at: Date.now() }) }]);
  const complete = (runId: string, output: unknown) =>
    transport.produce([{ topic: names.results, key: runId, value: encodeMessage({ v: 1, type: 'TaskCompleted', runId, stepId: 'a', attempt: 1, workerId: 'w', at: Date.now(), output }) }]);

  await start('good');
  await start('lost');
  await until(() => tasks.filter((task) => task.stepId === 'a').length === 2, 'both first steps');
  const claim = (await store.claim({ go: true, n: 7, pad: 'p'.repeat(100) })) as ClaimCheck;
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
