import { encodeMessage, snapshotKeys, snapshotWrites, TERMINAL_RUN_STATUSES, withStateLayout } from '@orchestrator-lite/core';
import type { RunState } from '@orchestrator-lite/core';
import { chunkGroups, TransportError, TransportErrorReason } from '@orchestrator-lite/transport';
import type { Consumer, OffsetCommit, ProduceRecord } from '@orchestrator-lite/transport';
import type { Logger } from 'pino';
import type { DefinitionPool } from './definition-pool.js';
import { gateWrites } from './gates.js';
import { inputSource } from './input-order.js';
import type { PartitionOwner } from './partition-owner.js';
import type { SnapshotBatch } from './snapshot-queue.js';

const COMMIT_RETRY_MS = [50, 100, 250, 500, 1000, 2000];

/** A run a snapshot ends, and whether that snapshot's header is all it has on `orch.state`. */
interface EndedRun {
  state: RunState;
  digest: string;
  headerOnly: boolean;
}

export interface BatchWriterOptions {
  definitions: DefinitionPool;
  commandsTopic: string;
  stateTopic: string;
  log: Logger | undefined;
  /** Whether the orchestrator is closing: a failed write is then not retried. */
  closed: () => boolean;
}

/**
 * Writes what the orchestrator's batches change: each batch's outputs, then, in the background,
 * the snapshots of its runs and gates on `orch.state` with the input offsets they account for.
 */
export class BatchWriter {
  constructor(private readonly options: BatchWriterOptions) {}

  /**
   * Writes a batch's outputs, then the snapshot of what it changed with its input offsets: two
   * writes, the second only once every record of the first is acknowledged. Resolves once the
   * outputs are written: the snapshot goes to the partition's SnapshotQueue, which writes it in
   * the background, after the earlier ones (`writeSnapshot`). The same on both buses.
   *
   * Why two: one write that spans partitions is not atomic on Kafka. The outputs (events, tasks,
   * commands) go to partitions of other topics, often led by other brokers, while the snapshot
   * goes to this owner's partition of `state`. When a broker dies, one write can land on the
   * partitions it does not lead and fail on the others; if this member is then fenced (a group
   * rebalance, which a coordinator moving after the broker's death also causes), the write is
   * dropped, and the next owner restores a snapshot that says, e.g., a task was dispatched or a
   * step succeeded while the task or the event is nowhere on the bus: the run waits forever, or
   * its history has a hole. Written in this order, what a failure leaves behind is at worst some
   * outputs without their snapshot, which the next owner's replay writes again with the same
   * seq and idempotency keys.
   *
   * Why in the background: the next batch's outputs need not wait for this snapshot (a crash
   * before it replays both batches, as above), so a batch costs one round trip on its path, not
   * two; and a run that takes several steps between two snapshots is written once. A run that
   * begins and ends within one interval writes no step record, and so no tombstone for one.
   *
   * Why on the embedded bus too, which could write outputs, snapshot and offsets in one
   * transaction: a snapshot per batch was a third of its records and half its writer's system
   * calls (each step's record, and at the run's end a tombstone for each), and the engine ran
   * faster without it (README, Tests and benchmarks). A kill -9 then replays the inputs since
   * the last snapshot, in the order recorded, as on Kafka.
   */
  async write(owner: PartitionOwner, consumer: Consumer, runIds: ReadonlySet<string>, gateIds: ReadonlySet<string>, offsets: OffsetCommit[], outputs: ProduceRecord[]): Promise<void> {
    // The order of the inputs goes with the outputs they caused: a replay writes them again alike.
    if (outputs.length > 0) {
      const order = owner.appliedOrder.toWrite();
      // An order cut to nothing is a tombstone: the last owner's record no longer says what happened.
      const records = order === undefined ? [] : [this.stateRecord(owner, snapshotKeys.order(owner.partition), order.record ?? null)];
      if (!(await this.writeWithRetry(owner, () => consumer.commit([], [...outputs, ...records])))) return;
      if (order !== undefined) owner.appliedOrder.written(order.version);
    }
    // The states as the outputs just written left them: a later batch's changes wait for its own outputs.
    const batch = statesOf(owner, runIds, gateIds, offsets);
    owner.snapshots.add(batch.runs, batch.gates, batch.offsets);
  }

