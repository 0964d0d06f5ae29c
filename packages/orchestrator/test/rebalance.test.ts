/**
 * A rebalance revokes every partition and hands most back: a partition that comes back unchanged
 * resumes as it was, one whose orch.state another member wrote meanwhile is restored.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { topicNames } from '@orchestrator-lite/core';
import type { WorkflowDefinition } from '@orchestrator-lite/core';
import { partitionFor } from '@orchestrator-lite/transport';
import { startOrchestrator } from '../src/index.js';
import { ParkedOwners } from '../src/parked-owners.js';
import { PartitionOwner } from '../src/partition-owner.js';
import { embeddedBus, inputs, observe, until } from './harness.js';

const PREFIX = 'rb.';
const names = topicNames(PREFIX);
const chain: WorkflowDefinition = {
  name: 'chain',
  steps: [
    { id: 'a', task: 't' },
    { id: 'b', task: 't', dependsOn: ['a'] },
  ],
};

/** A logger that keeps the messages of its lines, with their partition. */
function capturingLogger(lines: { msg: string; partition?: number }[]) {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as { msg: string; partition?: number });
      done();
    },
  });
  return pino({ level: 'info' }, stream);
}

/** A run id that hashes to `partition` of 2. */
const runOn = (partition: number, name: string): string => {
  for (let i = 0; ; i++) if (partitionFor(`${name}-${i}`, 2) === partition) return `${name}-${i}`;
};

test('a partition handed back unchanged resumes as it was; one another member wrote meanwhile is restored with that member’s progress', async (t) => {
  const transport = embeddedBus(t, { pollIntervalMs: 10 });
  const lines: { msg: string; partition?: number }[] = [];
  const first = await startOrchestrator({ transport, topicPrefix: PREFIX, partitions: 2, logger: capturingLogger(lines) });
  t.after(() => first.close());
  const { tasks, events } = await observe(t, transport, names, 2);
  const send = inputs(transport, names);
  await until(() => first.ownedPartitions().length === 2, 'the first orchestrator to own both partitions');
  const runs = [runOn(0, 'r'), runOn(1, 'r')];
  for (const runId of runs) await send.start(runId, chain);
  await until(() => tasks.length === 2, 'both first steps dispatched');

  const second = await startOrchestrator({ transport, topicPrefix: PREFIX, partitions: 2 });
  await until(() => first.ownedPartitions().length === 1 && second.ownedPartitions().length === 1, 'the partitions to be shared');
  const kept = first.ownedPartitions()[0]!;
  const moved = 1 - kept;
  assert.ok(
    lines.some((l) => l.partition === kept && l.msg.startsWith('partition assigned again and resumed')),
    'the partition the first member kept resumed without a restore',
  );
  // The second member advances the run of the partition it took: orch.state of that partition grows.
  await send.complete(runs[moved]!, 'a', { v: 1 });
  await until(() => tasks.some((task) => task.runId === runs[moved] && task.stepId === 'b'), 'step b dispatched by the second member');
  await second.close();
  await until(() => first.ownedPartitions().length === 2, 'the first member to own both partitions again');
  const back = lines.filter((l) => l.partition === moved && l.msg.startsWith('partition assigned'));
  assert.equal(back.at(-1)?.msg, 'partition assigned and restored', 'a partition another member wrote is restored, not resumed');
  assert.equal(first.getRun(runs[moved]!)?.steps.a?.status, 'SUCCEEDED', 'with the progress the other member made');

  for (const runId of runs) {
    if (runId === runs[kept]) await send.complete(runId, 'a', { v: 1 });
  }
  await until(() => tasks.filter((task) => task.stepId === 'b').length === 2, 'both second steps dispatched');
  for (const runId of runs) await send.complete(runId, 'b', { v: 2 });
  await until(() => events.filter((e) => e.type === 'RunSucceeded').length === 2, 'both runs to succeed');
});

test('a parked partition resumes only when its orch.state ends where its own writes left it; an unsynced one is never parked', async (t) => {
  const transport = embeddedBus(t);
  await transport.ensureTopics([{ name: names.state, partitions: 2, compacted: true }]);
  const parked = new ParkedOwners(transport, names.state);
  const owners = [new PartitionOwner(0), new PartitionOwner(1)];
  for (const owner of owners) await owner.restore(transport, names.state);
  const write = (partition: number) => transport.produce([{ topic: names.state, key: 'r', value: Buffer.from('{}'), partition }]);
  // Each owner writes a record of its own, and says so.
  for (const owner of owners) {
    await write(owner.partition);
    owner.wroteState(1);
    owner.revoked = true;
  }
  parked.park(owners);
  let resumed = await parked.take([0, 1]);
  assert.deepEqual([...resumed.keys()], [0, 1]);
  assert.equal(resumed.get(0), owners[0]);
  assert.equal(resumed.get(0)?.revoked, false);

  // Someone else wrote to partition 1 (a member that held it while this one had lost its session),
  // even before this owner was revoked.
  await write(1);
  parked.park(owners);
  resumed = await parked.take([0, 1]);
  assert.deepEqual([...resumed.keys()], [0], 'the partition another writer wrote is restored instead');

  owners[0]!.unsynced = true;
  parked.park(owners);
  assert.equal(parked.size, 1, 'memory ahead of the bus is never parked');
  resumed = await parked.take([]);
  assert.equal(resumed.size, 0);
  assert.equal(parked.size, 0, 'what is not taken back is dropped');
});
