import Database from 'better-sqlite3';
import type { ConsumedRecord, Headers, OffsetCommit, ProduceRecord, RecordMetadata, TopicSpec } from '../types.js';
import { TransportError, TransportErrorReason } from './errors.js';
import { CompactionIndex } from './compaction-index.js';
import { BATCH_MAX_BYTES, BATCH_MAX_RECORDS, batchedSize, decodeBatch, encodeBatch, headersText } from './record-batch.js';
import type { BatchedRecord } from './record-batch.js';
import { Expiry } from './expiry.js';
import { TailCache } from './tail-cache.js';
import { NO_HEADERS } from '../no-headers.js';
import { partitionKey } from '../partition-key.js';
import { BACKSTOP_CHECKPOINT_PAGES, checkpointInBackground } from './wal-checkpointer.js';

/** A record placed on its partition by the owner. */
export type PlacedRecord = ProduceRecord & { partition: number };

export interface TopicMeta {
  partitions: number;
  compacted: boolean;
}

export interface CommittedOffset {
  offset: number;
  metadata: string | null;
}

export interface PendingCommit {
  groupId: string;
  offsets: OffsetCommit[];
}

/** The records one group commit appends to one partition of a topic that is not compacted. */
interface PendingBatch {
  topic: string;
  partition: number;
  baseOffset: number;
  records: BatchedRecord[];
}

interface BatchRow {
  base_offset: number;
  last_offset: number;
  timestamp: number;
  data: Buffer;
}

interface RecordRow {
  offset: number;
  key: string;
  value: Buffer | null;
  headers: string;
  timestamp: number;
}

/** The headers of a record the tails keep: frozen, and the one shared object for the many records that have none. */
function frozenHeaders(headers: Headers | undefined): Headers {
  if (headers === undefined) return NO_HEADERS;
  for (const _ in headers) return Object.freeze({ ...headers });
  return NO_HEADERS;
}

/** Statements of closed stores, never collected (see `close`). */
const RETAINED: unknown[] = [];

/** How long closing tries to empty the WAL while the background checkpointer holds it. */
const TRUNCATE_TIMEOUT_MS = 2_000;

/** Rows fetched per query by `read`. */
const READ_PAGE = 64;
/** Batches fetched per query by `read`. */
const READ_BATCH_PAGE = 8;

/**
 * `records` holds the records of compacted topics, a row each (compaction removes them one by
 * one); `batches` those of the other topics, a row for what a group commit appended to a
 * partition (record-batch.ts).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS topics (
  name TEXT PRIMARY KEY,
  partitions INTEGER NOT NULL,
  compacted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS records (
  topic TEXT NOT NULL,
  "partition" INTEGER NOT NULL,
  "offset" INTEGER NOT NULL,
  key TEXT NOT NULL,
  value BLOB,
  headers TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  PRIMARY KEY (topic, "partition", "offset")
);
CREATE TABLE IF NOT EXISTS batches (
  topic TEXT NOT NULL,
  "partition" INTEGER NOT NULL,
  last_offset INTEGER NOT NULL,
  base_offset INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (topic, "partition", last_offset)
);
CREATE TABLE IF NOT EXISTS offsets (
  group_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  "partition" INTEGER NOT NULL,
  "offset" INTEGER NOT NULL,
  metadata TEXT,
  PRIMARY KEY (group_id, topic, "partition")
);
`;

/** Records removed by the first slice of a compaction; later slices follow `nextSliceLimit`. */
export const COMPACTION_SLICE = 100;
export const COMPACTION_SLICE_MIN = 16;
export const COMPACTION_SLICE_MAX = 200;
/**
 * Wall time a compaction slice aims at. A slice holds the event loop, and on a machine shared
 * with other busy processes its wall time is several times its CPU time, so it is kept short.
 */
export const COMPACTION_SLICE_BUDGET_MS = 2;

