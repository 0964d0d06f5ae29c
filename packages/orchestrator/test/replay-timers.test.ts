/**
 * A new owner applies again the inputs since the last snapshot, in the order the first owner
 * applied them, and arms each timer again from its own clock, later than the first owner did. The
 * firing the first owner recorded must still fire the timer there: ignored as early, the retry
 * waits for the new owner's own firing, the next attempt's start already on the bus is dropped as
 * that of an attempt not yet scheduled, and the run takes another course under the sequence
 * numbers it already used.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topicNames, workflow } from '@orchestrator-lite/core';
import { TransportError, TransportErrorReason } from '@orchestrator-lite/transport';
import { copiesBySeq } from '@orchestrator-lite/testing';
import { startOrchestrator } from '../src/index.js';
import { embeddedBus, inputs, nonAtomic, observe, until } from './harness.js';

const prefix = 'rt.';
const names = topicNames(prefix);

void test('a new owner whose clock is 13 s ahead replays a fired retry where the first owner did, and the next attempt keeps its worker and seq', { timeout: 60_000 }, async (t) => {
  const inner = embeddedBus(t, { pollIntervalMs: 5 });
  // The first owner's writes go through until it is fenced: a write then lands nowhere, as when
  // the group moved on, and its partition's state since the last snapshot is lost with it.
  let fenced = false;
  const transport = nonAtomic(inner, `${prefix}orchestrator`, async (consumer, offsets, produce) => {
    if (fenced) throw new TransportError(TransportErrorReason.Fenced, 'the group moved on', { groupId: consumer.groupId });
    await consumer.commit(offsets, produce);
  });
  // The first snapshot of a partition goes at once, the next only a minute later: the inputs
  // after the run's start are replayed by the next owner.
  const first = await startOrchestrator({ transport, topicPrefix: prefix, partitions: 1, snapshotIntervalMs: 60_000 });
  t.after(() => first.close());
  const { tasks, events } = await observe(t, inner, names, 1);
  const send = inputs(inner, names);
  const runId = 'run-retry';
  const retryDelayMs = 300;
  const def = workflow('retry').step('x', 't', { retry: { maxAttempts: 3, initialIntervalMs: retryDelayMs, backoffCoefficient: 1, jitter: 'none' } }).build();

  await send.start(runId, def);
  await until(() => tasks.some((task) => task.attempt === 1), 'attempt 1 dispatched');
  await send.started(runId, 'x', 1, 'w-one');
  await send.fail(runId, 'x', { type: 'Boom', message: 'attempt 1 fails' }, 1);
  await until(() => tasks.some((task) => task.attempt === 2), 'the retry timer fired and attempt 2 was dispatched');
  await send.started(runId, 'x', 2, 'w-two');
  await until(() => events.some((e) => e.type === 'StepStarted' && e.data.attempt === 2), 'attempt 2 started on w-two');
  const startedSeq = events.find((e) => e.type === 'StepStarted' && e.data.attempt === 2)!.seq;

  fenced = true;
  await send.log(runId, 'x', 2, 'the first owner never writes what this causes');
  await first.close();

  const next = await startOrchestrator({ transport: inner, topicPrefix: prefix, partitions: 1, snapshotIntervalMs: 60_000, clock: () => Date.now() + 13_000 });
  t.after(() => next.close());
  // Attempt 2's start and log are on the bus: the next owner applies them only once the
  // recorded firing has scheduled attempt 2 (else it drops them and dispatches attempt 2 again).
  await until(() => events.some((e) => e.type === 'StepLog'), 'the next owner applied attempt 2’s start and log, after the recorded firing');
  await send.complete(runId, 'x', { done: true }, 2);
  await until(() => events.some((e) => e.type === 'RunSucceeded'), 'the run succeeded');

  const copies = copiesBySeq(events);
  assert.deepEqual(copies.differing, [], 'every copy of a seq is the same event');
  assert.ok(events.filter((e) => e.seq === startedSeq).length >= 2, 'the next owner wrote attempt 2’s start again');
  const startedOn = [...copies.first.values()].flatMap((e) => (e.type === 'StepStarted' ? [e.data.workerId] : []));
  assert.deepEqual(startedOn, ['w-one', 'w-two']);
});
