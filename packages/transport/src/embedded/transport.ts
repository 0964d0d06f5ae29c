import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsumedRecord, Consumer, OffsetCommit, ProduceRecord, ReadOptions, RecordMetadata, SubscribeOptions, TopicSpec, Transport, WriteStats } from '../types.js';
import { WriteTally } from '../write-stats.js';
import { EmbeddedConsumer } from './consumer.js';
import { TransportError, TransportErrorReason } from './errors.js';
import { ConsumerGroup } from './group.js';
import { resolveEmbeddedOptions } from './options.js';
import type { EmbeddedTransportOptions, ResolvedEmbeddedOptions } from './options.js';
import { partitionKey } from '../partition-key.js';
import { partitionFor } from '../partitioner.js';
import { LogWriter } from './log-writer.js';
import type { Written } from './log-writer.js';
import { LogStore } from './store.js';
import type { CommittedOffset, PlacedRecord } from './store.js';
import { WakeSignal } from './wake-signal.js';

/** `readPartition` yields batches of at most this many records… */
const READ_BATCH_RECORDS = 500;
/** …and stops a batch once it holds this many bytes. */
const READ_BATCH_BYTES = 8 * 1024 * 1024;

/** The embedded transport: the `Transport` contract plus maintenance helpers. */
export interface EmbeddedTransport extends Transport {
  readonly kind: 'embedded';
  /** The database file. */
  readonly file: string;
  /**
   * Compacts compacted topics now: keeps the latest record per key, drops tombstones; and removes
   * the records of the other topics older than `retentionMs`. Resolves how many records went.
   * `share` (default 1) is the share of the compaction thread's time it may take: the periodic
   * compaction uses BACKGROUND_COMPACTION_SHARE.
   */
  compact(options?: { share?: number }): Promise<number>;
  /** Committed offsets with their metadata, per partition (`null` when none). */
  committed(groupId: string, topic: string): Promise<Array<CommittedOffset | null>>;
}

interface QueuedWrite {
  records: PlacedRecord[];
  commit: { groupId: string; offsets: OffsetCommit[] } | null;
  queuedAt: number;
  resolve(metadata: RecordMetadata[]): void;
  reject(error: unknown): void;
}

/**
 * The state of one data directory within this process: one connection that reads, one that
 * writes (log-writer.ts), one coordinator, one wake-up signal. Transports opened on the same
 * directory share it, so they see each other's records at once and their consumers form groups
 * together.
 */
class SharedBus {
  readonly store: LogStore;
  readonly wake = new WakeSignal();
  readonly groups = new Map<string, ConsumerGroup>();
  private readonly writer: LogWriter;
  private refs = 0;
  private queued: QueuedWrite[] = [];
  private readonly tally = new WriteTally();
  /** The writes wait for a compaction slice to end. */
  private waiting = false;

  constructor(
    readonly key: string,
    readonly file: string,
    readonly options: ResolvedEmbeddedOptions,
  ) {
    this.store = new LogStore(file, options.synchronous);
    try {
      this.writer = new LogWriter(file, options.synchronous, options.compactionIntervalMs, options.retentionMs, (before) => this.store.expireTails(before));
    } catch (error) {
      this.store.close();
      throw error;
    }
  }

  acquire(): void {
    this.refs += 1;
  }

  /** Returns true when this was the last user, and the database is now closed. */
  release(): boolean {
    this.refs -= 1;
    if (this.refs > 0) return false;
    // What is still queued is written before the file closes.
    const batch = this.queued;
    this.queued = [];
    const now = Date.now();
    if (batch.length > 0) this.settleGroup(batch, this.writeGroup(batch, now), now);
    this.writer.close();
    this.store.close();
    return true;
  }

  ensureTopics(specs: TopicSpec[]): void {
    this.store.ensureTopics(specs);
    this.writer.topicsChanged();
  }

  /**
   * Validates now (a bad call fails alone), then queues the write with every other write of this
   * turn of the event loop, to be written in one transaction: a group commit, since a SQLite
   * transaction costs more than the few rows a write holds. The flush waits for setImmediate, not
   * a microtask, so the writes of every consumer loop woken in this turn share it (measured: 40%
   * less CPU per engine step than a flush per microtask turn). Resolves once the transaction
   * committed.
   */
  write(records: ProduceRecord[], commit: { groupId: string; offsets: OffsetCommit[] } | null): Promise<RecordMetadata[]> {
    this.store.validate(records, commit);
    // Placed here, as Kafka's default partitioner places a keyed record: the partition given, or the key's hash.
    const placed = records.map((r) => (r.partition !== undefined ? (r as PlacedRecord) : { ...r, partition: partitionFor(r.key, this.store.topic(r.topic).partitions) }));
    return new Promise((resolve, reject) => {
      this.queued.push({ records: placed, commit, queuedAt: performance.now(), resolve, reject });
      if (this.queued.length === 1 && !this.waiting) setImmediate(() => this.flush());
    });
  }

