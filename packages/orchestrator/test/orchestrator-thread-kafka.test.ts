/**
 * The orchestrator on a thread of its own with a Kafka client of its own (`orch start` on Kafka):
 * it runs a workflow the bus gives it, counts its own writes (and, closed, counts none), closes
 * with its client, and says why when it cannot start.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topicNames } from '@orchestrator-lite/core';
import type { WorkflowDefinition } from '@orchestrator-lite/core';
import { ensureKafka, kafkaSkip, randomPrefix } from '@orchestrator-lite/testing';
import { createKafkaTransport } from '@orchestrator-lite/transport';
import { startOrchestratorThread } from '../src/index.js';
import { inputs, observe, until } from './harness.js';

const chain: WorkflowDefinition = {
  name: 'chain',
  steps: [
    { id: 'a', task: 't' },
    { id: 'b', task: 't', dependsOn: ['a'] },
  ],
};

test('on Kafka: the orchestrator on a thread runs a workflow, counts its writes and closes', { skip: kafkaSkip(), timeout: 120_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  const prefix = randomPrefix('thread');
  const names = topicNames(prefix);
  const orchestrator = await startOrchestratorThread({ kafka: { brokers, clientId: 'thread-test' }, orchestrator: { topicPrefix: prefix, partitions: 2 }, logLevel: 'silent' });
  let closed = false;
  t.after(() => (closed ? undefined : orchestrator.close()));
  assert.equal(orchestrator.partitions, 2);
  assert.match(orchestrator.instanceId, /\S/);

  // This process plays the gateway and the worker, on a client of its own.
  const transport = createKafkaTransport({ brokers, clientId: 'thread-test-peer' });
  t.after(() => transport.close());
  const { tasks, events } = await observe(t, transport, names, 2);
  const send = inputs(transport, names);
  const before = await orchestrator.writeStats();
  await send.start('run-1', chain);
  await until(() => tasks.length === 1, 'the first task', 30_000);
  await send.complete('run-1', 'a', { v: 1 });
  await until(() => tasks.length === 2, 'the second task', 30_000);
  await send.complete('run-1', 'b', { v: 2 });
  await until(() => events.some((e) => e.type === 'RunSucceeded'), 'the run to succeed', 30_000);
  assert.deepEqual(
    tasks.map((task) => task.stepId),
    ['a', 'b'],
  );

  // The thread's client wrote the tasks and the events: its counters say so.
  const after = await orchestrator.writeStats();
  assert.ok(after.records - before.records >= tasks.length + events.length, `records written: ${after.records - before.records}, tasks and events seen: ${tasks.length + events.length}`);
  assert.ok(after.requests > before.requests);

  await orchestrator.close();
  closed = true;
  await assert.rejects(orchestrator.writeStats(), /The orchestrator's thread is closed/);
  // Closed: a new run is not started by anyone.
  await send.start('run-2', chain);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(tasks.filter((task) => task.runId === 'run-2').length, 0);
});

test('on Kafka: an orchestrator thread that cannot start says why', { skip: kafkaSkip(), timeout: 120_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  const prefix = randomPrefix('thread-bad');
  const names = topicNames(prefix);
  // A topic provisioned by hand with another partition count: the orchestrator refuses to start.
  const transport = createKafkaTransport({ brokers, clientId: 'thread-test-provision' });
  t.after(() => transport.close());
  await transport.ensureTopics([{ name: names.commands, partitions: 3 }]);
  const start = startOrchestratorThread({ kafka: { brokers, clientId: 'thread-test-bad' }, orchestrator: { topicPrefix: prefix, partitions: 2 }, logLevel: 'silent' });
  await assert.rejects(start, /The orchestrator's thread could not start: ensureTopics: topic \S+\.commands has 3 partitions, expected 2/);
});
