/**
 * A run watcher on Kafka: it joins the events topic of its own group at the end of every
 * partition, tells the ends written after it opened, and not those written before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topicNames } from '@orchestrator-lite/core';
import type { WorkflowDefinition } from '@orchestrator-lite/core';
import { ensureKafka, kafkaSkip, randomPrefix } from '@orchestrator-lite/testing';
import { createKafkaTransport } from '@orchestrator-lite/transport';
import { RunWatcher, startOrchestrator } from '../src/index.js';
import { inputs, observe, until } from './harness.js';

const one: WorkflowDefinition = { name: 'one', steps: [{ id: 'a', task: 't' }] };

test('on Kafka: a run watcher tells the ends written after it opened, and not those before', { skip: kafkaSkip(), timeout: 120_000 }, async (t) => {
  const { brokers } = await ensureKafka();
  const prefix = randomPrefix('watch');
  const names = topicNames(prefix);
  const transport = createKafkaTransport({ brokers, clientId: 'watcher-test' });
  t.after(() => transport.close());
  const orchestrator = await startOrchestrator({ transport, topicPrefix: prefix, partitions: 3 });
  t.after(() => orchestrator.close());
  const { tasks, events } = await observe(t, transport, names, 3);
  const send = inputs(transport, names);

  await send.start('early', one);
  await until(() => tasks.length === 1, 'the early run’s task', 30_000);
  await send.complete('early', 'a', { n: 0 });
  await until(() => events.some((e) => e.runId === 'early' && e.type === 'RunSucceeded'), 'the early run’s end', 30_000);

  const watcher = await RunWatcher.open({ transport, topicPrefix: prefix });
  t.after(() => watcher.close());
  const runs = ['r1', 'r2', 'r3', 'r4'];
  for (const runId of runs) await send.start(runId, one);
  await until(() => tasks.length === 1 + runs.length, 'the runs’ tasks', 30_000);
  for (const [i, runId] of runs.entries()) await send.complete(runId, 'a', { n: i + 1 });
  const ends = await Promise.all(runs.map((runId) => watcher.ended(runId, { signal: AbortSignal.timeout(30_000) })));
  assert.deepEqual(
    ends.map((end) => [end.runId, end.status === 'SUCCEEDED' && end.output]),
    runs.map((runId, i) => [runId, { a: { n: i + 1 } }]),
  );
  await assert.rejects(watcher.ended('early', { signal: AbortSignal.timeout(300) }), (error: Error) => error.name === 'TimeoutError');
});
