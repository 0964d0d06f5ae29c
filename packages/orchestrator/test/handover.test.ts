/**
 * A partition handed over in order (an orchestrator closed, a rebalance) writes the snapshots it
 * still holds before it lets go: its next owner replays nothing, so nothing is written twice.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topicNames, workflow } from '@orchestrator-lite/core';
import { startOrchestrator } from '../src/index.js';
import type { OrchestratorHandle } from '../src/index.js';
import { embeddedBus, inputs, observe, until } from './harness.js';

const prefix = 'h.';
const names = topicNames(prefix);

test('an orchestrator closed in order writes its last snapshots: the next one replays nothing, and no event or task is written twice', async (t) => {
  const transport = embeddedBus(t);
  // The first snapshot of a partition goes at once, the next only a minute later: what the runs
  // do after their start reaches orch.state only through the close.
  const start = () => startOrchestrator({ transport, topicPrefix: prefix, partitions: 2, snapshotIntervalMs: 60_000 });
  let orchestrator: OrchestratorHandle = await start();
  t.after(() => orchestrator.close());
  const { tasks, events } = await observe(t, transport, names, 2);
  const send = inputs(transport, names);
  const def = workflow('handover').step('a', 't').step('b', 't', { dependsOn: ['a'] }).build();
  for (const runId of ['h1', 'h2', 'h3']) await send.start(runId, def);
  await until(() => tasks.filter((task) => task.stepId === 'a').length === 3, 'every run dispatches a');
  await send.complete('h1', 'a');
  await send.complete('h2', 'a');
  await until(() => tasks.filter((task) => task.stepId === 'b').length === 2, 'h1 and h2 dispatch b');

  await orchestrator.close();
  // Every input applied is in a snapshot: the committed offsets are at the end of both input topics.
  for (const topic of [names.commands, names.results]) {
    assert.deepEqual(await transport.committedOffsets(`${prefix}orchestrator`, topic), await transport.endOffsets(topic), `${topic} committed to its end`);
  }

  orchestrator = await start();
  for (const runId of ['h1', 'h2']) await send.complete(runId, 'b');
  await send.complete('h3', 'a');
  await until(() => tasks.some((task) => task.runId === 'h3' && task.stepId === 'b'), 'h3 dispatches b');
  await send.complete('h3', 'b');
  await until(() => events.filter((e) => e.type === 'RunSucceeded').length === 3, 'the three runs succeed');
  const seqs = events.map((e) => `${e.runId}#${e.seq}`);
  assert.equal(new Set(seqs).size, seqs.length, `an event written twice: ${seqs.join(' ')}`);
  const keys = tasks.map((task) => task.idempotencyKey);
  assert.equal(new Set(keys).size, keys.length, `a task dispatched twice: ${keys.join(' ')}`);
});
