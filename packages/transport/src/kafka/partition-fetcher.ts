import { Consumer as KafkaConsumer } from '@platformatic/kafka';
import type { ConsumedRecord, TopicPartition } from '../types.js';
import { toClientOptions, type ResolvedKafkaTransportOptions } from './options.js';
import { decodeFetch, delay, type FetchRequestTopic } from './records.js';

export interface PartitionFetcherDeps {
  options: ResolvedKafkaTransportOptions;
  /** A name for the broker's logs. */
  label: string;
  maxBatch: number;
  onBatch(records: ConsumedRecord[]): Promise<void>;
  /** A failed `onBatch`: the member stops. */
  onFail(error: unknown): void;
}

/** Records buffered per partition before it is left out of the next fetch. */
const BUFFER_LIMIT = 2000;

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

interface PartitionState {
  tp: TopicPartition;
  /** The next offset to fetch: past everything buffered or delivered. */
  position: bigint;
  buffer: ConsumedRecord[];
  busy: Promise<void> | undefined;
}

/**
 * Fetches and delivers the partitions a group member owns, each in offset order, one `onBatch` at
 * a time per partition.
 *
 * Why it looks like this (each point removed a wait from the path of a record):
 * - It has its own client, hence its own connection: a broker serves one request at a time per
 *   connection, so a fetch waiting at the broker would hold back the member's commits and
 *   heartbeats, and they would hold back the fetch.
 * - Fetching is decoupled from delivery. Every owned partition stays in the fetch (until its
 *   buffer is full) while its handler runs, and the fetch waits at the broker only until the first
 *   byte arrives, so a record is on its way the moment it is written; `fetchMaxWaitMs` is only the
 *   idle poll. The records are buffered and handed over as soon as the partition's previous
 *   batch settles.
 * - A revoke bumps the epoch: what an older fetch returns is dropped.
 */
export class PartitionFetcher {
  readonly #deps: PartitionFetcherDeps;
  readonly #client: KafkaConsumer;
  #partitions = new Map<string, PartitionState>();
  #epoch = 0;
  #closed = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  readonly #stop = new AbortController();

  constructor(deps: PartitionFetcherDeps) {
    this.#deps = deps;
    const o = deps.options;
    this.#client = new KafkaConsumer({
      ...toClientOptions(o, `fetcher-${deps.label}`),
      // Never joins: the group member owns the membership; this client only fetches.
      groupId: `${o.clientId}-fetcher-unused`,
      maxWaitTime: o.fetchMaxWaitMs,
      maxBytes: o.fetchMaxBytes,
      minBytes: 1,
      metadataMaxAge: 2000,
    });
  }

  start(): void {
    this.#loop ??= this.#fetchLoop();
  }

  /** Starts fetching and delivering `positions` (the next offset of each partition). */
  assign(positions: { tp: TopicPartition; offset: bigint }[]): void {
    this.#partitions = new Map(positions.map(({ tp, offset }) => [key(tp.topic, tp.partition), { tp: { ...tp }, position: offset, buffer: [], busy: undefined }]));
    this.#wake?.();
  }

  /** Stops delivery of every partition and waits for the batches in progress. */
  async revoke(): Promise<void> {
    this.#epoch++;
    const busy = [...this.#partitions.values()].map((p) => p.busy).filter((b) => b !== undefined);
    this.#partitions = new Map();
    await Promise.allSettled(busy);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop.abort();
    this.#wake?.();
    await this.revoke();
    // A forced close ends a fetch still waiting at the broker.
    await new Promise<void>((resolve) => this.#client.close(true, () => resolve()));
    await this.#loop;
  }

  #fetchable(): PartitionState[] {
    return [...this.#partitions.values()].filter((p) => p.buffer.length < BUFFER_LIMIT);
  }

  async #fetchLoop(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      const ready = this.#fetchable();
      if (ready.length === 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          setTimeout(resolve, 1000).unref();
        });
        this.#wake = undefined;
        continue;
      }
      try {
        await this.#fetchOnce(ready, this.#epoch);
        failures = 0;
      } catch {
        if (this.#closed) break;
        failures++;
        this.#client.clearMetadata();
        // The broker may be restarting: back off, bounded, and try again.
        await delay(Math.min(200 * failures, 2000), this.#stop.signal);
      }
    }
  }

  async #fetchOnce(ready: PartitionState[], epoch: number): Promise<void> {
    const topics = [...new Set(ready.map((p) => p.tp.topic))];
    const metadata = await this.#client.metadata({ topics });
    const byLeader = new Map<number, { request: FetchRequestTopic[]; names: Map<string, string>; from: Map<string, Map<number, bigint>> }>();
    for (const p of ready) {
      const info = metadata.topics.get(p.tp.topic);
      const leader = info?.partitions[p.tp.partition]?.leader;
      if (!info || leader === undefined) continue;
      let entry = byLeader.get(leader);
      if (!entry) byLeader.set(leader, (entry = { request: [], names: new Map(), from: new Map() }));
      entry.names.set(info.id, p.tp.topic);
      let from = entry.from.get(info.id);
      if (!from) entry.from.set(info.id, (from = new Map()));
      from.set(p.tp.partition, p.position);
      entry.request.push({
        topicId: info.id,
        partitions: [{ partition: p.tp.partition, fetchOffset: p.position, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: this.#deps.options.fetchMaxBytes }],
      });
    }
    await Promise.all([...byLeader].map(async ([node, { request, names, from }]) => {
      const response = await this.#client.fetch({ node, topics: request, maxWaitTime: this.#deps.options.fetchMaxWaitMs });
      if (epoch !== this.#epoch || this.#closed) return;
      for (const [topicId, topic] of names) {
        for (const result of decodeFetch(response, topicId, topic, from.get(topicId) ?? new Map())) {
          const state = this.#partitions.get(key(topic, result.partition));
          if (!state) continue;
          if (result.nextOffset !== undefined) state.position = result.nextOffset;
          if (result.records.length === 0) continue;
          state.buffer.push(...result.records);
          this.#pump(state, epoch);
        }
      }
    }));
  }

  /** Hands the partition's next batch to `onBatch` unless one is in progress. */
  #pump(state: PartitionState, epoch: number): void {
    if (state.busy || state.buffer.length === 0 || epoch !== this.#epoch) return;
    const batch = state.buffer.splice(0, this.#deps.maxBatch);
    const wasFull = state.buffer.length + batch.length >= BUFFER_LIMIT;
    let run: Promise<void>;
    try {
      run = this.#deps.onBatch(batch);
    } catch (error) {
      run = Promise.reject(error);
    }
    state.busy = run;
    run.then(
      () => {
        state.busy = undefined;
        if (wasFull) this.#wake?.();
        this.#pump(state, epoch);
      },
      (error: unknown) => {
        state.busy = undefined;
        if (epoch === this.#epoch) this.#deps.onFail(error);
      },
    );
  }
}
