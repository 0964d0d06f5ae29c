/**
 * orch.state as control state on the embedded bus: a run in flight restores from its parts, a
 * run that ends leaves memory at once and can still be retried, and retention tombstones it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { decodeDispatch, decodeEvent, encodeMessage, topicNames } from '@orchestrator-lite/core';
import type { RunEvent, TaskDispatched, WorkflowDefinition } from '@orchestrator-lite/core';
import { ensureKafka, kafkaSkip, randomPrefix } from '@orchestrator-lite/testing';
import { createEmbeddedTransport, createKafkaTransport } from '@orchestrator-lite/transport';
import type { ConsumedRecord, Transport } from '@orchestrator-lite/transport';
import { startOrchestrator } from '../src/index.js';
import type { OrchestratorOptions } from '../src/index.js';

let names = topicNames('s.');

const chain: WorkflowDefinition = {
  name: 'chain',
  steps: [
    { id: 'a', task: 't' },
    { id: 'b', task: 't', dependsOn: ['a'], input: { fromA: '${steps.a.output.v}', blob: '${input.blob}' }, retry: { maxAttempts: 1 } },
  ],
};

async function bus(t: TestContext, options: Partial<OrchestratorOptions> = {}, kind: 'embedded' | 'kafka' = 'embedded') {
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-state-'));
  const transport = kind === 'kafka' ? createKafkaTransport({ brokers: (await ensureKafka()).brokers, clientId: 'state-test' }) : createEmbeddedTransport({ dataDir });
  const prefix = kind === 'kafka' ? randomPrefix('state') : 's.';
  names = topicNames(prefix);
  const tasks: TaskDispatched[] = [];
  const events: RunEvent[] = [];
  const start = () => startOrchestrator({ transport, topicPrefix: prefix, partitions: 2, ...options });
  const first = await start();
  await transport.ensureTopics([{ name: names.tasks('default'), partitions: 2 }]);
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
    await transport.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { transport, tasks, events, first, start };
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const startRun = (transport: Transport, runId: string, definition: WorkflowDefinition, input: unknown) =>
  transport.produce([{ topic: names.commands, key: runId, value: encodeMessage({ v: 1, type: 'StartRun', runId, workflow: definition.name, version: 1, definition, input, at: Date.now() }) }]);
const result = (transport: Transport, runId: string, stepId: string, attempt: number, outcome: { output: unknown } | { error: { type: string; message: string; nonRetryable?: boolean } }) =>
  transport.produce([
    {
      topic: names.results,
      key: runId,
      value: encodeMessage({ v: 1, runId, stepId, attempt, workerId: 'w', at: Date.now(), ...('output' in outcome ? { type: 'TaskCompleted', ...outcome } : { type: 'TaskFailed', ...outcome }) }),
    },
  ]);

async function stateRecords(transport: Transport): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  for (const p of [0, 1]) for await (const batch of transport.readPartition(names.state, p)) out.push(...batch);
  return out;
}

test('a run restored from its parts after a restart dispatches with the outputs and input it kept', async (t) => {
  const { transport, tasks, first, start } = await bus(t);
  await startRun(transport, 'r1', chain, { blob: 'kept' });
  await until(() => tasks.length === 1, 'step a dispatched');
  await first.close();
  const second = await start();
  t.after(() => second.close());
  await result(transport, 'r1', 'a', 1, { output: { v: 7 } });
  await until(() => tasks.length === 2, 'step b dispatched by the second orchestrator');
  assert.deepEqual(tasks[1]?.input, { fromA: 7, blob: 'kept' });
  // The snapshot holds no definition body per run and no step input.
  for (const r of await stateRecords(transport)) {
    if (r.value === null || r.key.startsWith('definition/')) continue;
    assert.doesNotMatch(r.value.toString(), /"steps":\[/, `${r.key} carries a definition body`);
    if (!r.key.endsWith('/input')) assert.doesNotMatch(r.value.toString(), /"blob"/, `${r.key} carries the run input`);
  }
});

async function endedRunScenario(t: TestContext, kind: 'embedded' | 'kafka'): Promise<void> {
  const { transport, tasks, events, first, start } = await bus(t, {}, kind);
  t.after(() => first.close());
  await startRun(transport, 'r2', chain, { blob: 'x' });
  await until(() => tasks.length === 1, 'step a', 60_000);
  await result(transport, 'r2', 'a', 1, { output: { v: 1 } });
  await until(() => tasks.length === 2, 'step b', 60_000);
  await result(transport, 'r2', 'b', 1, { error: { type: 'Boom', message: 'b failed' } });
  await until(() => first.runStatus('r2') === 'FAILED' && first.heldRunCount() === 0, 'the run to fail and be let go once its final header is committed', 60_000);
  assert.equal(first.getRun('r2'), undefined, 'an ended run is not held');
  assert.equal(first.heldRunCount(), 0);
  assert.equal(first.runCount(), 1);
  // A duplicate StartRun of an ended run starts nothing.
  await startRun(transport, 'r2', chain, { blob: 'again' });
  await transport.produce([{ topic: names.commands, key: 'r2', value: encodeMessage({ v: 1, type: 'RetryRun', runId: 'r2', at: Date.now() }) }]);
  await until(() => tasks.length === 3, 'step b retried', 60_000);
  assert.deepEqual(tasks[2]?.input, { fromA: 1, blob: 'x' });
  assert.equal(tasks[2]?.attempt, 2);
  assert.equal(events.filter((e) => e.type === 'RunStarted').length, 1);
  await result(transport, 'r2', 'b', 2, { output: 'ok' });
  await until(() => first.runStatus('r2') === 'SUCCEEDED' && first.heldRunCount() === 0, 'the retried run to succeed', 60_000);
  await first.close();
  // A restart holds no ended run: it reads its final header and keeps a few fields.
  const second = await start();
  t.after(() => second.close());
  await until(() => second.ownedPartitions().length === 2, 'partitions', 60_000);
  assert.equal(second.heldRunCount(), 0);
  assert.equal(second.runStatus('r2'), 'SUCCEEDED');
}

test('an ended run leaves memory at once, and a retry reloads it from orch.state', (t) => endedRunScenario(t, 'embedded'));

test('on Kafka: an ended run leaves memory at once, a retry reloads it, a restart holds none', { skip: kafkaSkip(), timeout: 120_000 }, (t) => endedRunScenario(t, 'kafka'));

test('after the retention an ended run is tombstoned on orch.state and can no longer be retried', async (t) => {
  const { transport, tasks, events, first } = await bus(t, { runRetentionMs: 300 });
  t.after(() => first.close());
  await startRun(transport, 'r3', chain, { blob: 'x' });
  await until(() => tasks.length === 1, 'step a');
  await result(transport, 'r3', 'a', 1, { error: { type: 'Boom', message: 'no', nonRetryable: true } });
  await until(() => events.some((e) => e.type === 'RunFailed'), 'the run to end');
  await until(() => first.runCount() === 0, 'the run to expire', 10_000);
  const latest = new Map<string, Buffer | null>();
  for (const r of await stateRecords(transport)) latest.set(r.key, r.value);
  for (const [key, value] of latest) if (key.startsWith('r3')) assert.equal(value, null, `${key} is not tombstoned`);
  assert.ok(latest.has('r3') && latest.has('r3/input'));
  await transport.produce([{ topic: names.commands, key: 'r3', value: encodeMessage({ v: 1, type: 'RetryRun', runId: 'r3', at: Date.now() }) }]);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(tasks.length, 1, 'an expired run is not retried');
});