  /**
   * One snapshot of the queue. A write larger than one request goes out in several and may land in
   * part: it is written in chunks of whole runs, so a run's records land together or not at all,
   * and the input offsets go with the last chunk. False when the partition was lost. A partition
   * handed over in order (revoked, not fenced) still writes what it applied: its next owner then
   * replays nothing.
   */
  async writeSnapshot(owner: PartitionOwner, consumer: Consumer, batch: SnapshotBatch): Promise<boolean> {
    if (owner.fenced) return false;
    const { groups, ended } = this.snapshotGroups(owner, batch);
    const chunks = chunkGroups(groups);
    if (chunks.length === 0 && batch.offsets.length > 0) chunks.push([]);
    for (const [i, chunk] of chunks.entries()) {
      const last = i === chunks.length - 1;
      if (!(await this.writeWithRetry(owner, () => consumer.commit(last ? batch.offsets : [], chunk)))) return false;
    }
    owner.appliedOrder.landed(new Map(batch.offsets.map((offset) => [inputSource(this.options.commandsTopic, offset), offset.offset])));
    retireEnded(owner, ended);
    return true;
  }

  /** A record of `orch.state`, on the owner's partition whatever its key hashes to. */
  stateRecord(owner: PartitionOwner, key: string, value: object | null): ProduceRecord {
    return { topic: this.options.stateTopic, key, value: value === null ? null : encodeMessage(value), partition: owner.partition };
  }

  /**
   * The `orch.state` records that take the runs and gates of `batch` from their last snapshot to
   * the states the batch holds, one group per run (and per gate), which is never split across
   * writes; and the runs among them that have ended.
   */
  private snapshotGroups(owner: PartitionOwner, batch: SnapshotBatch): { groups: ProduceRecord[][]; ended: EndedRun[] } {
    const groups: ProduceRecord[][] = [];
    const ended: EndedRun[] = [];
    for (const [runId, next] of batch.runs) {
      const digest = this.options.definitions.digestOf(next.definition);
      const group: ProduceRecord[] = [];
      if (!owner.digests.has(digest)) {
        owner.digests.add(digest);
        group.push(this.stateRecord(owner, snapshotKeys.definition(digest), { kind: 'definition', digest, definition: next.definition }));
      }
      const previous = owner.written.get(runId);
      const { writes, layout } = snapshotWrites(previous, next, digest);
      for (const write of writes) group.push(this.stateRecord(owner, write.key, write.value));
      const held = withStateLayout(next, layout);
      owner.written.set(runId, held);
      // Until the run changes again, one object is both: a run at rest costs no second copy.
      if (held !== next && owner.runs.get(runId) === next) owner.runs.set(runId, held);
      groups.push(group);
      // A run whose first snapshot is its last may be that snapshot's header alone.
      if (TERMINAL_RUN_STATUSES.has(next.status)) ended.push({ state: held, digest, headerOnly: previous === undefined && writes.length === 1 });
    }
    for (const write of gateWrites(batch.gates)) groups.push([this.stateRecord(owner, write.key, write.value)]);
    return { groups, ended };
  }

  /** A failed write is retried until it lands (true) or the partition moves (false): memory is already ahead. */
  private async writeWithRetry(owner: PartitionOwner, write: () => Promise<void>): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await write();
        return true;
      } catch (error) {
        if (owner.revoked || this.options.closed()) return false;
        if (error instanceof TransportError && error.reason === TransportErrorReason.Fenced) {
          // The group moved on and this partition is being revoked: the outputs were computed
          // from state that may already be stale, so they are dropped, not retried. Memory is
          // ahead of the bus; the revoke discards it and the next owner restores from orch.state.
          owner.revoked = true;
          owner.fenced = true;
          this.options.log?.warn({ partition: owner.partition, reason: error.message }, 'outputs refused: this member was fenced; the partition goes to its next owner');
          return false;
        }
        const delay = COMMIT_RETRY_MS[Math.min(attempt, COMMIT_RETRY_MS.length - 1)]!;
        this.options.log?.warn({ partition: owner.partition, attempt, err: error }, `commit failed; retrying in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

/** The runs and gates a batch changed, in their states now: the batch's last (batches of a partition run one at a time). */
function statesOf(owner: PartitionOwner, runIds: ReadonlySet<string>, gateIds: ReadonlySet<string>, offsets: OffsetCommit[]): SnapshotBatch {
  const runs = new Map<string, RunState>();
  for (const runId of runIds) {
    const state = owner.runs.get(runId);
    if (state !== undefined) runs.set(runId, state);
  }
  return { runs, gates: new Map([...gateIds].map((id) => [id, owner.gates.get(id)])), offsets };
}

/** Ended runs leave memory once their final header is written (unless a retry reopened one meanwhile). */
function retireEnded(owner: PartitionOwner, ended: EndedRun[]): void {
  for (const { state, digest, headerOnly } of ended) {
    if (owner.runs.get(state.runId) !== state) continue;
    owner.retire(state, digest, headerOnly);
    owner.childSpans.runEnded(state.runId);
  }
}