  /**
   * Writes the gathered writes as one group, or, while a compaction slice is under way, once it
   * has ended (they stay queued meanwhile, so a close writes them in order).
   */
  private flush(): void {
    if (this.waiting || this.queued.length === 0) return;
    const slice = this.writer.sliceUnderWay;
    if (slice !== null) {
      this.waiting = true;
      void slice.then(() => {
        this.waiting = false;
        this.flush();
      });
      return;
    }
    const batch = this.queued;
    this.queued = [];
    const timestamp = Date.now();
    let written: Written[];
    try {
      written = this.writeGroup(batch, timestamp);
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    this.settleGroup(batch, written, timestamp);
  }

  get writeStats(): WriteStats {
    return this.tally.stats;
  }

  /** One group commit, counted. */
  private writeGroup(batch: readonly QueuedWrite[], timestamp: number): Written[] {
    const start = performance.now();
    this.tally.dequeued(batch, start);
    try {
      return this.writer.writeNow(batch, timestamp);
    } finally {
      this.tally.requested(performance.now() - start);
    }
  }

  private settleGroup(batch: readonly QueuedWrite[], written: readonly Written[], timestamp: number): void {
    batch.forEach((w, i) => this.settle(w, written[i]!, timestamp));
  }

  private settle(w: QueuedWrite, written: Written, timestamp: number): void {
    if ('error' in written) {
      w.reject(written.error);
      return;
    }
    // In commit order: the groups are written one at a time.
    this.store.appended(w.records, written.metadata, written.values, timestamp);
    // Wake only the loops of the partitions written: the others would read nothing. A write's
    // records of one partition are together, and a partition's waiters go at its first notice.
    let last: string | undefined;
    for (const m of written.metadata) {
      const key = partitionKey(m.topic, m.partition);
      if (key !== last) this.wake.notify((last = key));
    }
    w.resolve(written.metadata);
  }

  group(groupId: string): ConsumerGroup {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = new ConsumerGroup(groupId, (topic) => this.store.topic(topic).partitions);
      this.groups.set(groupId, group);
    }
    return group;
  }

  compact(share: number): Promise<number> {
    return this.writer.compact(share);
  }
}

const buses = new Map<string, SharedBus>();



/**
 * Opens the embedded transport on `<dataDir>/bus.db` (created if missing).
 *
 * Single-process: transports of one process may share a `dataDir`; another process that tries
 * to open it fails with a `locked` error. The settings of the first transport opened on a
 * directory apply to all of them until the last one closes.
 */
export function createEmbeddedTransport(options: EmbeddedTransportOptions): EmbeddedTransport {
  const resolved = resolveEmbeddedOptions(options);
  mkdirSync(resolved.dataDir, { recursive: true });
  const key = realpathSync(resolved.dataDir);
  let bus = buses.get(key);
  if (bus === undefined) {
    bus = new SharedBus(key, join(key, 'bus.db'), resolved);
    buses.set(key, bus);
  }
  bus.acquire();
  return new EmbeddedTransportImpl(bus);
}

class EmbeddedTransportImpl implements EmbeddedTransport {
  readonly kind = 'embedded' as const;
  readonly atomicCommit = true;
  private readonly consumers = new Set<EmbeddedConsumer>();
  private closing: Promise<void> | null = null;

  constructor(private readonly bus: SharedBus) {}

  get file(): string {
    return this.bus.file;
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    this.assertOpen();
    if (!Array.isArray(specs)) throw new TransportError(TransportErrorReason.InvalidArgument, 'specs must be an array');
    this.bus.ensureTopics(specs);
  }

  async partitionCount(topic: string): Promise<number> {
    this.assertOpen();
    return this.bus.store.topic(topic).partitions;
  }

  async produce(records: ProduceRecord[]): Promise<RecordMetadata[]> {
    this.assertOpen();
    return this.bus.write(records, null);
  }

