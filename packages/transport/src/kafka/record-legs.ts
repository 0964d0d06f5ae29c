import { channel } from 'node:diagnostics_channel';

/**
 * Where a record's time goes on its way from one role to another over Kafka, for tools that
 * subscribe (`bench/legs.mjs`): the transport publishes on this `node:diagnostics_channel` only
 * while something subscribes to it, in the thread that subscribed (each worker thread has channels
 * of its own). Times are wall-clock milliseconds with a fraction (`performance.timeOrigin +
 * performance.now()`), comparable across the threads and processes of one machine.
 *
 * - `produced`: one produce request's records, each with when its `produce` call was made, and
 *   when the request was sent and acknowledged.
 * - `fetched`: records a fetch brought for one group member; `delivered`: records handed to the
 *   member's `onBatch` (after the partition's previous batch settled).
 *
 * A record is named by topic, partition and offset, so a tool joins its produce with its fetches.
 */
export const RECORD_LEGS_CHANNEL = 'orchestrator-lite:kafka:record-legs';

export interface RecordAt {
  topic: string;
  partition: number;
  offset: number;
}

export type RecordLegs =
  | { kind: 'produced'; sentAt: number; acknowledgedAt: number; records: (RecordAt & { queuedAt: number })[] }
  | { kind: 'fetched' | 'delivered'; group: string; at: number; records: RecordAt[] };

const legs = channel(RECORD_LEGS_CHANNEL);

/** Whether a tool listens: the hot path builds nothing to publish otherwise. */
export const tracingLegs = (): boolean => legs.hasSubscribers;

const wall = (monotonic: number): number => performance.timeOrigin + monotonic;

/** One acknowledged produce request: `metadata` holds its records' places in the order of `writes`' records. */
export function publishProduced(writes: readonly { records: unknown[]; queuedAt: number }[], metadata: readonly RecordAt[], sentAt: number, acknowledgedAt: number): void {
  const records: (RecordAt & { queuedAt: number })[] = [];
  let i = 0;
  for (const write of writes) {
    for (let r = 0; r < write.records.length; r++, i++) {
      const m = metadata[i];
      if (m !== undefined) records.push({ topic: m.topic, partition: m.partition, offset: m.offset, queuedAt: wall(write.queuedAt) });
    }
  }
  legs.publish({ kind: 'produced', sentAt: wall(sentAt), acknowledgedAt: wall(acknowledgedAt), records } satisfies RecordLegs);
}

/** Records a fetch brought for a group member, or handed to its `onBatch`. */
export function publishRead(kind: 'fetched' | 'delivered', group: string, records: readonly RecordAt[]): void {
  legs.publish({ kind, group, at: wall(performance.now()), records: records.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset })) } satisfies RecordLegs);
}
