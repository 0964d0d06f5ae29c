import { Consumer as KafkaConsumer } from '@platformatic/kafka';
import type { ConsumedRecord, TopicPartition } from '../types.js';
import { partitionKey } from '../partition-key.js';
import { toClientOptions, type ResolvedKafkaTransportOptions } from './options.js';
import { publishRead, tracingLegs } from './record-legs.js';
import { decodeFetch, delay, type FetchRequestTopic } from './records.js';

export interface PartitionFetcherDeps {
  /** The member's group, which names it in the record legs (record-legs.ts). */
  group: string;
  maxBatch: number;
  onBatch(records: ConsumedRecord[]): Promise<void>;
  /** A failed `onBatch`: the member stops. */
  onFail(error: unknown): void;
}

/** Records buffered per partition before it is left out of the next fetch. */
const BUFFER_LIMIT = 2000;

interface PartitionState {
  tp: TopicPartition;
  /** The next offset to fetch: past everything buffered or delivered. */
  position: bigint;
  buffer: ConsumedRecord[];
  busy: Promise<void> | undefined;
}

/** A partition in a fetch request: its owner and its state then (an assignment since replaces the state). */
interface Fetched {
  fetcher: PartitionFetcher;
  state: PartitionState;
}

/** A partition in one fetch: the lowest position its readers asked for, and who they are. */
interface FetchTarget {
  topic: string;
  topicId: string;
  partition: number;
  from: bigint;
  wanted: Fetched[];
}

/**
 * The fetches of every group member of one transport: one client, one connection, one request per
 * leader for all the partitions the members own.
 *
 * Why it looks like this (each point removed a wait or a request from the path of a record):
 * - It has its own client, hence its own connection: a broker serves one request at a time per
 *   connection, so a fetch waiting at the broker would hold back the members' commits and
 *   heartbeats, and they would hold back the fetch.
 * - One fetch serves every member. A fetch returns as soon as one of its partitions has a record,
 *   so members that fetched apart (the orchestrator, the worker and the gateway of one process)
 *   each sent a request for every few records; measured with every role in one process on a
 *   local broker, fetches were two thirds of the requests, and the broker's request threads used
 *   as much CPU as the engine. A partition two members read (two groups) is fetched once, from the
 *   lower position, and each gets the records from its own.
 * - Fetching is decoupled from delivery. Every owned partition stays in the fetch (until its
 *   buffer is full) while its handler runs, and the fetch waits at the broker only until the first
 *   byte arrives, so a record is on its way the moment it is written; `fetchMaxWaitMs` is only the
 *   idle poll. The records are buffered and handed over as soon as the partition's previous
 *   batch settles.
 * - A partition assigned while the fetch waits at the broker is not left to wait for it: an
 *   express fetch, on a second connection, reads the partitions that fetch does not hold until it
 *   returns and the next one holds them. Without it, a member that joined an idle session got its
 *   first records only when the others' fetch timed out, up to `fetchMaxWaitMs` later.
 */
export class FetchSession {
  readonly #options: ResolvedKafkaTransportOptions;
  readonly #client: KafkaConsumer;
  /** The express fetches' client, made at the first one. */
  #expressClient: KafkaConsumer | undefined;
  readonly #fetchers = new Set<PartitionFetcher>();
  /** The partition states of the fetch waiting at the broker now, if one is. */
  #fetching: ReadonlySet<PartitionState> | undefined;
  #express: Promise<void> | undefined;
  /** States an express fetch got nothing for (or failed on) during the current fetch: left to the next one. */
  readonly #expressIdle = new Set<PartitionState>();
  #closed = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  /** Counts the fetches, to rotate the order of their partitions. */
  #turn = 0;
  readonly #stop = new AbortController();

  constructor(options: ResolvedKafkaTransportOptions) {
    this.#options = options;
    this.#client = fetchClient(options, 'fetcher');
  }

