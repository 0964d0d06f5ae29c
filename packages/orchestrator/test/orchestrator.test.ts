import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { encodeMessage, topicNames } from '@orchestrator-lite/core';
import type { WorkflowDefinition } from '@orchestrator-lite/core';
import { DLQ_HEADERS } from '@orchestrator-lite/transport';
import type { Transport } from '@orchestrator-lite/transport';
import { startOrchestrator } from '../src/index.js';
import { embeddedBus, inputs, observe, until } from './harness.js';

const names = topicNames('o.');

const definition: WorkflowDefinition = {
  name: 'one',
  steps: [{ id: 'only', task: 't', retry: { maxAttempts: 3, initialIntervalMs: 400, backoffCoefficient: 2, jitter: 'none' } }],
};

async function bus(t: TestContext) {
  const transport = embeddedBus(t);
  const start = () => startOrchestrator({ transport, topicPrefix: 'o.', partitions: 2 });
  const first = await start();
  const seen = await observe(t, transport, names, 2);
  return { transport, ...seen, first, start, send: inputs(transport, names) };
}

const command = (transport: Transport, runId: string, value: Buffer) => transport.produce([{ topic: names.commands, key: runId, value }]);

test('a retry timer armed before a restart fires after it: timers live in the snapshot', async (t) => {
  const { tasks, events, first, start, send } = await bus(t);
  await send.start('run-1', definition);
  await until(() => tasks.length === 1, 'the first attempt');
  await send.fail('run-1', 'only', { type: 'Boom', message: 'boom' });
  await until(() => events.some((e) => e.type === 'RetryScheduled'), 'the retry');
  await first.close(); // before the 400 ms retry is due

  const second = await start();
  t.after(() => second.close());
  await until(() => tasks.length === 2, 'the second attempt', 5000);
  assert.deepEqual(tasks.map((task) => task.attempt), [1, 2]);
  const retry = events.find((e) => e.type === 'RetryScheduled')!;
  assert.equal(retry.type === 'RetryScheduled' && retry.data.delayMs, 400);
  assert.equal(second.getRun('run-1')?.steps.only?.attempts.length, 2);
});

test('a replayed or duplicate input changes nothing', async (t) => {
  const { transport, tasks, events, first } = await bus(t);
  t.after(() => first.close());
  const startRun = encodeMessage({ v: 1, type: 'StartRun', runId: 'run-2', workflow: 'one', version: 1, definition, input: {}, at: Date.now() });
  await command(transport, 'run-2', startRun);
  await command(transport, 'run-2', startRun);
  const done = encodeMessage({ v: 1, type: 'TaskCompleted', runId: 'run-2', stepId: 'only', attempt: 1, workerId: 'w', at: Date.now(), output: 1 });
  await until(() => tasks.length === 1, 'the task');
  await transport.produce([{ topic: names.results, key: 'run-2', value: done }, { topic: names.results, key: 'run-2', value: done }]);
  await until(() => events.some((e) => e.type === 'RunSucceeded'), 'the run to succeed');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(tasks.length, 1);
  assert.deepEqual(events.map((e) => e.type), ['RunStarted', 'StepScheduled', 'StepSucceeded', 'RunSucceeded']);
  assert.deepEqual(events.map((e) => e.seq), [1, 2, 3, 4]);
});

test('undecodable inputs are dead-lettered with their reason and the partition keeps flowing', async (t) => {
  const { transport, tasks, dlq, first } = await bus(t);
  t.after(() => first.close());
  await command(transport, 'run-3', Buffer.from([0xff, 0x00, 0x13]));
  await command(transport, 'run-3', encodeMessage({ v: 7, type: 'StartRun', runId: 'run-3' }));
  await command(transport, 'other', encodeMessage({ v: 1, type: 'CancelRun', runId: 'run-3', at: 1 }));
  await command(transport, 'run-3', encodeMessage({ v: 1, type: 'StartRun', runId: 'run-3', workflow: 'one', version: 1, definition, input: {}, at: Date.now() }));
  await until(() => tasks.length === 1 && dlq.length === 3, 'the task and three dead letters');
  // Keys land on different partitions: order holds within a key only.
  const run3 = dlq.filter((r) => r.key === 'run-3');
  const other = dlq.filter((r) => r.key === 'other');
  assert.equal(run3.length, 2);
  assert.match(run3[1]!.headers[DLQ_HEADERS.reason]!, /version/i);
  assert.match(other[0]!.headers[DLQ_HEADERS.reason]!, /does not match/);
});
