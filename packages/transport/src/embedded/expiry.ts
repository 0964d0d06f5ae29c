import type Database from 'better-sqlite3';
import { decodeBatch, encodeBatch } from './record-batch.js';
import type { ConsumedRecord } from '../types.js';

interface BatchSpan {
  base_offset: number;
  last_offset: number;
  timestamp: number;
}

/**
 * Time-based retention of the topics that are not compacted, as Kafka's `retention.ms` does for
 * them: a batch of records written before the cutoff goes, each partition's oldest first, a slice
 * at a time (with compaction's slices, on its thread). A partition's last record stays whatever
 * its age, as compaction keeps it: it fixes the partition's end offset after a restart, so offsets
 * are never reused (the old batch that holds it is cut down to it). A consumer whose position was
 * removed reads on from the oldest record left, as a Kafka consumer with
 * `auto.offset.reset=earliest` does.
 *
 * Batches are written in offset order with the time of their group commit, so the expired
 * batches of a partition are a prefix of it: a slice reads a partition from its oldest batch and
 * stops at the first one that is young enough. Its cost follows what it removes, never the size
 * of the log.
 */
export class Expiry {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      oldest: db.prepare<[string, number, number], BatchSpan>(
        'SELECT base_offset, last_offset, timestamp FROM batches WHERE topic = ? AND "partition" = ? ORDER BY last_offset LIMIT ?',
      ),
      dropUpTo: db.prepare<[string, number, number]>('DELETE FROM batches WHERE topic = ? AND "partition" = ? AND last_offset <= ?'),
      data: db.prepare<[string, number, number], { data: Buffer }>('SELECT data FROM batches WHERE topic = ? AND "partition" = ? AND last_offset = ?'),
      cut: db.prepare<[number, Buffer, string, number, number]>('UPDATE batches SET base_offset = ?, data = ? WHERE topic = ? AND "partition" = ? AND last_offset = ?'),
    };
  }

  /**
   * Removes the batches written before `before` (ms since the epoch) from `partitions`, up to
   * about `limit` records (whole batches), in the caller's transaction. Returns how many records
   * went and whether expired records may remain.
   */
  slice(
    limit: number,
    before: number,
    partitions: readonly { topic: string; partition: number }[],
    endOffset: (topic: string, partition: number) => number,
  ): { removed: number; more: boolean } {
    let removed = 0;
    for (const { topic, partition } of partitions) {
      const budget = limit - removed;
      if (budget <= 0) return { removed, more: true };
      // Most partitions have nothing due: one row tells.
      const first = this.stmts.oldest.get(topic, partition, 1);
      if (first === undefined || first.timestamp >= before) continue;
      removed += this.expirePartition(topic, partition, budget, before, endOffset(topic, partition) - 1);
    }
    return { removed, more: removed >= limit };
  }

  /** The expired batches of one partition, oldest first, until `budget` records went; returns how many did. */
  private expirePartition(topic: string, partition: number, budget: number, before: number, last: number): number {
    let upTo = -1;
    let removed = 0;
    for (const batch of this.stmts.oldest.all(topic, partition, budget)) {
      if (batch.timestamp >= before) break;
      if (batch.last_offset >= last) {
        removed += this.cutToLast(topic, partition, batch);
        break;
      }
      upTo = batch.last_offset;
      removed += batch.last_offset - batch.base_offset + 1;
      if (removed >= budget) break;
    }
    if (upTo >= 0) this.stmts.dropUpTo.run(topic, partition, upTo);
    return removed;
  }

  /** Cuts the partition's last batch down to its last record; returns how many records went. */
  private cutToLast(topic: string, partition: number, batch: BatchSpan): number {
    if (batch.base_offset === batch.last_offset) return 0;
    const row = this.stmts.data.get(topic, partition, batch.last_offset);
    if (row === undefined) return 0;
    const kept: ConsumedRecord[] = [];
    const span = { topic, partition, baseOffset: batch.base_offset, timestamp: batch.timestamp };
    decodeBatch(row.data, span, { from: batch.last_offset, to: batch.last_offset + 1, maxRecords: 1, maxBytes: Infinity }, kept);
    this.stmts.cut.run(batch.last_offset, encodeBatch(kept), topic, partition, batch.last_offset);
    return batch.last_offset - batch.base_offset;
  }
}