  /** A fetcher for one group member: once started, what it is assigned joins the session's fetches. */
  fetcher(deps: PartitionFetcherDeps): PartitionFetcher {
    const fetcher = new PartitionFetcher(deps, {
      start: () => {
        if (!this.#closed) this.#loop ??= this.#fetchLoop();
        this.#wake?.();
        this.#expressIfNeeded();
      },
      wake: () => {
        this.#wake?.();
        this.#expressIfNeeded();
      },
      leave: (f) => this.#fetchers.delete(f),
    });
    this.#fetchers.add(fetcher);
    return fetcher;
  }

  /** Stops fetching; the members are closed first (their batches in progress settle there). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop.abort();
    this.#wake?.();
    // A forced close ends a fetch still waiting at the broker.
    const clients = [this.#client, this.#expressClient].filter((c) => c !== undefined);
    await Promise.all(clients.map((c) => new Promise<void>((resolve) => c.close(true, () => resolve()))));
    await Promise.all([this.#loop, this.#express]);
  }

  #fetchable(): Fetched[] {
    const out: Fetched[] = [];
    for (const fetcher of this.#fetchers) out.push(...fetcher.fetchable());
    return out;
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
        this.#fetching = new Set(ready.map((f) => f.state));
        this.#expressIdle.clear();
        // Cleared as the fetch settles: none waits during a back-off, and an assignment then waits for the next.
        await this.#fetchOnce(this.#client, ready).finally(() => (this.#fetching = undefined));
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

  /**
   * Starts an express fetch of the fetchable partitions that the fetch waiting at the broker does
   * not hold, unless one runs. While it brings records, the next starts when it ends; one that
   * brings none (it waited as long as the other, or failed) leaves its partitions to the loop's
   * next fetch. What both fetches return for a partition is delivered once: each member takes
   * records from its own position on.
   */
  #expressIfNeeded(): void {
    if (this.#closed || this.#express !== undefined) return;
    const fetching = this.#fetching;
    if (fetching === undefined) return;
    const missing = this.#fetchable().filter((f) => !fetching.has(f.state) && !this.#expressIdle.has(f.state));
    if (missing.length === 0) return;
    const client = (this.#expressClient ??= fetchClient(this.#options, 'fetcher-express'));
    this.#express = this.#fetchOnce(client, missing)
      .catch(() => {
        client.clearMetadata();
        return 0;
      })
      .then((records) => {
        if (records === 0 && this.#fetching === fetching) for (const f of missing) this.#expressIdle.add(f.state);
        this.#express = undefined;
        this.#expressIfNeeded();
      });
  }

  /** One fetch of `fetchable`, a request per leader; resolves with the number of records it brought. */
  async #fetchOnce(client: KafkaConsumer, fetchable: Fetched[]): Promise<number> {
    // A broker fills a response in request order, and one partition may fill it: each fetch starts
    // one partition further on, so that a member catching up on a backlog (a gateway after a
    // restart, say) holds back no other member's partitions for more than a few fetches.
    const turn = this.#turn++ % fetchable.length;
    const ready = [...fetchable.slice(turn), ...fetchable.slice(0, turn)];
    const topics = [...new Set(ready.map((f) => f.state.tp.topic))];
    const metadata = await client.metadata({ topics });
    // Per leader, per partition: who wants it, and the lowest position among them.
    const byLeader = new Map<number, Map<string, FetchTarget>>();
    for (const f of ready) {
      const { topic, partition } = f.state.tp;
      const info = metadata.topics.get(topic);
      const leader = info?.partitions[partition]?.leader;
      if (!info || leader === undefined) continue;
      let partitions = byLeader.get(leader);
      if (!partitions) byLeader.set(leader, (partitions = new Map()));
      const k = partitionKey(topic, partition);
      const entry = partitions.get(k);
      if (entry === undefined) partitions.set(k, { topic, topicId: info.id, partition, from: f.state.position, wanted: [f] });
      else {
        entry.wanted.push(f);
        if (f.state.position < entry.from) entry.from = f.state.position;
      }
    }
    const counts = await Promise.all([...byLeader].map(([node, partitions]) => this.#fetchFrom(client, node, [...partitions.values()])));
    return counts.reduce((a, b) => a + b, 0);
  }

  async #fetchFrom(client: KafkaConsumer, node: number, partitions: FetchTarget[]): Promise<number> {
    const byTopic = new Map<string, { topic: string; from: Map<number, bigint>; request: FetchRequestTopic }>();
    const wanted = new Map<string, Fetched[]>();
    const maxBytes = this.#options.fetchMaxBytes;
    for (const p of partitions) {
      let t = byTopic.get(p.topicId);
      if (!t) byTopic.set(p.topicId, (t = { topic: p.topic, from: new Map(), request: { topicId: p.topicId, partitions: [] } }));
      t.from.set(p.partition, p.from);
      t.request.partitions.push({ partition: p.partition, fetchOffset: p.from, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: maxBytes });
      wanted.set(partitionKey(p.topic, p.partition), p.wanted);
    }
    const response = await client.fetch({ node, topics: [...byTopic.values()].map((t) => t.request), maxWaitTime: this.#options.fetchMaxWaitMs });
    if (this.#closed) return 0;
    let records = 0;
    for (const [topicId, { topic, from }] of byTopic) {
      for (const result of decodeFetch(response, topicId, topic, from)) {
        records += result.records.length;
        for (const f of wanted.get(partitionKey(topic, result.partition)) ?? []) f.fetcher.fetched(f, result.records, result.nextOffset);
      }
    }
    return records;
  }
}

/** A client that only fetches, on connections of its own. */
function fetchClient(options: ResolvedKafkaTransportOptions, role: string): KafkaConsumer {
  return new KafkaConsumer({
    ...toClientOptions(options, role),
    // Never joins: the group members own the memberships; this client only fetches.
    groupId: `${options.clientId}-${role}-unused`,
    maxWaitTime: options.fetchMaxWaitMs,
    maxBytes: options.fetchMaxBytes,
    minBytes: 1,
    metadataMaxAge: 2000,
  });
}

/** What a member's fetcher asks of its session. */
interface SessionLink {
  /** Starts the session's loop if it is not running, and has it fetch this member's partitions. */
  start(): void;
  /** Ends a fetch waiting for work: a partition was assigned, or a full buffer drained. */
  wake(): void;
  leave(fetcher: PartitionFetcher): void;
}

/**
 * The partitions one group member owns, each delivered in offset order, one `onBatch` at a time per
 * partition. A revoke bumps the epoch, which ends the deliveries under way, and replaces the
 * partitions' states, so that what an older fetch returns is dropped.
 */
export class PartitionFetcher {
  readonly #deps: PartitionFetcherDeps;
  readonly #session: SessionLink;
  #partitions = new Map<string, PartitionState>();
  #epoch = 0;
  #started = false;
  #closed = false;

  constructor(deps: PartitionFetcherDeps, session: SessionLink) {
    this.#deps = deps;
    this.#session = session;
  }

  /** Delivery begins: the assigned partitions join the session's fetches. */
  start(): void {
    if (this.#closed || this.#started) return;
    this.#started = true;
    this.#session.start();
  }

  /** Starts fetching and delivering `positions` (the next offset of each partition). */
  assign(positions: { tp: TopicPartition; offset: bigint }[]): void {
    if (this.#closed) return;
    this.#partitions = new Map(positions.map(({ tp, offset }) => [partitionKey(tp.topic, tp.partition), { tp: { ...tp }, position: offset, buffer: [], busy: undefined }]));
    this.#session.wake();
  }

  /** Stops delivery of every partition and waits for the batches in progress. */
  async revoke(): Promise<void> {
    this.#epoch++;
    const busy = [...this.#partitions.values()].map((p) => p.busy).filter((b) => b !== undefined);
    this.#partitions = new Map();
    await Promise.allSettled(busy);
  }

  /** Leaves the session for good, once the batches in progress settled. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.revoke();
    this.#session.leave(this);
  }

  /** The partitions to fetch now: those whose buffer is not full. */
  fetchable(): Fetched[] {
    const out: Fetched[] = [];
    if (!this.#started) return out;
    for (const state of this.#partitions.values()) if (state.buffer.length < BUFFER_LIMIT) out.push({ fetcher: this, state });
    return out;
  }

  /** What a fetch returned for one of its partitions, from the lowest position any member asked for. */
  fetched(f: Fetched, records: ConsumedRecord[], nextOffset: bigint | undefined): void {
    const { state } = f;
    // A revoke or a new assignment since the request replaced the state: the records are not this member's now.
    if (this.#partitions.get(partitionKey(state.tp.topic, state.tp.partition)) !== state) return;
    const from = state.position;
    if (nextOffset !== undefined && nextOffset > state.position) state.position = nextOffset;
    const own = records.length > 0 && BigInt(records[0]!.offset) < from ? records.filter((r) => BigInt(r.offset) >= from) : records;
    if (own.length === 0) return;
    if (tracingLegs()) publishRead('fetched', this.#deps.group, own);
    state.buffer.push(...own);
    this.#pump(state, this.#epoch);
  }

  /** Hands the partition's next batch to `onBatch` unless one is in progress. */
  #pump(state: PartitionState, epoch: number): void {
    if (state.busy || state.buffer.length === 0 || epoch !== this.#epoch) return;
    const batch = state.buffer.splice(0, this.#deps.maxBatch);
    const wasFull = state.buffer.length + batch.length >= BUFFER_LIMIT;
    if (tracingLegs()) publishRead('delivered', this.#deps.group, batch);
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
        if (wasFull) this.#session.wake();
        this.#pump(state, epoch);
      },
      (error: unknown) => {
        state.busy = undefined;
        if (epoch === this.#epoch) this.#deps.onFail(error);
      },
    );
  }
}
