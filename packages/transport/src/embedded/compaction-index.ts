import type Database from 'better-sqlite3';

/**
 * Incremental compaction of compacted topics. Every write to a compacted topic looks up the
 * key's latest offset (`latest`) and, when the key had one, records that older record as
 * `garbage`; a tombstone is garbage as soon as it is written. Compaction then deletes garbage by
 * primary key, a slice at a time, so its cost follows the records superseded since the last
 * slice — never the size of the log — and no slice holds the event loop for long.
 *
 * The last record of a partition is never deleted (it fixes the partition's end offset after a
 * restart); a tombstone that is the last record stays in `garbage` until a later write passes it.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS latest (
  topic TEXT NOT NULL,
  "partition" INTEGER NOT NULL,
  key TEXT NOT NULL,
  "offset" INTEGER NOT NULL,
  PRIMARY KEY (topic, "partition", key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS garbage (
  topic TEXT NOT NULL,
  "partition" INTEGER NOT NULL,
  "offset" INTEGER NOT NULL,
  -- set for a tombstone: its key's entry in latest goes with it
  tombstone_key TEXT,
  PRIMARY KEY (topic, "partition", "offset")
) WITHOUT ROWID;
`;

export class CompactionIndex {
  private readonly stmts;

  constructor(
    private readonly db: Database.Database,
    compactedTopics: () => string[],
  ) {
    const existed = db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'latest'`).get()?.n === 1;
    db.exec(SCHEMA);
    this.stmts = {
      latest: db.prepare<[string, number, string], { offset: number }>('SELECT "offset" FROM latest WHERE topic = ? AND "partition" = ? AND key = ?'),
      setLatest: db.prepare('INSERT INTO latest (topic, "partition", key, "offset") VALUES (?, ?, ?, ?) ON CONFLICT (topic, "partition", key) DO UPDATE SET "offset" = excluded."offset"'),
      addGarbage: db.prepare('INSERT OR IGNORE INTO garbage (topic, "partition", "offset", tombstone_key) VALUES (?, ?, ?, ?)'),
      garbage: db.prepare<[number], { topic: string; partition: number; offset: number; tombstone_key: string | null }>(
        'SELECT topic, "partition", "offset", tombstone_key FROM garbage LIMIT ?',
      ),
      // One statement per table for the whole slice, the slice passed as a JSON array of [topic, partition, offset].
      dropRecords: db.prepare('DELETE FROM records WHERE (topic, "partition", "offset") IN (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?))'),
      dropGarbage: db.prepare('DELETE FROM garbage WHERE (topic, "partition", "offset") IN (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?))'),
      dropLatest: db.prepare('DELETE FROM latest WHERE topic = ? AND "partition" = ? AND key = ? AND "offset" = ?'),
      pending: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM garbage'),
    };
    if (!existed) this.rebuild(compactedTopics());
  }

  /** Called inside the write transaction for every record of a compacted topic. */
  onWrite(topic: string, partition: number, key: string, offset: number, tombstone: boolean): void {
    const previous = this.stmts.latest.get(topic, partition, key);
    if (previous !== undefined) this.stmts.addGarbage.run(topic, partition, previous.offset, null);
    this.stmts.setLatest.run(topic, partition, key, offset);
    if (tombstone) this.stmts.addGarbage.run(topic, partition, offset, key);
  }

  /**
   * Deletes up to `limit` superseded records (and tombstones that are not their partition's last
   * record) in one transaction. Returns how many records were removed and whether garbage remains.
   */
  slice(limit: number, endOffset: (topic: string, partition: number) => number): { removed: number; more: boolean } {
    const run = this.db.transaction((): { removed: number; more: boolean } => {
      const rows = this.stmts.garbage.all(limit);
      // A partition's last record stays until a later write passes it.
      const due = rows.filter((row) => row.offset < endOffset(row.topic, row.partition) - 1);
      if (due.length === 0) return { removed: 0, more: false };
      const slice = JSON.stringify(due.map((row) => [row.topic, row.partition, row.offset]));
      const removed = this.stmts.dropRecords.run(slice).changes;
      this.stmts.dropGarbage.run(slice);
      for (const row of due) {
        if (row.tombstone_key !== null) this.stmts.dropLatest.run(row.topic, row.partition, row.tombstone_key, row.offset);
      }
      return { removed, more: rows.length === limit };
    });
    return run();
  }

  /** Garbage waiting for a slice. */
  pending(): number {
    return this.stmts.pending.get()?.n ?? 0;
  }

  /** A log written before this index existed: index it once, at open. */
  private rebuild(topics: string[]): void {
    const latest = this.db.prepare('INSERT INTO latest (topic, "partition", key, "offset") SELECT topic, "partition", key, MAX("offset") FROM records WHERE topic = ? GROUP BY "partition", key');
    const garbage = this.db.prepare(
      'INSERT OR IGNORE INTO garbage (topic, "partition", "offset", tombstone_key) SELECT r.topic, r."partition", r."offset", CASE WHEN r.value IS NULL AND r."offset" = l."offset" THEN r.key END FROM records AS r JOIN latest AS l ON l.topic = r.topic AND l."partition" = r."partition" AND l.key = r.key WHERE r.topic = ? AND (r."offset" < l."offset" OR r.value IS NULL)',
    );
    this.db.transaction(() => {
      for (const topic of topics) {
        latest.run(topic);
        garbage.run(topic);
      }
    })();
  }
}