/**
 * The size of the next slice: as many records as fit the budget at the rate the last slice ran
 * (a slice that ran long, descheduled or checkpointing the WAL, shrinks the next one), at most
 * double the last, within COMPACTION_SLICE_MIN and COMPACTION_SLICE_MAX.
 */
export function nextSliceLimit(limit: number, removed: number, ms: number): number {
  if (removed <= 0) return limit;
  const fit = Math.floor((COMPACTION_SLICE_BUDGET_MS * removed) / Math.max(ms, 0.01));
  return Math.max(COMPACTION_SLICE_MIN, Math.min(COMPACTION_SLICE_MAX, limit * 2, fit));
}

/** Largest partition count a topic may have. */
export const MAX_PARTITIONS = 10_000;

/**
 * The SQLite log: one database file, one connection that writes, every write in one transaction.
 * WAL checkpoints run on a thread of their own (wal-checkpointer.ts), so a commit never waits for
 * a disk flush.
 *
 * Offsets are assigned as `max + 1` per partition; the next offset of a partition is looked up
 * once and then kept in memory, which is sound because the database is opened by one process
 * only (see `ProcessLock`) and one connection of it writes. Compaction never removes the last
 * record of a partition (like Kafka never compacts the active segment), so `max + 1` stays
 * correct after a restart and offsets are never reused.
 *
 * A store has one of three roles, each on a connection of its own to the file. The `owner` holds
 * the process lock, reads, and keeps the tail of each partition in memory, which it learns of from
 * the writer (`appended`). The `writer` writes (log-writer.ts, on the event loop as well). The
 * `compactor` removes superseded records on a thread of its own (compactor-worker.ts); it never
 * writes a record, so it looks the partitions' ends up in the file again for each slice.
 */
export type StoreRole = 'owner' | 'writer' | 'compactor';

export class LogStore {
  private readonly db: Database.Database;
  private readonly topicCache = new Map<string, TopicMeta>();
  private readonly nextOffsets = new Map<string, number>();
  private readonly tails = new TailCache();
  private readonly stmts;
  private readonly writeManyTx;
  private readonly compaction: CompactionIndex;
  /** Made by the first slice: only the compaction thread's store runs slices. */
  private expiry: Expiry | undefined;
  private readonly lock: ProcessLock | null;
  private readonly stopCheckpoints: () => void;

