/**
 * orch.state as control state on the embedded bus: a run in flight restores from its parts, a
 * run that ends leaves memory at once and can still be retried, and retention tombstones it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { decodeSnapshot, encodeMessage, parseRef, reduceRun, snapshotKeys, snapshotWrites, topicNames } from '@orchestrator-lite/core';
import type { ClaimCheck, RunState, WorkflowDefinition } from '@orchestrator-lite/core';
import { ensureKafka, kafkaSkip, randomPrefix } from '@orchestrator-lite/testing';
import { createKafkaTransport, partitionFor, PayloadStore } from '@orchestrator-lite/transport';
import type { ConsumedRecord, Transport } from '@orchestrator-lite/transport';
import { startOrchestrator } from '../src/index.js';
import { DefinitionPool } from '../src/definition-pool.js';
import { readPartitionState } from '../src/state-reader.js';
import type { OrchestratorOptions } from '../src/index.js';
import { embeddedBus, inputs, observe, until } from './harness.js';

let names = topicNames('s.');

const chain: WorkflowDefinition = {
  name: 'chain',
  steps: [
    { id: 'a', task: 't' },
    { id: 'b', task: 't', dependsOn: ['a'], input: { fromA: '${steps.a.output.v}', blob: '${input.blob}' }, retry: { maxAttempts: 1 } },
  ],
};

async function bus(t: TestContext, options: Partial<OrchestratorOptions> = {}, kind: 'embedded' | 'kafka' = 'embedded') {
  const prefix = kind === 'kafka' ? randomPrefix('state') : 's.';
  names = topicNames(prefix);
  const transport = kind === 'kafka' ? createKafkaTransport({ brokers: (await ensureKafka()).brokers, clientId: 'state-test' }) : embeddedBus(t);
  if (kind === 'kafka') t.after(() => transport.close());
  const start = () => startOrchestrator({ transport, topicPrefix: prefix, partitions: 2, ...options });
  const first = await start();
  const { tasks, events } = await observe(t, transport, names, 2);
  return { transport, tasks, events, first, start, send: inputs(transport, names) };
}

async function stateRecords(transport: Transport, partitions = 2): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  for (let p = 0; p < partitions; p++) for await (const batch of transport.readPartition(names.state, p)) out.push(...batch);
  return out;
}

test('a run restored from its parts after a restart dispatches with the outputs and input it kept', async (t) => {
  const { transport, tasks, first, start, send } = await bus(t);
  await send.start('r1', chain, { blob: 'kept' });
  await until(() => tasks.length === 1, 'step a dispatched');
  await first.close();
  const second = await start();
  t.after(() => second.close());
  await send.complete('r1', 'a', { v: 7 }, 1);
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
  const { transport, tasks, events, first, start, send } = await bus(t, {}, kind);
  t.after(() => first.close());
  await send.start('r2', chain, { blob: 'x' });
  await until(() => tasks.length === 1, 'step a', 60_000);
  await send.complete('r2', 'a', { v: 1 }, 1);
  await until(() => tasks.length === 2, 'step b', 60_000);
  await send.fail('r2', 'b', { type: 'Boom', message: 'b failed' }, 1);
  await until(() => first.runStatus('r2') === 'FAILED' && first.heldRunCount() === 0, 'the run to fail and be let go once its final header is committed', 60_000);
  assert.equal(first.getRun('r2'), undefined, 'an ended run is not held');
  assert.equal(first.heldRunCount(), 0);
  assert.equal(first.runCount(), 1);
  // A duplicate StartRun of an ended run starts nothing.
  await send.start('r2', chain, { blob: 'again' });
  await transport.produce([{ topic: names.commands, key: 'r2', value: encodeMessage({ v: 1, type: 'RetryRun', runId: 'r2', at: Date.now() }) }]);
  await until(() => tasks.length === 3, 'step b retried', 60_000);
  assert.deepEqual(tasks[2]?.input, { fromA: 1, blob: 'x' });
  assert.equal(tasks[2]?.attempt, 2);
  assert.equal(events.filter((e) => e.type === 'RunStarted').length, 1);
  await send.complete('r2', 'b', 'ok', 2);
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
  const { transport, tasks, events, first, send } = await bus(t, { runRetentionMs: 300 });
  t.after(() => first.close());
  await send.start('r3', chain, { blob: 'x' });
  await until(() => tasks.length === 1, 'step a');
  await send.fail('r3', 'a', { type: 'Boom', message: 'no', nonRetryable: true }, 1);
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

async function expiringPayloadsScenario(t: TestContext, kind: 'embedded' | 'kafka'): Promise<void> {
  const { transport, tasks, events, first, send } = await bus(t, { runRetentionMs: 300 }, kind);
  t.after(() => first.close());
  const store = new PayloadStore(transport, { topic: names.payloads, inlineBytes: 64 });
  const own = (await store.claim({ text: 'i'.repeat(200) }, 'r4')) as ClaimCheck;
  const carried = (await store.claim({ text: 'c'.repeat(200) }, 'another-run')) as ClaimCheck;
  await send.start('r4', chain, { blob: own, carried });
  await until(() => tasks.length === 1, 'step a', 60_000);
  const output = (await store.claim({ v: 3, pad: 'o'.repeat(200) }, 'r4')) as ClaimCheck;
  await send.complete('r4', 'a', output, 1);
  await until(() => tasks.length === 2, 'step b', 60_000);
  assert.deepEqual(tasks[1]?.input, { fromA: 3, blob: own }, 'the run read its payloads while it ran');
  await send.fail('r4', 'b', { type: 'Boom', message: 'no', nonRetryable: true }, 1);
  await until(() => events.some((e) => e.type === 'RunFailed'), 'the run to end', 60_000);
  await until(() => first.runCount() === 0, 'the run to expire', 60_000);

  const latest = new Map<string, Buffer | null>();
  for (const p of [0, 1]) for await (const batch of transport.readPartition(names.payloads, p)) for (const r of batch) latest.set(r.key, r.value);
  const chunks = (claim: ClaimCheck) => [...latest].filter(([key]) => key.startsWith(`${parseRef(claim.$payload.ref)!.id}/`));
  for (const claim of [own, output]) {
    assert.ok(chunks(claim).length > 0 && chunks(claim).every(([, value]) => value === null), `the payload ${claim.$payload.ref} the run owned is tombstoned`);
  }
  assert.ok(chunks(carried).length > 0 && chunks(carried).every(([, value]) => value !== null), 'a payload the run only carried is kept');
}

test('after the retention the payloads an ended run owns are tombstoned with it, and one it only carried is kept', (t) => expiringPayloadsScenario(t, 'embedded'));

test('on Kafka: the payloads an expired run owns are tombstoned with it', { skip: kafkaSkip(), timeout: 120_000 }, (t) => expiringPayloadsScenario(t, 'kafka'));

test('a run that begins and ends between two snapshots is its header alone, and expires with that tombstone and its payloads', async (t) => {
  const { transport, tasks, events, first, send } = await bus(t, { runRetentionMs: 300, snapshotIntervalMs: 3000 });
  t.after(() => first.close());
  const store = new PayloadStore(transport, { topic: names.payloads, inlineBytes: 64 });
  // The first snapshot of r8's partition, r0's, is written at once; the next waits out the
  // interval, while r8 runs and ends.
  const r0 = Array.from({ length: 16 }, (_, i) => `r0-${i}`).find((id) => partitionFor(id, 2) === partitionFor('r8', 2))!;
  await send.start(r0, chain, { blob: 'x' });
  await until(() => tasks.length === 1, 'step a of r0');
  const own = (await store.claim({ text: 'i'.repeat(200) }, 'r8')) as ClaimCheck;
  await send.start('r8', chain, { blob: own });
  await until(() => tasks.length === 2, 'step a of r8');
  await send.fail('r8', 'a', { type: 'Boom', message: 'no', nonRetryable: true }, 1);
  await until(() => events.some((e) => e.type === 'RunFailed' && e.runId === 'r8'), 'r8 to end');
  await until(() => first.runStatus('r8') === undefined, 'r8 to expire', 15_000);
  const written = (await stateRecords(transport)).filter((r) => r.key === 'r8' || r.key.startsWith('r8/'));
  assert.deepEqual([...new Set(written.map((r) => r.key))], ['r8'], 'r8 had no record but its header');
  assert.equal(written.at(-1)?.value, null, 'its header is tombstoned');
  const chunks: ConsumedRecord[] = [];
  for (const p of [0, 1]) for await (const batch of transport.readPartition(names.payloads, p)) chunks.push(...batch.filter((r) => r.key.startsWith(`${parseRef(own.$payload.ref)!.id}/`)));
  // Its input, and so the claim-check, was in its header alone.
  assert.ok(chunks.length > 0 && chunks.at(-1)?.value === null, 'the payload its header held is tombstoned');
});

test('a restore tells a retained run that is its header alone from one with records of its own, and finds the claim-checks its header holds', async (t) => {
  const transport = embeddedBus(t);
  const topic = 'restore.state';
  await transport.ensureTopics([{ name: topic, partitions: 1, compacted: true }]);
  const one: WorkflowDefinition = { name: 'one', steps: [{ id: 'a', task: 't' }] };
  const at = Date.now();
  const started = (runId: string, input: unknown) => reduceRun(undefined, { v: 1, type: 'StartRun', runId, workflow: 'one', version: 1, definition: one, input, at }, { now: at, random: () => 0.5 }).state!;
  const ended = (state: RunState) => reduceRun(state, { v: 1, type: 'TaskCompleted', runId: state.runId, stepId: 'a', attempt: 1, workerId: 'w', at, output: { ok: true } }, { now: at, random: () => 0.5 }).state!;
  const claim: ClaimCheck = { $payload: { ref: 'payload:p1', bytes: 300, sha256: 'x'.repeat(64) } };
  const alone = started('alone', { blob: claim });
  const spread = started('spread', { small: 1 });
  const writes = [
    ...snapshotWrites(undefined, ended(alone), 'd').writes,
    ...snapshotWrites(undefined, spread, 'd').writes,
    ...snapshotWrites(spread, ended(spread), 'd').writes,
  ];
  await transport.produce(writes.map((w) => ({ topic, key: w.key, value: w.value === null ? null : encodeMessage(w.value), partition: 0 })));
  const { finished } = await readPartitionState(transport, topic, 0, new DefinitionPool());
  assert.deepEqual(finished.get('alone'), { status: 'SUCCEEDED', at, digest: 'd', payloads: true, headerOnly: true });
  assert.deepEqual(finished.get('spread'), { status: 'SUCCEEDED', at, digest: 'd', payloads: false, headerOnly: false });
});

const SPREAD_STEPS = 6;
const spread: WorkflowDefinition = {
  name: 'spread',
  steps: Array.from({ length: SPREAD_STEPS }, (_, i) => ({ id: `s${i + 1}`, task: 't', ...(i > 0 ? { dependsOn: [`s${i}`] } : {}) })),
};

test('on Kafka: by default a run that takes several steps within a second is written about once a second, not once a step', { skip: kafkaSkip(), timeout: 120_000 }, async (t) => {
  const { transport, tasks, first, send } = await bus(t, {}, 'kafka');
  t.after(() => first.close());
  const began = Date.now();
  await send.start('r5', spread);
  for (let i = 1; i <= SPREAD_STEPS; i++) {
    await until(() => tasks.length === i, `step s${i} dispatched`, 60_000);
    // Each step ends after the snapshot of the last would have landed, were snapshots written at once.
    await new Promise((resolve) => setTimeout(resolve, 60));
    await send.complete('r5', `s${i}`, { i }, 1);
  }
  await until(() => first.runStatus('r5') === 'SUCCEEDED' && first.heldRunCount() === 0, 'the run to end and its final header to land', 60_000);
  const elapsed = Date.now() - began;
  // A write of a run in flight holds one step record of it (a run that ends writes its header instead),
  // and writes start at least a second apart: one at the start, then one per second begun.
  const stepRecords = (await stateRecords(transport)).filter((r) => r.key.startsWith('r5/step/') && r.value !== null).length;
  assert.ok(stepRecords >= 1, 'the run was written while in flight');
  assert.ok(stepRecords <= 1 + Math.floor(elapsed / 1000), `${stepRecords} step records in ${elapsed} ms for ${SPREAD_STEPS + 1} transitions`);
});

test('on Kafka: a new owner applies again what the last one applied after its last snapshot, in the same order, and writes the same events', { skip: kafkaSkip(), timeout: 120_000 }, async (t) => {
  const prefix = randomPrefix('order');
  names = topicNames(prefix);
  const { brokers } = await ensureKafka();
  const crashing = createKafkaTransport({ brokers, clientId: 'order-first' });
  const transport = createKafkaTransport({ brokers, clientId: 'order-second' });
  t.after(() => Promise.all([crashing.close(), transport.close()]));
  // Only the first batch's snapshot lands before the first owner goes.
  const options = { topicPrefix: prefix, partitions: 1, snapshotIntervalMs: 60_000 };
  await startOrchestrator({ transport: crashing, ...options });
  const { tasks, events } = await observe(t, transport, names, 1);
  const send = inputs(transport, names);
  await send.start('r6', chain, { blob: 'x' });
  await until(() => tasks.length === 1, 'step a of r6', 60_000);
  await send.start('r7', chain, { blob: 'y' });
  await until(() => tasks.length === 2, 'step a of r7', 60_000);
  await send.complete('r6', 'a', { v: 1 }, 1);
  await until(() => tasks.length === 3, 'step b of r6', 60_000);
  const order = (await stateRecords(transport, 1)).filter((r) => r.key === snapshotKeys.order(0) && r.value !== null).at(-1);
  assert.ok(order, 'the outputs carried the order of the inputs');
  assert.deepEqual(decodeSnapshot(order.value), { kind: 'order', first: 'commands/0', gaps: [2, 1] });
  const firstTime = events.length;
  // The first owner stops as a crash would: its bus goes, its queued snapshot is never written.
  await crashing.close();
  const second = await startOrchestrator({ transport, ...options });
  t.after(() => second.close());
  // Written again: r7's start (RunStarted, StepScheduled a) and r6's step a (StepSucceeded, StepScheduled b).
  await until(() => events.length >= firstTime + 4, 'the events since the snapshot written again', 60_000);
  await send.complete('r6', 'b', 'ok', 1);
  await send.complete('r7', 'a', { v: 2 }, 1);
  await until(() => second.runStatus('r6') === 'SUCCEEDED' && second.getRun('r7')?.steps.b?.status === 'SCHEDULED', 'both runs to go on', 60_000);
  // Every copy of a sequence number carries the same event.
  const bySeq = new Map<string, string>();
  for (const e of events) {
    const content = `${e.type} ${'stepId' in e.data ? e.data.stepId : ''}`;
    const first = bySeq.get(`${e.runId}#${e.seq}`) ?? content;
    assert.equal(content, first, `${e.runId} seq ${e.seq}`);
    bySeq.set(`${e.runId}#${e.seq}`, first);
  }
});
