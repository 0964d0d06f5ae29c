import type { ConsumedRecord, Consumer, ProduceRecord, TopicPartition, Transport } from '@orchestrator-lite/transport';
import type { Logger } from 'pino';
import { PartitionTracker } from './partition-tracker.js';

/** Results waiting for the next flush, with the offsets they finish. */
interface PendingResults {
  offsets: number[];
  produce: ProduceRecord[];
  /** Ends the caller's wait: the results are on the bus (or left to the partition's next owner), or `error` stopped the flush. */
  settle(error?: unknown): void;
}

/** A task partition's key in the queues. */
function partitionKey(tp: TopicPartition): string {
  return `${tp.topic}/${tp.partition}`;
}

interface PartitionEntry {
  tracker: PartitionTracker;
  pending: PendingResults[];
  flushing: Promise<void> | undefined;
}

/**
 * The commit queue of each task partition this worker owns: the records taken and not yet
 * finished (PartitionTracker), and the results waiting to be produced with the commit they allow.
 */
export class ResultCommits {
  readonly #trackers = new Map<string, PartitionEntry>();

  constructor(
    private readonly transport: Transport,
    private readonly log: Logger | undefined,
    /** Whether the worker is closing: results it fails to produce are then left to the next start. */
    private readonly closing: () => boolean,
  ) {}

  /** A record was taken: it holds its partition's commit until it finishes. */
  begin(record: ConsumedRecord): void {
    this.#entryOf(record).tracker.begin(record.offset);
  }

  /**
   * Hands the records a finished task produces to its partition's commit queue; resolves once
   * they are on the bus (or left to the partition's next owner), not once the queue is empty:
   * under load the flush goes on while results arrive, and an attempt held until then (its
   * context, span and closures) outlived the young generation. A record counts as finished only
   * inside the flush that produces its results: were it marked finished earlier, a commit flushed
   * for another record could move the offset past it while its result still waits in the queue,
   * and a crash then would lose that result for good (the task would never be redelivered).
   */
  commit(consumer: Consumer, record: ConsumedRecord, produce: ProduceRecord[], offsets: number[] = [record.offset]): Promise<void> {
    const entry = this.#entryOf(record);
    const landed = new Promise<void>((resolve, reject) => {
      entry.pending.push({ offsets, produce, settle: (error) => (error === undefined ? resolve() : reject(error)) });
    });
    entry.flushing ??= this.#flush(consumer, record.topic, record.partition, entry);
    return landed;
  }

  /** The partitions moved away: their queues are no longer this member's. */
  revoke(tps: TopicPartition[]): void {
    for (const tp of tps) this.#trackers.delete(partitionKey(tp));
  }

  /** Settles once the flushes running now have ended. */
  drain(): Promise<unknown> {
    return Promise.all([...this.#trackers.values()].map((t) => t.flushing));
  }

  #entryOf(record: ConsumedRecord): PartitionEntry {
    const key = partitionKey(record);
    let entry = this.#trackers.get(key);
    if (!entry) {
      entry = { tracker: new PartitionTracker(), pending: [], flushing: undefined };
      this.#trackers.set(key, entry);
    }
    return entry;
  }

  /**
   * Commits of one partition run one at a time (a later offset never lands first), each taking
   * every result queued meanwhile. Never rejects: an error reaches the waits of the results it
   * stopped.
   */
  async #flush(consumer: Consumer, topic: string, partition: number, entry: PartitionEntry): Promise<void> {
    const backoff = { failures: 0 };
    // The flag clears in the same turn as the last look at the queue: cleared any later (a
    // `.finally` runs a microtask after), a result queued in between would find a flush
    // "running" and wait, unsent, for another task of this partition to finish. The first await
    // lets the caller store this flush's promise before anything can clear it.
    try {
      await Promise.resolve();
      while (entry.pending.length > 0) {
        const batch = entry.pending.splice(0);
        let sent: 'done' | 'requeued';
        try {
          sent = await this.#send(consumer, topic, partition, entry, batch, backoff);
        } catch (error) {
          for (const b of [...batch, ...entry.pending.splice(0)]) b.settle(error);
          return;
        }
        if (sent === 'done') for (const b of batch) b.settle();
      }
    } finally {
      entry.flushing = undefined;
    }
  }

  /** One commit with the batch's results; when the bus refuses them while this member owns the partition, they go back to the head of the queue. */
  async #send(consumer: Consumer, topic: string, partition: number, entry: PartitionEntry, batch: PendingResults[], backoff: { failures: number }): Promise<'done' | 'requeued'> {
    const produce = batch.flatMap((b) => b.produce);
    const offsets = batch.flatMap((b) => b.offsets);
    for (const offset of offsets) entry.tracker.end(offset);
    const next = entry.tracker.committable();
    try {
      if (next === undefined) throw new Error('nothing to commit');
      await consumer.commit([{ topic, partition, offset: next }], produce);
      return 'done';
    } catch (error) {
      // The partition moved (or the bus hiccuped): results still go out; the new owner redelivers.
      this.log?.debug({ err: error, partition }, 'commit failed; producing without it');
      if (produce.length === 0) return 'done';
    }
    try {
      await this.transport.produce(produce);
      backoff.failures = 0;
      return 'done';
    } catch (e) {
      // Not on the bus: the records stay unfinished, so no commit passes them. While this
      // member still owns the partition nobody else will run them, so the results are
      // retried (the bus may be restarting); once it moved or the worker closes, the new
      // owner (or the next start) redelivers them from the committed offset.
      for (const offset of offsets) entry.tracker.begin(offset);
      const owned = !this.closing() && this.#trackers.get(partitionKey({ topic, partition })) === entry;
      if (!owned) {
        this.log?.warn({ err: e, partition, offsets }, 'producing task results failed; the tasks will be redelivered');
        return 'done';
      }
      const delay = Math.min(250 * 2 ** backoff.failures++, 5000);
      this.log?.warn({ err: e, partition, offsets, attempt: backoff.failures }, `producing task results failed; retrying in ${delay} ms`);
      entry.pending.unshift({ offsets, produce, settle: (error) => batch.forEach((b) => b.settle(error)) });
      await new Promise((resolve) => setTimeout(resolve, delay));
      return 'requeued';
    }
  }
}