  constructor(
    file: string,
    synchronous: 'normal' | 'full',
    private readonly role: StoreRole = 'owner',
  ) {
    // Other processes stay out (the in-memory offsets would be wrong for them): the lock first.
    this.lock = role === 'owner' ? new ProcessLock(`${file}.lock`, file) : null;
    let db: Database.Database | undefined;
    try {
      this.db = db = new Database(file, { timeout: 1000 });
      // exec, not pragma(): pragma() leaves a statement to the garbage collector (see `close`).
      this.db.exec('PRAGMA journal_mode = WAL');
      this.db.exec(`PRAGMA synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
      this.db.exec(SCHEMA);
    } catch (error) {
      db?.close();
      this.lock?.release();
      throw error;
    }
    this.stopCheckpoints = role === 'owner' ? checkpointInBackground(file) : () => undefined;
    this.stmts = {
      topics: this.db.prepare<[], { name: string; partitions: number; compacted: number }>('SELECT name, partitions, compacted FROM topics'),
      insertTopic: this.db.prepare('INSERT INTO topics (name, partitions, compacted) VALUES (?, ?, ?)'),
      maxOffset: this.db.prepare<[string, number, string, number], { m: number | null }>(
        'SELECT MAX(m) AS m FROM (SELECT MAX("offset") AS m FROM records WHERE topic = ? AND "partition" = ? UNION ALL SELECT MAX(last_offset) FROM batches WHERE topic = ? AND "partition" = ?)',
      ),
      insertRecord: this.db.prepare('INSERT INTO records (topic, "partition", "offset", key, value, headers, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      insertBatch: this.db.prepare<[string, number, number, number, number, Buffer]>(
        'INSERT INTO batches (topic, "partition", last_offset, base_offset, timestamp, data) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      read: this.db.prepare<[string, number, number, number, number], RecordRow>(
        'SELECT "offset", key, value, headers, timestamp FROM records WHERE topic = ? AND "partition" = ? AND "offset" >= ? AND "offset" < ? ORDER BY "offset" LIMIT ?',
      ),
      // A batch ends at most BATCH_MAX_RECORDS - 1 past its first offset: the bound on last_offset keeps the scan short.
      readBatches: this.db.prepare<[string, number, number, number, number, number], BatchRow>(
        'SELECT base_offset, last_offset, timestamp, data FROM batches WHERE topic = ? AND "partition" = ? AND last_offset >= ? AND last_offset < ? AND base_offset < ? ORDER BY last_offset LIMIT ?',
      ),
      upsertOffset: this.db.prepare(
        'INSERT INTO offsets (group_id, topic, "partition", "offset", metadata) VALUES (?, ?, ?, ?, ?) ON CONFLICT (group_id, topic, "partition") DO UPDATE SET "offset" = excluded."offset", metadata = excluded.metadata',
      ),
      truncateWal: this.db.prepare<[], { busy: number }>('PRAGMA wal_checkpoint(TRUNCATE)'),
      committed: this.db.prepare<[string, string], { partition: number; offset: number; metadata: string | null }>(
        'SELECT "partition", "offset", metadata FROM offsets WHERE group_id = ? AND topic = ?',
      ),
    };
    this.reloadTopics();
    this.compaction = new CompactionIndex(this.db, () => [...this.topicCache].filter(([, m]) => m.compacted).map(([name]) => name));
    this.writeManyTx = this.db.transaction((writes: readonly { records: PlacedRecord[]; commit: PendingCommit | null }[], timestamp: number, pending: Map<string, number>): RecordMetadata[][] => {
      const batches = new Map<string, PendingBatch>();
      const metadata = writes.map(({ records, commit }) => {
        const written = records.map((record) => this.insert(record, timestamp, pending, batches));
        if (commit !== null) {
          for (const o of commit.offsets) {
            this.stmts.upsertOffset.run(commit.groupId, o.topic, o.partition, o.offset, o.metadata ?? null);
          }
        }
        return written;
      });
      for (const batch of batches.values()) this.insertBatches(batch, timestamp);
      return metadata;
    });
    if (role === 'owner') this.packLegacyRecords();
  }

  close(): void {
    this.stopCheckpoints();
    if (this.db.open) {
      // The owner closes last (the writer and the compaction thread are done first), and makes
      // the file whole, so that once closed, bus.db alone holds every record.
      if (this.role === 'owner') this.truncateWal();
      this.db.close();
    }
    this.lock?.release();
    // better-sqlite3 on Node 24 can abort the process when the garbage collector finalizes a
    // statement wrapper (Statement::~Statement without an Environment); closed stores keep theirs.
    RETAINED.push(this.stmts, this.compaction, this.expiry, this.db, this.lock);
  }

  /**
   * Checkpoints the whole WAL into the file and empties it. The background checkpointer's
   * connection may be in a checkpoint of its own for a moment still, and a checkpoint that finds
   * another under way gives up at once (it waits for no busy handler): so it is tried again,
   * for a bounded time.
   */
  private truncateWal(): void {
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const deadline = Date.now() + TRUNCATE_TIMEOUT_MS;
    while (this.stmts.truncateWal.get()?.busy === 1 && Date.now() < deadline) Atomics.wait(pause, 0, 0, 2);
  }

  /** Reads the topics again: another connection of this process created some. */
  reloadTopics(): void {
    for (const row of this.stmts.topics.all()) {
      this.topicCache.set(row.name, { partitions: row.partitions, compacted: row.compacted === 1 });
    }
  }

  topic(name: string): TopicMeta {
    const meta = this.topicCache.get(name);
    if (meta === undefined) {
      throw new TransportError(TransportErrorReason.UnknownTopic, `Unknown topic "${name}": create it with ensureTopics first`, { topic: name });
    }
    return meta;
  }

  topicNames(): string[] {
    return [...this.topicCache.keys()];
  }

  ensureTopics(specs: TopicSpec[]): void {
    const toCreate: TopicSpec[] = [];
    for (const [i, spec] of specs.entries()) {
      validateSpec(spec, i);
      const existing = this.topicCache.get(spec.name) ?? toCreate.find((s) => s.name === spec.name);
      if (existing === undefined) {
        toCreate.push(spec);
      } else if (existing.partitions !== spec.partitions) {
        throw new TransportError(
          TransportErrorReason.PartitionMismatch,
          `Topic "${spec.name}" has ${existing.partitions} partitions, but ${spec.partitions} were requested`,
          { topic: spec.name, existing: existing.partitions, requested: spec.partitions },
        );
      }
    }
    if (toCreate.length === 0) return;
    this.db.transaction(() => {
      for (const spec of toCreate) this.stmts.insertTopic.run(spec.name, spec.partitions, spec.compacted === true ? 1 : 0);
    })();
    for (const spec of toCreate) this.topicCache.set(spec.name, { partitions: spec.partitions, compacted: spec.compacted === true });
  }

  /** Throws the error of the first invalid record or offset. */
  validate(records: ProduceRecord[], commit: PendingCommit | null): void {
    if (!Array.isArray(records)) throw invalid('records must be an array');
    records.forEach((record, i) => this.validateRecord(record, i));
    if (commit !== null) commit.offsets.forEach((o, i) => this.validateOffset(o, i));
  }

  /**
   * Appends validated writes in one transaction (a group commit), each with its offsets
   * atomically, in the order given; returns the metadata of each. Called on the writer.
   */
  writeMany(writes: readonly { records: PlacedRecord[]; commit: PendingCommit | null }[], timestamp: number): RecordMetadata[][] {
    const pending = new Map<string, number>();
    const metadata = this.writeManyTx(writes, timestamp, pending);
    // Only now, after the commit: a failed transaction assigned no offset.
    for (const [k, v] of pending) this.nextOffsets.set(k, v);
    return metadata;
  }

  /**
   * What the writer committed, in its commit order: moves the owner's end offsets and puts the
   * records in the tails, only now that a new read finds them in the file. `values[i]` is a copy
   * of `records[i].value` (the producer may reuse its buffer once its call returns).
   */
  appended(records: readonly PlacedRecord[], metadata: readonly RecordMetadata[], values: readonly (Buffer | null)[], timestamp: number): void {
    records.forEach((record, i) => {
      const { partition } = record;
      const { offset } = metadata[i]!;
      const k = partitionKey(record.topic, partition);
      if (offset + 1 > (this.nextOffsets.get(k) ?? 0)) this.nextOffsets.set(k, offset + 1);
      // Compacted topics stay out of the tail: compaction may remove what it would still serve.
      if (this.topic(record.topic).compacted) return;
      this.tails.append(k, Object.freeze({ topic: record.topic, partition, offset, key: record.key, value: values[i] ?? null, headers: frozenHeaders(record.headers), timestamp }));
    });
  }

  /** Retention is removing the records appended before `before` from the file: the tails drop them first. */
  expireTails(before: number): void {
    this.tails.expire(before);
  }

  endOffset(topic: string, partition: number): number {
    const k = partitionKey(topic, partition);
    let next = this.nextOffsets.get(k);
    if (next === undefined) {
      const row = this.stmts.maxOffset.get(topic, partition, topic, partition);
      next = row?.m === null || row?.m === undefined ? 0 : row.m + 1;
      this.nextOffsets.set(k, next);
    }
    return next;
  }

  /** Up to `maxRecords` records from `from` (inclusive) to `to` (exclusive); stops early past `maxBytes`. */
  read(topic: string, partition: number, from: number, to: number, maxRecords: number, maxBytes: number): ConsumedRecord[] {
    const cached = this.tails.read(partitionKey(topic, partition), from, to, maxRecords, maxBytes);
    if (cached !== undefined) return cached;
    if (!this.topic(topic).compacted) return this.readBatches(topic, partition, from, to, maxRecords, maxBytes);
    const out: ConsumedRecord[] = [];
    let bytes = 0;
    // Small pages of `all()` rather than `iterate()`: a statement iterator collected by the GC can
    // abort the process in better-sqlite3 on Node 24 ("RemoveEnvironmentCleanupHook ... env").
    for (let next = from; out.length < maxRecords; ) {
      const rows = this.stmts.read.all(topic, partition, next, to, Math.min(READ_PAGE, maxRecords - out.length));
      for (const row of rows) {
        out.push({ topic, partition, offset: row.offset, key: row.key, value: row.value, headers: JSON.parse(row.headers) as Headers, timestamp: row.timestamp });
        bytes += (row.value?.length ?? 0) + row.key.length + row.headers.length;
        if (bytes >= maxBytes) return out;
      }
      const last = rows.at(-1);
      if (last === undefined || rows.length < READ_PAGE) break;
      next = last.offset + 1;
    }
    return out;
  }

  /** `read` of a topic that is not compacted: its records are in batches. */
  private readBatches(topic: string, partition: number, from: number, to: number, maxRecords: number, maxBytes: number): ConsumedRecord[] {
    const out: ConsumedRecord[] = [];
    let bytes = 0;
    for (let next = from; next < to; ) {
      const rows = this.stmts.readBatches.all(topic, partition, next, to + BATCH_MAX_RECORDS, to, READ_BATCH_PAGE);
      for (const row of rows) {
        const batch = { topic, partition, baseOffset: row.base_offset, timestamp: row.timestamp };
        bytes += decodeBatch(row.data, batch, { from, to, maxRecords, maxBytes: maxBytes - bytes }, out);
        if (out.length >= maxRecords || bytes >= maxBytes) return out;
      }
      const last = rows.at(-1);
      if (last === undefined || rows.length < READ_BATCH_PAGE) break;
      next = last.last_offset + 1;
    }
    return out;
  }

  committed(groupId: string, topic: string): Array<CommittedOffset | null> {
    const result: Array<CommittedOffset | null> = new Array<CommittedOffset | null>(this.topic(topic).partitions).fill(null);
    for (const row of this.stmts.committed.all(groupId, topic)) {
      if (row.partition < result.length) result[row.partition] = { offset: row.offset, metadata: row.metadata };
    }
    return result;
  }

  /**
   * One slice of compaction: removes up to `limit` records of compacted topics that a later
   * record of their key superseded, and tombstones that are not their partition's last record;
   * then, with what is left of `limit` and `expireBefore` given, records of the other topics
   * written before that time (ms since the epoch), as retention does (expiry.ts).
   */
  compactSlice(limit = COMPACTION_SLICE, expireBefore: number | null = null): { removed: number; more: boolean } {
    // The compactor writes nothing, so the ends it learnt may be behind: each slice looks them up again.
    if (this.role === 'compactor') this.nextOffsets.clear();
    const endOffset = (topic: string, partition: number): number => this.endOffset(topic, partition);
    const compacted = this.compaction.slice(limit, endOffset);
    if (expireBefore === null || compacted.removed >= limit) return compacted;
    const expiry = (this.expiry ??= new Expiry(this.db));
    const expired = this.db.transaction(() => expiry.slice(limit - compacted.removed, expireBefore, this.plainPartitions(), endOffset))();
    return { removed: compacted.removed + expired.removed, more: compacted.more || expired.more };
  }

  /** Every partition of the topics that are not compacted. */
  private plainPartitions(): { topic: string; partition: number }[] {
    return [...this.topicCache].filter(([, meta]) => !meta.compacted).flatMap(([topic, meta]) => Array.from({ length: meta.partitions }, (_, partition) => ({ topic, partition })));
  }

  /**
   * Gives the record its offset: a record of a compacted topic is inserted now, one of another
   * topic joins its partition's batch, which the transaction inserts at its end.
   */
  private insert(record: PlacedRecord, timestamp: number, pending: Map<string, number>, batches: Map<string, PendingBatch>): RecordMetadata {
    const meta = this.topic(record.topic);
    // The owner placed every record (SharedBus.write), as it validated it.
    const partition = record.partition;
    const k = partitionKey(record.topic, partition);
    const offset = pending.get(k) ?? this.endOffset(record.topic, partition);
    pending.set(k, offset + 1);
    if (!meta.compacted) {
      const batch = batches.get(k);
      if (batch === undefined) batches.set(k, { topic: record.topic, partition, baseOffset: offset, records: [record] });
      else batch.records.push(record);
      return { topic: record.topic, partition, offset };
    }
    const value = record.value === null ? null : Buffer.isBuffer(record.value) ? record.value : Buffer.from(record.value);
    this.stmts.insertRecord.run(record.topic, partition, offset, record.key, value, headersText(record.headers) || '{}', timestamp);
    this.compaction.onWrite(record.topic, partition, record.key, offset, value === null);
    return { topic: record.topic, partition, offset };
  }

  /** Inserts a partition's records of one group commit as batches of at most BATCH_MAX_RECORDS and BATCH_MAX_BYTES. */
  private insertBatches({ topic, partition, baseOffset, records }: PendingBatch, timestamp: number): void {
    const insert = (from: number, to: number): void => {
      this.stmts.insertBatch.run(topic, partition, baseOffset + to - 1, baseOffset + from, timestamp, encodeBatch(records.slice(from, to)));
    };
    let first = 0;
    let bytes = 0;
    records.forEach((record, i) => {
      const size = batchedSize(record);
      if (i > first && (i - first === BATCH_MAX_RECORDS || bytes + size > BATCH_MAX_BYTES)) {
        insert(first, i);
        first = i;
        bytes = 0;
      }
      bytes += size;
    });
    insert(first, records.length);
  }

  /**
   * A file written before records were batched holds every record in `records`: those of the
   * topics that are not compacted move to batches of one record each, in one transaction.
   */
  private packLegacyRecords(): void {
    const plain = [...this.topicCache].filter(([, meta]) => !meta.compacted).map(([name]) => name);
    const any = this.db.prepare<[string], { one: number }>('SELECT 1 AS one FROM records WHERE topic = ? LIMIT 1');
    const legacy = plain.filter((topic) => any.get(topic) !== undefined);
    if (legacy.length === 0) return;
    const page = this.db.prepare<[string, number, number, number], RecordRow & { partition: number }>(
      'SELECT "partition", "offset", key, value, headers, timestamp FROM records WHERE topic = ? AND ("partition", "offset") > (?, ?) ORDER BY "partition", "offset" LIMIT ?',
    );
    const drop = this.db.prepare<[string]>('DELETE FROM records WHERE topic = ?');
    RETAINED.push(any, page, drop);
    this.db.transaction(() => {
      for (const topic of legacy) {
        for (let after = { partition: -1, offset: -1 }; ; ) {
          const rows = page.all(topic, after.partition, after.offset, 1_000);
          for (const row of rows) {
            const headers = JSON.parse(row.headers) as Headers;
            this.stmts.insertBatch.run(topic, row.partition, row.offset, row.offset, row.timestamp, encodeBatch([{ key: row.key, value: row.value, headers }]));
          }
          const last = rows.at(-1);
          if (last === undefined) break;
          after = { partition: last.partition, offset: last.offset };
        }
        drop.run(topic);
      }
    })();
  }

  private validateRecord(record: ProduceRecord, i: number): void {
    if (record === null || typeof record !== 'object') throw invalid(`records[${i}] must be an object`);
    if (typeof record.topic !== 'string') throw invalid(`records[${i}].topic must be a string`);
    const meta = this.topic(record.topic);
    if (typeof record.key !== 'string') throw invalid(`records[${i}].key must be a string`);
    if (record.value !== null && !(record.value instanceof Uint8Array)) throw invalid(`records[${i}].value must be a Buffer or null`);
    if (record.partition !== undefined && (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= meta.partitions)) {
      throw invalid(`records[${i}].partition must be an integer from 0 to ${meta.partitions - 1} for topic "${record.topic}", got ${String(record.partition)}`);
    }
    if (record.headers !== undefined) {
      if (record.headers === null || typeof record.headers !== 'object') throw invalid(`records[${i}].headers must be an object`);
      for (const [name, value] of Object.entries(record.headers)) {
        if (typeof value !== 'string') throw invalid(`records[${i}].headers.${name} must be a string`);
      }
    }
  }

  private validateOffset(o: OffsetCommit, i: number): void {
    if (o === null || typeof o !== 'object') throw invalid(`offsets[${i}] must be an object`);
    const meta = this.topic(o.topic);
    if (!Number.isInteger(o.partition) || o.partition < 0 || o.partition >= meta.partitions) {
      throw invalid(`offsets[${i}].partition must be an integer from 0 to ${meta.partitions - 1} for topic "${o.topic}", got ${String(o.partition)}`);
    }
    if (!Number.isSafeInteger(o.offset) || o.offset < 0) throw invalid(`offsets[${i}].offset must be a non-negative integer, got ${String(o.offset)}`);
    if (o.metadata !== undefined && typeof o.metadata !== 'string') throw invalid(`offsets[${i}].metadata must be a string`);
  }
}

function validateSpec(spec: TopicSpec, i: number): void {
  if (spec === null || typeof spec !== 'object') throw invalid(`specs[${i}] must be an object`);
  if (typeof spec.name !== 'string' || spec.name === '') throw invalid(`specs[${i}].name must be a non-empty string`);
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1 || spec.partitions > MAX_PARTITIONS) {
    throw invalid(`specs[${i}].partitions of topic "${spec.name}" must be an integer from 1 to ${MAX_PARTITIONS}, got ${String(spec.partitions)}`);
  }
  if (spec.compacted !== undefined && typeof spec.compacted !== 'boolean') throw invalid(`specs[${i}].compacted of topic "${spec.name}" must be a boolean`);
}

function invalid(message: string): TransportError {
  return new TransportError(TransportErrorReason.InvalidArgument, message);
}

/**
 * A bus is one process's: a small SQLite file beside it, held in exclusive locking mode for as
 * long as the bus is open. Another process's attempt fails at once with a `locked` error; the
 * lock goes with the process, however it ends.
 */
class ProcessLock {
  private readonly db: Database.Database;

  constructor(lockFile: string, busFile: string) {
    this.db = new Database(lockFile, { timeout: 0 });
    try {
      this.db.exec('PRAGMA locking_mode = EXCLUSIVE');
      // A write takes the exclusive lock, which exclusive locking mode then keeps. exec, not a
      // prepared statement: none is left to the garbage collector (see LogStore.close).
      this.db.exec(`BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS held (since INTEGER); DELETE FROM held; INSERT INTO held VALUES (${Date.now()}); COMMIT;`);
    } catch (error) {
      this.db.close();
      if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
        throw new TransportError(TransportErrorReason.Locked, `The embedded bus ${busFile} is in use by another process; the embedded mode is single-process`, { file: busFile });
      }
      throw error;
    }
  }

  release(): void {
    if (this.db.open) this.db.close();
  }
}
