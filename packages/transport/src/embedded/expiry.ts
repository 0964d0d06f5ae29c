import type Database from 'better-sqlite3';

/**
 * Time-based retention of the topics that are not compacted, as Kafka's `retention.ms` does for
 * them: a record written before the cutoff goes, each partition's oldest first, a slice at a time
 * (with compaction's slices, on its thread). A partition's last record stays whatever its age, as
 * compaction keeps it: it fixes the partition's end offset after a restart, so offsets are never
 * reused. A consumer whose position was removed reads on from the oldest record left, as a Kafka
 * consumer with `auto.offset.reset=earliest` does.
 *
 * Records are written in offset order with the time of their group commit, so the expired records
 * of a partition are a prefix of it: a slice reads a partition from its oldest record and stops at
 * the first one that is young enough. Its cost follows what it removes, never the size of the log.
 */
export class Expiry {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      oldest: db.prepare<[string, number, number], { offset: number; timestamp: number }>(
        'SELECT "offset", timestamp FROM records WHERE topic = ? AND "partition" = ? ORDER BY "offset" LIMIT ?',
      ),
      dropUpTo: db.prepare<[string, number, number]>('DELETE FROM records WHERE topic = ? AND "partition" = ? AND "offset" <= ?'),
    };
  }

  /**
   * Removes up to `limit` records written before `before` (ms since the epoch) from `partitions`,
   * in the caller's transaction. Returns how many went and whether expired records may remain.
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
      const last = endOffset(topic, partition) - 1;
      let upTo = -1;
      for (const row of this.stmts.oldest.all(topic, partition, budget)) {
        if (row.timestamp >= before || row.offset >= last) break;
        upTo = row.offset;
      }
      if (upTo >= 0) removed += this.stmts.dropUpTo.run(topic, partition, upTo).changes;
    }
    return { removed, more: removed >= limit };
  }
}
