/**
 * The bus contract. Both implementations (`embedded` on SQLite, `kafka` on a real broker) carry
 * Kafka's semantics and pass one conformance suite (`./conformance/suite.ts`):
 *
 * - a topic has N partitions; a keyed record lands on `partitionFor(key, N)` unless a partition is given;
 * - within a partition, offsets start at 0 and grow by one per record, in produce order;
 * - a consumer group splits the partitions of its topics among its members; co-partitioned topics
 *   (same partition count) give partition p of each topic to the same member;
 * - committed offsets are per (group, topic, partition) and name the *next* offset to read;
 * - a compacted topic keeps at least the latest value per key; a `null` value is a tombstone;
 * - headers are string to string.
 */

export type Headers = Record<string, string>;

export interface TopicSpec {
  name: string;
  partitions: number;
  /** `cleanup.policy=compact`: the latest value per key wins. @default false */
  compacted?: boolean;
}

export interface ProduceRecord {
  topic: string;
  key: string;
  /** `null` is a tombstone (compacted topics). */
  value: Buffer | null;
  headers?: Headers;
  /** Overrides the key's partition. */
  partition?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
}

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  value: Buffer | null;
  headers: Headers;
  /** When the record was appended, epoch ms. */
  timestamp: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface OffsetCommit extends TopicPartition {
  /** The next offset to read: the last processed offset plus one. */
  offset: number;
  /**
   * Free text stored with the offset (Kafka's commit metadata). Kept by the embedded transport;
   * the Kafka client in use sends none, so nothing in the engine relies on it.
   */
  metadata?: string;
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  /** Where a partition with no committed offset starts. @default 'earliest' */
  from?: 'earliest' | 'latest';
  /**
   * Called with the records of one partition, in offset order. The next batch of *that*
   * partition is not delivered before the promise settles; other partitions may be delivered
   * concurrently. A rejection stops the consumer and is reported through `onError`.
   */
  onBatch(records: ConsumedRecord[]): Promise<void>;
  /** After a (re)join: the partitions this member now owns. Delivery starts after it settles. */
  onAssign?(partitions: TopicPartition[]): Promise<void> | void;
  /** Before partitions move away: stop, flush and commit. Delivery of them has stopped. */
  onRevoke?(partitions: TopicPartition[]): Promise<void> | void;
  onError?(error: Error): void;
  /** Largest batch handed to `onBatch`. @default 100 */
  maxBatch?: number;
}

export interface Consumer {
  readonly groupId: string;
  /** The partitions this member owns now. */
  assignments(): TopicPartition[];
  /**
   * Commits offsets for this group. When `produce` is given, its records are written first and,
   * where the transport can (`Transport.atomicCommit`), atomically with the offsets. Resolves once the
   * records are durable. The offsets may still be on their way (Kafka batches them off the path of
   * a record): they are durable before `onRevoke` returns and before `close` resolves, and
   * `committedOffsets` of the same transport waits for them. Offsets that a crash loses only
   * redeliver inputs whose outputs were already written (at-least-once).
   */
  commit(offsets: OffsetCommit[], produce?: ProduceRecord[]): Promise<void>;
  /** Leaves the group: revokes (onRevoke runs) and stops delivery. */
  close(): Promise<void>;
}

export interface ReadOptions {
  /** First offset to read. @default 0 (the log start) */
  from?: number;
  /** Stop before this offset. @default the end offset when the read began */
  to?: number;
}

/**
 * What the writes have cost since the transport opened, as running totals: read it twice and
 * take the difference. A write is a `produce` call, or a `Consumer.commit` with records; the bus
 * gathers the writes made while a request is under way into its next request (a Kafka produce
 * request, an embedded group commit). A write waits `queuedMs / writes` on average for its
 * request, and a request takes `requestMs / requests`: the bus adds about their sum to the
 * latency of a record.
 */
export interface WriteStats {
  writes: number;
  records: number;
  requests: number;
  /** Over the writes: from the call to the start of the request that carried it. */
  queuedMs: number;
  /** Over the requests: from their start to the acknowledgement (embedded: the transaction). */
  requestMs: number;
}

export interface Transport {
  /** `embedded` or `kafka`. */
  readonly kind: string;
  /**
   * Whether `Consumer.commit(offsets, produce)` writes its records and offsets all or nothing
   * (embedded: one SQLite transaction). When false (Kafka), the records of one call may land on
   * some partitions and not on others, in no particular order across partitions.
   */
  readonly atomicCommit: boolean;
  /** Creates missing topics; checks that existing ones have the same partition count. */
  ensureTopics(specs: TopicSpec[]): Promise<void>;
  partitionCount(topic: string): Promise<number>;
  /** Resolves once every record is durable (acknowledged). Order is kept per partition. */
  produce(records: ProduceRecord[]): Promise<RecordMetadata[]>;
  /** Joins a consumer group. */
  subscribe(options: SubscribeOptions): Promise<Consumer>;
  /** Reads one partition outside any group, e.g. to restore a compacted changelog. */
  readPartition(topic: string, partition: number, options?: ReadOptions): AsyncIterable<ConsumedRecord[]>;
  /** The next offset to be written, per partition. */
  endOffsets(topic: string): Promise<number[]>;
  /** The committed offsets of a group for a topic, per partition (-1 when none). */
  committedOffsets(groupId: string, topic: string): Promise<number[]>;
  /** The writes' totals so far (see WriteStats); embedded transports on one directory share theirs. */
  writeStats(): WriteStats;
  close(): Promise<void>;
}
