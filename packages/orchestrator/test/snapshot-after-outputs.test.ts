/**
 * On Kafka one write that spans partitions can land on some of them only. When the orchestrator
 * is fenced right after such a write, the next owner must not restore a snapshot that accounts
 * for outputs (a task, an event) that are not on the bus: the snapshot is written only once its
 * outputs are acknowledged. The transport here is the embedded one, presented as non-atomic, with
 * one write of the orchestrator's group that lands on `orch.state` alone and is then fenced.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeDispatch, topicNames } from '@orchestrator-lite/core';
import type { RunEvent, WorkflowDefinition } from '@orchestrator-lite/core';
import { TransportError, TransportErrorReason } from '@orchestrator-lite/transport';
import type { ProduceRecord, Transport } from '@orchestrator-lite/transport';
import { waitFor } from '@orchestrator-lite/testing';
import { startOrchestrator } from '../src/index.js';
import { embeddedBus, inputs, nonAtomic, observe } from './harness.js';

const prefix = 'partial.';
const names = topicNames(prefix);

const definition: WorkflowDefinition = {
  name: 'two',
  steps: [
    { id: 'a', task: 't' },
    { id: 'b', task: 't', dependsOn: ['a'] },
  ],
};

const dispatchesB = (r: ProduceRecord): boolean => r.topic.startsWith(`${prefix}tasks.`) && r.value !== null && decodeDispatch(r.value).stepId === 'b';

/**
 * The embedded bus as a non-atomic one: once armed, the orchestrator's next write that carries a
 * task of step `b` lands only its `orch.state` records, and the member is then fenced.
 */
function partialWrites(inner: Transport): { transport: Transport; arm(): void; fired(): boolean } {
  let armed = false;
  let fired = false;
  const transport = nonAtomic(inner, `${prefix}orchestrator`, async (consumer, offsets, produce) => {
    if (armed && produce.some(dispatchesB)) {
      armed = false;
      await inner.produce(produce.filter((r) => r.topic === names.state));
      fired = true;
      throw new TransportError(TransportErrorReason.Fenced, 'the write landed on orch.state only, then the group moved on', { groupId: consumer.groupId });
    }
    await consumer.commit(offsets, produce);
  });
  return { transport, arm: () => (armed = true), fired: () => fired };
}

void test('a write that lands on orch.state only, then a fence: the next owner still dispatches the step and the history has no hole', { timeout: 60_000 }, async (t) => {
  const inner = embeddedBus(t, { pollIntervalMs: 5 });
  const { transport, arm, fired } = partialWrites(inner);
  const start = async (): Promise<void> => {
    const handle = await startOrchestrator({ transport, topicPrefix: prefix, partitions: 2 });
    t.after(() => handle.close());
  };
  await start();
  const { tasks, events } = await observe(t, inner, names, 2);
  const send = inputs(inner, names);

  const runId = 'run-partial';
  await send.start(runId, definition);
  await waitFor(() => tasks.some((task) => task.stepId === 'a'), { timeoutMs: 10_000, description: 'step a dispatched' });

  arm();
  await send.complete(runId, 'a', { stepId: 'a' });
  await waitFor(() => fired(), { timeoutMs: 10_000, description: 'the partial write and the fence' });
  // The fence stands for a rebalance: a second member joins, and every partition gets a new owner.
  await start();

  await waitFor(() => tasks.some((task) => task.stepId === 'b'), { timeoutMs: 15_000, description: 'step b dispatched by the next owner' });
  await send.complete(runId, 'b', { stepId: 'b' });
  await waitFor(() => events.some((e) => e.type === 'RunSucceeded'), { timeoutMs: 15_000, description: 'the run succeeded' });

  const bySeq = new Map<number, RunEvent>();
  for (const e of events) if (!bySeq.has(e.seq)) bySeq.set(e.seq, e);
  const seqs = [...bySeq.keys()].sort((x, y) => x - y);
  assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), 'seq runs 1..n with no hole');
  assert.deepEqual(
    seqs.map((s) => bySeq.get(s)!.type),
    ['RunStarted', 'StepScheduled', 'StepSucceeded', 'StepScheduled', 'StepSucceeded', 'RunSucceeded'],
  );
});

/**
 * The embedded bus as a non-atomic one whose orchestrator write carrying a task of step `b` waits
 * until released: its outputs are in flight, not yet acknowledged.
 */
function heldWrites(inner: Transport): { transport: Transport; release(): void; holding(): boolean } {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let holding = false;
  const transport = nonAtomic(inner, `${prefix}orchestrator`, async (consumer, offsets, produce) => {
    if (produce.some(dispatchesB)) {
      holding = true;
      await gate;
    }
    await consumer.commit(offsets, produce);
  });
  return { transport, release, holding: () => holding };
}

/** Every state record of the run whose control state says step `b` has begun. */
async function recordsWithB(transport: Transport, runId: string): Promise<string[]> {
  const found: string[] = [];
  for (let partition = 0; partition < 2; partition++) {
    for await (const batch of transport.readPartition(names.state, partition)) {
      for (const r of batch) {
        if (!r.key.startsWith(runId) || r.value === null) continue;
        const text = r.value.toString('utf8');
        if (/"b":\{"status":"(?!PENDING)/.test(text) || (r.key.endsWith('/step/b') && !text.includes('"status":"PENDING"'))) found.push(`${r.key} ${text}`);
      }
    }
  }
  return found;
}

void test('a queued snapshot never holds a change whose outputs are still being written', { timeout: 60_000 }, async (t) => {
  const inner = embeddedBus(t, { pollIntervalMs: 5 });
  const { transport, release, holding } = heldWrites(inner);
  // A wide interval: the run's next snapshot waits, queued, while its next batch is applied.
  const handle = await startOrchestrator({ transport, topicPrefix: prefix, partitions: 2, snapshotIntervalMs: 400 });
  t.after(() => handle.close());
  const { tasks, events } = await observe(t, inner, names, 2);
  const send = inputs(inner, names);

  const runId = 'run-held';
  await send.start(runId, definition);
  await waitFor(() => tasks.some((task) => task.stepId === 'a'), { timeoutMs: 10_000, description: 'step a dispatched' });
  // A change whose outputs land at once (a's start): its snapshot is queued behind the interval.
  await transport.produce([{ topic: names.results, key: runId, value: Buffer.from(JSON.stringify({ v: 1, runId, workerId: 'w', at: Date.now(), type: 'TaskStarted', stepId: 'a', attempt: 1 })) }]);
  await waitFor(() => events.some((e) => e.type === 'StepStarted'), { timeoutMs: 10_000, description: 'step a started' });
  // Then a's end: b is scheduled in memory, and the write of its task is held.
  await send.complete(runId, 'a', { stepId: 'a' });
  await waitFor(() => holding(), { timeoutMs: 10_000, description: 'the write of b\'s task in flight' });
  // The queued snapshot goes out meanwhile: it must stop at a's start.
  await new Promise((resolve) => setTimeout(resolve, 800));
  const early = await recordsWithB(inner, runId);
  release();
  assert.deepEqual(early, [], 'no snapshot says b began while its task is not written');

  await waitFor(() => tasks.some((task) => task.stepId === 'b'), { timeoutMs: 10_000, description: 'step b dispatched' });
  await send.complete(runId, 'b', { stepId: 'b' });
  await waitFor(() => events.some((e) => e.type === 'RunSucceeded'), { timeoutMs: 15_000, description: 'the run succeeded' });
});
