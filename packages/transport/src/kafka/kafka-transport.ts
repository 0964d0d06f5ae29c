import { Admin, Consumer as KafkaConsumer, Producer } from '@platformatic/kafka';
import { partitionFor } from '../partitioner.js';
import { recordBytes } from '../write-chunks.js';
import type {
  ConsumedRecord,
  Consumer,
  ProduceRecord,
  ReadOptions,
  RecordMetadata,
  SubscribeOptions,
  TopicSpec,
  Transport,
  WriteStats,
} from '../types.js';
import { KafkaGroupMember } from './group-member.js';
import { FetchSession } from './partition-fetcher.js';
import { resolveKafkaTransportOptions, toClientOptions, type KafkaTransportOptions, type ResolvedKafkaTransportOptions } from './options.js';
import { decodeFetch, delay, headersToBuffers } from './records.js';
import { withTimeout } from '../with-timeout.js';
import { publishProduced, tracingLegs } from './record-legs.js';
import { SendPipeline } from './send-pipeline.js';

/** Creates the Kafka implementation of the bus contract on @platformatic/kafka. */
export function createKafkaTransport(options: KafkaTransportOptions): Transport {
  return new KafkaTransport(resolveKafkaTransportOptions(options));
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export class KafkaTransport implements Transport {
  readonly kind = 'kafka';
  /** No transactions: a commit's records are one send, which can land on some partitions only. */
  readonly atomicCommit = false;
  readonly options: ResolvedKafkaTransportOptions;
  readonly #admin: Admin;
  /** A client that never joins a group: used for fetches outside any group (`readPartition`). */
  readonly #reader: KafkaConsumer;
  #producer: Producer | undefined;
  readonly #sender = new SendPipeline<ProduceRecord, RecordMetadata>((records) => this.#send(records), recordBytes);
  readonly #partitionCounts = new Map<string, number>();
  /** Produce calls waiting for a partition count; later calls queue behind them. */
  #placing = 0;
  #placed: Promise<void> = Promise.resolve();
  readonly #members = new Set<KafkaGroupMember>();
  /** One fetch for the partitions of every member (see FetchSession). */
  readonly #fetches: FetchSession;
  #closed = false;

  constructor(options: ResolvedKafkaTransportOptions) {
    this.options = options;
    this.#admin = new Admin({ ...toClientOptions(options, 'admin'), metadataMaxAge: 2000 });
    this.#reader = new KafkaConsumer({ ...toClientOptions(options, 'reader'), groupId: `${options.clientId}-reader-unused`, metadataMaxAge: 2000 });
    this.#fetches = new FetchSession(options);
    this.#sender.onAcknowledged = (writes, metadata, sentAt, acknowledgedAt) => {
      if (tracingLegs()) publishProduced(writes, metadata, sentAt, acknowledgedAt);
    };
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    this.#checkOpen();
    specs.forEach((s, i) => {
      if (typeof s.name !== 'string' || !TOPIC_NAME.test(s.name)) throw new TypeError(`ensureTopics: specs[${i}].name is not a valid Kafka topic name: ${JSON.stringify(s.name)}`);
      if (!Number.isInteger(s.partitions) || s.partitions < 1) throw new TypeError(`ensureTopics: specs[${i}].partitions must be a positive integer`);
    });
    const existing = new Set(await this.#admin.listTopics());
    let replication: { replicas: number; minInsync: number } | undefined;
    for (const spec of specs) {
      if (!existing.has(spec.name)) {
        replication ??= await this.#replication();
        try {
          await this.#admin.createTopics({
            topics: [spec.name],
            partitions: spec.partitions,
            replicas: replication.replicas,
            configs: [
              { name: 'min.insync.replicas', value: String(replication.minInsync) },
              ...(spec.compacted
                ? [
                    { name: 'cleanup.policy', value: 'compact' },
                    { name: 'segment.ms', value: String(this.options.compactedSegmentMs) },
                    { name: 'min.cleanable.dirty.ratio', value: String(this.options.compactedMinCleanableDirtyRatio) },
                    { name: 'delete.retention.ms', value: '1000' },
                  ]
                : this.options.retentionMs === undefined
                  ? []
                  : [{ name: 'retention.ms', value: String(this.options.retentionMs) }]),
            ],
          });
        } catch (error) {
          // Another process created it meanwhile: fall through to the partition check.
          if (!hasApiId(error, 'TOPIC_ALREADY_EXISTS')) throw error;
        }
      }
      const actual = await this.#waitForTopic(spec.name);
      if (actual !== spec.partitions) {
        throw new Error(`ensureTopics: topic ${spec.name} has ${actual} partitions, expected ${spec.partitions}`);
      }
      this.#partitionCounts.set(spec.name, actual);
    }
  }

  /**
   * The replication of new topics: min(3, brokers) replicas unless configured, and
   * min.insync.replicas 2 from three replicas on, so that an acknowledged write (acks=all) is on
   * two brokers and survives the loss of one.
   */
  async #replication(): Promise<{ replicas: number; minInsync: number }> {
    const replicas = this.options.replicationFactor ?? Math.min(3, (await this.#admin.metadata({ topics: [] })).brokers.size);
    return { replicas, minInsync: this.options.minInsyncReplicas ?? (replicas >= 3 ? 2 : 1) };
  }

  /** Waits (bounded) until the topic's metadata shows every partition with a leader. */
  async #waitForTopic(topic: string): Promise<number> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const metadata = await this.#admin.metadata({ topics: [topic], forceUpdate: true });
        const info = metadata.topics.get(topic);
        if (info && info.partitions.length === info.partitionsCount && info.partitions.every((p) => p.leader >= 0)) {
          return info.partitionsCount;
        }
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      if (Date.now() > deadline) throw new Error(`ensureTopics: topic ${topic} has no leader after 30 s`);
      await delay(100);
    }
  }

  async partitionCount(topic: string): Promise<number> {
    this.#checkOpen();
    const cached = this.#partitionCounts.get(topic);
    if (cached !== undefined) return cached;
    let info;
    try {
      info = (await this.#admin.metadata({ topics: [topic] })).topics.get(topic);
    } catch (error) {
      if (hasApiId(error, 'UNKNOWN_TOPIC_OR_PARTITION')) throw new Error(`Unknown topic: ${topic}`, { cause: error });
      throw error;
    }
    if (!info) throw new Error(`Unknown topic: ${topic}`);
    this.#partitionCounts.set(topic, info.partitionsCount);
    return info.partitionsCount;
  }

  async produce(records: ProduceRecord[]): Promise<RecordMetadata[]> {
    this.#checkOpen();
    if (records.length === 0) return [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (typeof r.topic !== 'string' || r.topic.length === 0) throw new TypeError(`produce: records[${i}].topic must be a non-empty string`);
      if (typeof r.key !== 'string') throw new TypeError(`produce: records[${i}].key must be a string`);
      if (r.value !== null && !Buffer.isBuffer(r.value)) throw new TypeError(`produce: records[${i}].value must be a Buffer or null`);
    }
    // Calls are queued in call order, so that concurrent calls keep their order per partition:
    // synchronously when every partition count is known, else behind the calls still waiting.
    if (this.#placing === 0 && records.every((r) => this.#partitionCounts.has(r.topic))) {
      return this.#sender.enqueue(this.#place(records));
    }
    this.#placing++;
    const placed = this.#placed.then(async () => {
      for (const r of records) await this.partitionCount(r.topic);
      return this.#place(records);
    });
    this.#placed = placed.then(() => undefined, () => undefined).finally(() => this.#placing--);
    const queued = placed.then((records) => this.#sender.enqueue(records));
    return queued;
  }

  /**
   * The partition is always ours (Java-compatible murmur2), never the client's; placed before
   * queueing, so a bad record fails its own call and never a merged send.
   */
  #place(records: ProduceRecord[]): ProduceRecord[] {
    return records.map((r, i) => {
      const count = this.#partitionCounts.get(r.topic)!;
      if (r.partition !== undefined && (!Number.isInteger(r.partition) || r.partition < 0 || r.partition >= count)) {
        throw new RangeError(`produce: records[${i}].partition ${r.partition} is out of range for ${r.topic} (${count} partitions)`);
      }
      return { ...r, partition: r.partition ?? partitionFor(r.key, count) };
    });
  }

  /**
   * One produce request to the brokers, of at most WRITE_CHUNK_BYTES (see SendPipeline for how
   * calls are merged up to that size, and how a larger one is cut).
   */
  async #send(records: ProduceRecord[]): Promise<RecordMetadata[]> {
    const producer = this.#getProducer();
    const send = producer.send({
      acks: -1,
      messages: records.map((r) => ({
        topic: r.topic,
        partition: r.partition!,
        key: Buffer.from(r.key),
        // A tombstone: the client writes a null value.
        value: r.value as Buffer,
        headers: headersToBuffers(r.headers),
      })),
    });
    let result;
    try {
      result = await withTimeout(send, this.options.produceTimeoutMs, 'produce');
    } catch (error) {
      // A stuck idempotent producer would keep retrying: start over with a fresh one.
      if (this.#producer === producer) this.#producer = undefined;
      producer.close(true, () => undefined);
      throw error;
    }
    // One send appends one batch per partition, in message order: each record takes its
    // partition's next offset, from the batch's first.
    const next = new Map<string, Map<number, number>>();
    for (const o of result.offsets ?? []) {
      let byPartition = next.get(o.topic);
      if (byPartition === undefined) next.set(o.topic, (byPartition = new Map()));
      byPartition.set(o.partition, Number(o.offset));
    }
    return records.map(({ topic, partition }) => {
      const byPartition = next.get(topic);
      const offset = byPartition?.get(partition!);
      if (offset === undefined) throw new Error(`produce: the broker returned no offset for ${topic}:${partition}`);
      byPartition!.set(partition!, offset + 1);
      return { topic, partition: partition!, offset };
    });
  }

  #getProducer(): Producer {
    // A send that the pipeline starts after close() closed the producer fails: a new one would never be closed.
    if (this.#producer === undefined) this.#checkOpen();
    this.#producer ??= new Producer({
      ...toClientOptions(this.options, 'producer'),
      idempotent: true,
      acks: -1,
      autocreateTopics: false,
      metadataMaxAge: 2000,
      maxInflights: 5,
    });
    return this.#producer;
  }

  async subscribe(options: SubscribeOptions): Promise<Consumer> {
    this.#checkOpen();
    if (typeof options.groupId !== 'string' || options.groupId.length === 0) throw new TypeError('subscribe: groupId must be a non-empty string');
    if (!Array.isArray(options.topics) || options.topics.length === 0) throw new TypeError('subscribe: topics must be a non-empty array');
    if (typeof options.onBatch !== 'function') throw new TypeError('subscribe: onBatch must be a function');
    if (options.maxBatch !== undefined && (!Number.isInteger(options.maxBatch) || options.maxBatch < 1)) throw new TypeError('subscribe: maxBatch must be a positive integer');
    for (const topic of options.topics) await this.partitionCount(topic);
    const member = new KafkaGroupMember(options, {
      options: this.options,
      produce: (records) => this.produce(records),
      fetches: this.#fetches,
      onClosed: (m) => this.#members.delete(m),
    });
    this.#members.add(member);
    try {
      await member.start();
    } catch (error) {
      await member.close().catch(() => undefined);
      throw error;
    }
    return member;
  }

  async *readPartition(topic: string, partition: number, options: ReadOptions = {}): AsyncIterable<ConsumedRecord[]> {
    this.#checkOpen();
    const count = await this.partitionCount(topic);
    if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
      throw new RangeError(`readPartition: partition ${partition} is out of range for ${topic} (${count} partitions)`);
    }
    const [earliest, latest] = await Promise.all([-2n, -1n].map(async (timestamp) =>
      (await this.#reader.listOffsets({ topics: [topic], partitions: { [topic]: [partition] }, timestamp })).get(topic)?.[partition] ?? 0n));
    let position = BigInt(options.from ?? 0);
    if (position < earliest!) position = earliest!;
    const to = options.to === undefined ? latest! : BigInt(options.to);
    let failures = 0;
    while (position < to) {
      this.#checkOpen();
      let results;
      try {
        const metadata = await this.#reader.metadata({ topics: [topic] });
        const info = metadata.topics.get(topic);
        const leader = info?.partitions[partition]?.leader;
        if (!info || leader === undefined) throw new Error(`readPartition: no leader for ${topic}:${partition}`);
        const response = await this.#reader.fetch({
          node: leader,
          // Records below `to` exist, so the broker answers at once; the wait only matters past the end.
          maxWaitTime: Math.min(this.options.fetchMaxWaitMs, 50),
          maxBytes: this.options.fetchMaxBytes,
          topics: [{ topicId: info.id, partitions: [{ partition, fetchOffset: position, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: this.options.fetchMaxBytes }] }],
        });
        results = decodeFetch(response, info.id, topic, new Map([[partition, position]]));
        failures = 0;
      } catch (error) {
        if (++failures > 10) throw error;
        this.#reader.clearMetadata();
        await delay(200 * failures);
        continue;
      }
      const result = results[0];
      if (!result || result.nextOffset === undefined) {
        // Nothing more to read: the partition ends before `to`.
        if (!result || result.highWatermark <= position) return;
        continue;
      }
      position = result.nextOffset;
      const records = result.records.filter((r) => r.offset < Number(to));
      if (records.length > 0) yield records;
    }
  }

  async endOffsets(topic: string): Promise<number[]> {
    this.#checkOpen();
    const count = await this.partitionCount(topic);
    const partitions = Array.from({ length: count }, (_, i) => i);
    const offsets = await this.#reader.listOffsets({ topics: [topic], partitions: { [topic]: partitions }, timestamp: -1n });
    return partitions.map((p) => Number(offsets.get(topic)?.[p] ?? 0n));
  }

  writeStats(): WriteStats {
    return this.#sender.stats;
  }

  async committedOffsets(groupId: string, topic: string): Promise<number[]> {
    this.#checkOpen();
    // Offsets queued by this transport's members are sent first: a reader here never sees older ones.
    await Promise.all([...this.#members].filter((m) => m.groupId === groupId).map((m) => m.flushCommits().catch(() => undefined)));
    const count = await this.partitionCount(topic);
    const partitions = Array.from({ length: count }, (_, i) => i);
    const groups = await this.#admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: topic, partitionIndexes: partitions }] }] });
    const found = groups[0]?.topics.find((t) => t.name === topic)?.partitions ?? [];
    return partitions.map((p) => {
      const c = found.find((x) => x.partitionIndex === p)?.committedOffset;
      return c === undefined || c < 0n ? -1 : Number(c);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#members].map((m) => m.close()));
    const producer = this.#producer;
    this.#producer = undefined;
    await Promise.allSettled([
      producer ? withTimeout(producer.close(), 5000, 'closing the producer') : undefined,
      withTimeout(this.#admin.close(), 5000, 'closing the admin client'),
      withTimeout(this.#reader.close(), 5000, 'closing the reader'),
      withTimeout(this.#fetches.close(), 5000, 'closing the fetcher'),
    ]);
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('The Kafka transport is closed');
  }
}

function hasApiId(error: unknown, apiId: string): boolean {
  const e = error as { findBy?: (key: string, value: unknown) => unknown } | null;
  return typeof e?.findBy === 'function' && Boolean(e.findBy('apiId', apiId));
}
