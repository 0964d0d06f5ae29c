/**
 * No record the broker would refuse is produced: a completion whose output would make one fails
 * its step clearly (non-retryable ORCH_PAYLOAD_TOO_LARGE) while other runs flow, and any other
 * such input is dead-lettered with the reason instead of wedging the partition.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topicNames } from '@orchestrator-lite/core';
import type { WorkflowDefinition } from '@orchestrator-lite/core';
import { DLQ_HEADERS } from '@orchestrator-lite/transport';
import { startOrchestrator } from '../src/index.js';
import { embeddedBus, inputs, observe, until } from './harness.js';

const names = topicNames('rl.');
const definition: WorkflowDefinition = { name: 'two', steps: [{ id: 'a', task: 't' }, { id: 'b', task: 't', dependsOn: ['a'] }] };

test('an output too large to write fails its step clearly, an oversized start is dead-lettered, other runs flow', async (t) => {
  const transport = embeddedBus(t);
  const orchestrator = await startOrchestrator({ transport, topicPrefix: 'rl.', partitions: 1, maxRecordBytes: 8 * 1024 });
  t.after(() => orchestrator.close());
  const { tasks, events, dlq } = await observe(t, transport, names, 1);
  const send = inputs(transport, names);
  const start = (runId: string, input: unknown) => send.start(runId, definition, input);
  const complete = (runId: string, stepId: string, output: unknown) => send.complete(runId, stepId, output);

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
