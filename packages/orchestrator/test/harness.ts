/**
 * What the orchestrator tests share: a bus of their own, a listener that records what the
 * orchestrator writes (tasks of the default queue, events, dead letters), the inputs a test
 * sends as a gateway or a worker would, and a bounded wait.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { decodeDispatch, decodeEvent, encodeMessage } from '@orchestrator-lite/core';
import type { ErrorInfo, RunEvent, TaskDispatched, TopicNames, WorkflowDefinition } from '@orchestrator-lite/core';
import { waitFor } from '@orchestrator-lite/testing';
import { createEmbeddedTransport } from '@orchestrator-lite/transport';
import type { ConsumedRecord, Consumer, EmbeddedTransportOptions, OffsetCommit, ProduceRecord, Transport } from '@orchestrator-lite/transport';

/** An embedded bus in a temporary directory, closed and removed after the test. */
export function embeddedBus(t: TestContext, options: Partial<EmbeddedTransportOptions> = {}): Transport {
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-test-'));
  const transport = createEmbeddedTransport({ dataDir, ...options });
  t.after(async () => {
    await transport.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return transport;
}

/**
 * The embedded bus presented as a non-atomic one (as Kafka is), whose consumers of `groupId` (the
 * orchestrator's) commit through `commit`, given the consumer's own commit to call.
 */
export function nonAtomic(inner: Transport, groupId: string, commit: (consumer: Consumer, offsets: OffsetCommit[], produce: ProduceRecord[]) => Promise<void>): Transport {
  const wrap = (consumer: Consumer): Consumer => ({
    groupId: consumer.groupId,
    assignments: () => consumer.assignments(),
    close: () => consumer.close(),
    commit: (offsets, produce = []) => commit(consumer, offsets, produce),
  });
  return {
    kind: inner.kind,
    atomicCommit: false,
    ensureTopics: (specs) => inner.ensureTopics(specs),
    partitionCount: (topic) => inner.partitionCount(topic),
    produce: (records) => inner.produce(records),
    subscribe: async (options) => {
      const consumer = await inner.subscribe(options);
      return options.groupId === groupId ? wrap(consumer) : consumer;
    },
    readPartition: (topic, partition, options) => inner.readPartition(topic, partition, options),
    endOffsets: (topic) => inner.endOffsets(topic),
    committedOffsets: (group, topic) => inner.committedOffsets(group, topic),
    writeStats: () => inner.writeStats(),
    close: () => inner.close(),
  };
}

export interface Observed {
  tasks: TaskDispatched[];
  events: RunEvent[];
  dlq: ConsumedRecord[];
}

/** Records the tasks of the default queue, the events and the dead letters written on `names`. */
export async function observe(t: TestContext, transport: Transport, names: TopicNames, partitions: number): Promise<Observed> {
  await transport.ensureTopics([
    { name: names.tasks('default'), partitions },
    { name: names.dlq, partitions: 1 },
  ]);
  const seen: Observed = { tasks: [], events: [], dlq: [] };
  const listener = await transport.subscribe({
    groupId: 'listener',
    topics: [names.tasks('default'), names.events, names.dlq],
    onBatch: async (records) => {
      for (const r of records) {
        if (r.topic === names.dlq) seen.dlq.push(r);
        else if (r.topic === names.events) seen.events.push(decodeEvent(r.value));
        else seen.tasks.push(decodeDispatch(r.value));
      }
    },
  });
  t.after(() => listener.close());
  return seen;
}

/** The inputs a test sends: commands as a gateway would, results as a worker would. */
export function inputs(transport: Transport, names: TopicNames) {
  const command = (runId: string, body: Record<string, unknown>) => transport.produce([{ topic: names.commands, key: runId, value: encodeMessage({ v: 1, runId, at: Date.now(), ...body }) }]);
  const result = (runId: string, body: Record<string, unknown>) => transport.produce([{ topic: names.results, key: runId, value: encodeMessage({ v: 1, runId, workerId: 'w', at: Date.now(), ...body }) }]);
  return {
    start: (runId: string, definition: WorkflowDefinition, input: unknown = {}) => command(runId, { type: 'StartRun', workflow: definition.name, version: 1, definition, input }),
    cancel: (runId: string, reason?: string) => command(runId, { type: 'CancelRun', ...(reason === undefined ? {} : { reason }) }),
    complete: (runId: string, stepId: string, output: unknown = {}, attempt = 1) => result(runId, { type: 'TaskCompleted', stepId, attempt, output }),
    fail: (runId: string, stepId: string, error: ErrorInfo, attempt = 1) => result(runId, { type: 'TaskFailed', stepId, attempt, error }),
    started: (runId: string, stepId: string, attempt: number, workerId: string) => result(runId, { type: 'TaskStarted', stepId, attempt, workerId }),
    log: (runId: string, stepId: string, attempt: number, message: string) => result(runId, { type: 'TaskLog', stepId, attempt, level: 'info', message }),
  };
}

/** Waits until `check` holds, for at most `ms`, looking every 10 ms. */
export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  await waitFor(check, { timeoutMs: ms, intervalMs: 10, description: what });
}
