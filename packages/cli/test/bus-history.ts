import { decodeEvent, decodeSnapshot, topicNames } from '@orchestrator-lite/core';
import type { RunEvent, RunHeader, RunStatus } from '@orchestrator-lite/core';
import { createKafkaTransport } from '@orchestrator-lite/transport';
import type { ConsumedRecord } from '@orchestrator-lite/transport';
import { copiesBySeq } from '@orchestrator-lite/testing';

/**
 * Checks over what the bus itself holds (read outside any consumer group, duplicates included,
 * as a crash between produce and snapshot may leave them), for runs of any outcome: the raw
 * events, the compacted state topic, the dead-letter topic. cluster-history.ts adds the checks
 * of runs that must succeed, on top of these.
 */

/** Every record of every partition of `topic`, in log order per partition. */
export async function readTopic(brokers: string[], topic: string): Promise<ConsumedRecord[]> {
  const transport = createKafkaTransport({ brokers, clientId: 'bus-history-reader' });
  const records: ConsumedRecord[] = [];
  try {
    const partitions = await transport.partitionCount(topic);
    for (let p = 0; p < partitions; p++) {
      for await (const batch of transport.readPartition(topic, p)) records.push(...batch);
    }
  } finally {
    await transport.close();
  }
  return records;
}

/** runId → its event records in log order (one run's events share a partition). */
export async function readEvents(brokers: string[], prefix: string, runIds: Iterable<string>): Promise<Map<string, RunEvent[]>> {
  const wanted = new Set(runIds);
  const events = new Map<string, RunEvent[]>();
  for (const record of await readTopic(brokers, topicNames(prefix).events)) {
    if (!wanted.has(record.key)) continue;
    const event = decodeEvent(record.value);
    const list = events.get(event.runId) ?? [];
    list.push(event);
    events.set(event.runId, list);
  }
  return events;
}

/** runId → every snapshot of the run on the state topic, in log order (compaction is lazy). */
export async function readSnapshots(brokers: string[], prefix: string, runIds: Iterable<string>): Promise<Map<string, RunHeader[]>> {
  const wanted = new Set(runIds);
  const snapshots = new Map<string, RunHeader[]>();
  // A run's header is keyed by its runId; its step, input and output records have longer keys.
  for (const record of await readTopic(brokers, topicNames(prefix).state)) {
    if (!wanted.has(record.key) || record.value === null) continue;
    const header = decodeSnapshot(record.value);
    if (header.kind !== 'run') continue;
    const list = snapshots.get(header.runId) ?? [];
    list.push(header);
    snapshots.set(header.runId, list);
  }
  return snapshots;
}

const TERMINAL_EVENTS: Record<string, RunStatus> = { RunSucceeded: 'SUCCEEDED', RunFailed: 'FAILED', RunCancelled: 'CANCELLED' };
const TERMINAL_STATUSES: readonly string[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export const isTerminal = (status: string): boolean => TERMINAL_STATUSES.includes(status);

export interface HistoryVerdict {
  problems: string[];
  /** The run's status after its last event (seq order). */
  status: RunStatus | undefined;
  /** Copies of a seq beyond the first (re-emitted after a crash or a takeover). */
  duplicates: number;
}

/**
 * The invariants of one run's raw event history, for any outcome:
 * - seq runs 1..n with no gap; every copy of one seq carries the same content;
 * - the status the events describe is monotonic: one terminal event, and nothing after it;
 * - no step succeeded twice (at most one TaskCompleted was counted per step and attempt);
 * - in log order, a seq already superseded never comes back with other content (no regression).
 */
export function checkHistory(runId: string, events: readonly RunEvent[]): HistoryVerdict {
  const { first: bySeq, duplicates, differing } = copiesBySeq(events);
  const problems = differing.map((line) => `${runId}: ${line}`);
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  if (seqs.length === 0 || seqs[0] !== 1 || seqs.at(-1) !== seqs.length) {
    problems.push(`${runId}: seq is not 1..n (${seqs.length} distinct, first ${seqs[0]}, last ${seqs.at(-1)})`);
  }
  let status: RunStatus | undefined;
  const succeeded = new Map<string, number>();
  for (const seq of seqs) {
    const event = bySeq.get(seq)!;
    if (status !== undefined && isTerminal(status) && event.type !== 'RunRetried') {
      problems.push(`${runId}: ${event.type} (seq ${seq}) after the run was ${status}`);
    }
    if (event.type === 'RunStarted' || event.type === 'RunRetried') status = 'RUNNING';
    const terminal = TERMINAL_EVENTS[event.type];
    if (terminal) status = terminal;
    if (event.type === 'StepSucceeded') {
      const n = (succeeded.get(event.data.stepId) ?? 0) + 1;
      succeeded.set(event.data.stepId, n);
      if (n > 1) problems.push(`${runId}: step ${event.data.stepId} succeeded ${n} times (attempt ${event.data.attempt})`);
    }
  }
  if (bySeq.get(1)?.type !== 'RunStarted') problems.push(`${runId}: seq 1 is ${bySeq.get(1)?.type ?? 'missing'}, not RunStarted`);
  return { problems, status, duplicates };
}

/**
 * The snapshot a restore would pick (the highest stateVersion) must be unambiguous: every copy
 * written with that version describes the same status.
 */
export function winningSnapshot(runId: string, snapshots: readonly RunHeader[]): { state: RunHeader | undefined; problems: string[] } {
  let best: RunHeader | undefined;
  for (const s of snapshots) if (!best || (s.stateVersion ?? 0) > (best.stateVersion ?? 0)) best = s;
  if (!best) return { state: undefined, problems: [`${runId}: no snapshot on the state topic`] };
  const rivals = snapshots.filter((s) => (s.stateVersion ?? 0) === (best.stateVersion ?? 0) && (s.status !== best.status || s.lastSeq !== best.lastSeq));
  const problems = rivals.map((r) => `${runId}: two snapshots with stateVersion ${best.stateVersion}: ${best.status}@${best.lastSeq} and ${r.status}@${r.lastSeq}`);
  return { state: best, problems };
}