  async subscribe(options: SubscribeOptions): Promise<Consumer> {
    this.assertOpen();
    validateSubscribe(options);
    for (const topic of options.topics) this.bus.store.topic(topic);
    const consumer = new EmbeddedConsumer(
      { store: this.bus.store, wake: this.bus.wake, pollIntervalMs: this.bus.options.pollIntervalMs, write: (r, c) => this.bus.write(r, c) },
      this.bus.group(options.groupId),
      options,
      (c) => this.consumers.delete(c),
    );
    this.consumers.add(consumer);
    try {
      await this.bus.group(options.groupId).join(consumer);
    } catch (error) {
      this.consumers.delete(consumer);
      throw error;
    }
    return consumer;
  }

  async *readPartition(topic: string, partition: number, options: ReadOptions = {}): AsyncIterable<ConsumedRecord[]> {
    this.assertOpen();
    const meta = this.bus.store.topic(topic);
    if (!Number.isInteger(partition) || partition < 0 || partition >= meta.partitions) {
      throw new TransportError(TransportErrorReason.InvalidArgument, `partition must be an integer from 0 to ${meta.partitions - 1} for topic "${topic}", got ${String(partition)}`);
    }
    let position = options.from ?? 0;
    const to = options.to ?? this.bus.store.endOffset(topic, partition);
    if (!Number.isSafeInteger(position) || position < 0) throw new TransportError(TransportErrorReason.InvalidArgument, `options.from must be a non-negative integer, got ${String(options.from)}`);
    if (!Number.isSafeInteger(to) || to < 0) throw new TransportError(TransportErrorReason.InvalidArgument, `options.to must be a non-negative integer, got ${String(options.to)}`);
    while (position < to) {
      this.assertOpen();
      const batch = this.bus.store.read(topic, partition, position, to, READ_BATCH_RECORDS, READ_BATCH_BYTES);
      const last = batch.at(-1);
      if (last === undefined) return;
      position = last.offset + 1;
      yield batch;
    }
  }

  async endOffsets(topic: string): Promise<number[]> {
    this.assertOpen();
    const { partitions } = this.bus.store.topic(topic);
    return Array.from({ length: partitions }, (_, p) => this.bus.store.endOffset(topic, p));
  }

  async committedOffsets(groupId: string, topic: string): Promise<number[]> {
    return (await this.committed(groupId, topic)).map((c) => c?.offset ?? -1);
  }

  writeStats(): WriteStats {
    return this.bus.writeStats;
  }

  async committed(groupId: string, topic: string): Promise<Array<CommittedOffset | null>> {
    this.assertOpen();
    if (typeof groupId !== 'string' || groupId === '') throw new TransportError(TransportErrorReason.InvalidArgument, 'groupId must be a non-empty string');
    return this.bus.store.committed(groupId, topic);
  }

  async compact(options: { share?: number } = {}): Promise<number> {
    this.assertOpen();
    const share = options.share ?? 1;
    if (!(typeof share === 'number' && share > 0 && share <= 1)) {
      throw new TransportError(TransportErrorReason.InvalidArgument, `share must be a number in (0, 1], got ${String(share)}`);
    }
    return this.bus.compact(share);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await Promise.all([...this.consumers].map((c) => c.close()));
      } finally {
        if (this.bus.release()) buses.delete(this.bus.key);
      }
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing !== null) throw new TransportError(TransportErrorReason.Closed, `The embedded transport on ${this.bus.file} is closed`);
  }
}

function validateSubscribe(options: SubscribeOptions): void {
  const bad = (message: string): TransportError => new TransportError(TransportErrorReason.InvalidArgument, message);
  if (options === null || typeof options !== 'object') throw bad('subscribe options must be an object');
  if (typeof options.groupId !== 'string' || options.groupId === '') throw bad('options.groupId must be a non-empty string');
  if (!Array.isArray(options.topics) || options.topics.length === 0 || options.topics.some((t) => typeof t !== 'string')) {
    throw bad('options.topics must be a non-empty array of topic names');
  }
  if (typeof options.onBatch !== 'function') throw bad('options.onBatch must be a function');
  if (options.from !== undefined && options.from !== 'earliest' && options.from !== 'latest') throw bad(`options.from must be 'earliest' or 'latest', got ${JSON.stringify(options.from)}`);
  if (options.maxBatch !== undefined && (!Number.isInteger(options.maxBatch) || options.maxBatch < 1)) throw bad(`options.maxBatch must be a positive integer, got ${String(options.maxBatch)}`);
}
