/**
 * No record the broker would refuse is produced: a completion whose output would make one fails
 * its step clearly (non-retryable ORCH_PAYLOAD_TOO_LARGE) while other runs flow, and any other
 * such input is dead-lettered with the reason instead of wedging the partition.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeDispatch, decodeEvent, encodeMessage, topicNames } from '@orchestrator-lite/core';
import type { RunEvent, TaskDispatched, WorkflowDefinition } from '@orchestrator-lite/core';
import { createEmbeddedTransport, DLQ_HEADERS } from '@orchestrator-lite/transport';
import type { ConsumedRecord } from '@orchestrator-lite/transport';
import { startOrchestrator } from '../src/index.js';

const names = topicNames('rl.');
const definition: WorkflowDefinition = { name: 'two', steps: [{ id: 'a', task: 't' }, { id: 'b', task: 't', dependsOn: ['a'] }] };

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('an output too large to write fails its step clearly, an oversized start is dead-lettered, other runs flow', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-limit-'));
  const transport = createEmbeddedTransport({ dataDir });
  const orchestrator = await startOrchestrator({ transport, topicPrefix: 'rl.', partitions: 1, maxRecordBytes: 8 * 1024 });
  await transport.ensureTopics([{ name: names.tasks('default'), partitions: 1 }]);
  const tasks: TaskDispatched[] = [];
  const events: RunEvent[] = [];
  const dlq: ConsumedRecord[] = [];
  const listener = await transport.subscribe({
    groupId: 'listener',
    topics: [names.tasks('default'), names.events, names.dlq],
    onBatch: async (records) => {
      for (const r of records) {
        if (r.topic === names.dlq) dlq.push(r);
        else if (r.topic === names.events) events.push(decodeEvent(r.value));
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
  const start = (runId: string, input: unknown) =>
    transport.produce([{ topic: names.commands, key: runId, value: encodeMessage({ v: 1, type: 'StartRun', runId, workflow: 'two', version: 1, definition, input, at: Date.now() }) }]);
  const complete = (runId: string, stepId: string, output: unknown) =>
    transport.produce([{ topic: names.results, key: runId, value: encodeMessage({ v: 1, type: 'TaskCompleted', runId, stepId, attempt: 1, workerId: 'w', at: Date.now(), output }) }]);

  await start('big', {});
  await start('small', {});
  await start('huge-input', { blob: 'z'.repeat(20 * 1024) });
  await until(() => tasks.filter((task) => task.stepId === 'a').length === 2, 'two first steps');
  await complete('big', 'a', { blob: 'y'.repeat(20 * 1024) });
  await complete('small', 'a', { ok: true });
  await until(() => events.some((e) => e.runId === 'big' && e.type === 'RunFailed'), 'the big run to fail');
  await until(() => tasks.some((task) => task.runId === 'small' && task.stepId === 'b'), 'the small run to go on');
  const failed = events.find((e) => e.runId === 'big' && e.type === 'StepFailed');
  assert.ok(failed?.type === 'StepFailed');
  assert.equal(failed.data.error.type, 'ORCH_PAYLOAD_TOO_LARGE');
  assert.equal(failed.data.error.nonRetryable, true);
  assert.match(failed.data.error.message, /over the limit of 8192/);
  assert.ok(!events.some((e) => e.runId === 'big' && e.type === 'RetryScheduled'), 'never retried');
  await until(() => dlq.length === 1, 'the oversized start to be dead-lettered');
  assert.equal(dlq[0]?.key, 'huge-input');
  assert.match(dlq[0]?.headers[DLQ_HEADERS.reason] ?? '', /ORCH_PAYLOAD_TOO_LARGE/);
  assert.ok(!events.some((e) => e.runId === 'huge-input'), 'nothing of the oversized run was written');
});
