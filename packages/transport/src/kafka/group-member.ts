import { Consumer as KafkaConsumer, type ConsumerGroupJoinPayload } from '@platformatic/kafka';
import { TransportError, TransportErrorReason } from '../embedded/errors.js';
import type { ConsumedRecord, Consumer, OffsetCommit, ProduceRecord, SubscribeOptions, TopicPartition } from '../types.js';
import { coPartitionedAssigner } from './co-partitioned-assigner.js';
import { toClientOptions, type ResolvedKafkaTransportOptions } from './options.js';
import { decodeFetch, delay, withTimeout, type FetchRequestTopic } from './records.js';

export interface GroupMemberDeps {
  options: ResolvedKafkaTransportOptions;
  produce(records: ProduceRecord[]): Promise<unknown>;
  onClosed(member: KafkaGroupMember): void;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * One consumer group member. Group membership (join, sync, heartbeat) is the client's; fetching is
 * ours, so that each partition is delivered in order and waits for its previous `onBatch`.
 *
 * Rebalances. The client speaks the classic (eager) protocol: a rebalance revokes everything. It
 * has no revoke callback; it emits `consumer:group:rebalance` when the coordinator asks members to
 * rejoin and `consumer:group:join` with the new assignment. Both are turned into lifecycle steps on
 * one queue: "revoke all" (stop fetching, wait for in-flight batches, `onRevoke`) and then "assign"
 * (look up committed offsets, `onAssign`, start fetching). A join that arrives without a preceding
 * rebalance signal (e.g. the session expired while the broker was down) revokes first as well.
 */
export class KafkaGroupMember implements Consumer {
  readonly groupId: string;
  readonly #sub: SubscribeOptions;
  readonly #deps: GroupMemberDeps;
  readonly #client: KafkaConsumer;
  readonly #maxBatch: number;
  #assigned: TopicPartition[] = [];
  #positions = new Map<string, bigint>();
  #busy = new Map<string, Promise<void>>();
  /** Bumped on every revoke: fetch results of an older epoch are dropped. */
  #epoch = 0;
  #delivering = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #lifecycle: Promise<void> = Promise.resolve();
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  readonly #stop = new AbortController();
  #joined!: () => void;
  /** When the coordinator last confirmed this membership (a heartbeat answered). */
  #confirmedAt = Date.now();
  /** Commits waiting for the next heartbeat: true when it confirms the membership, false when it is lost. */
  #confirmWaiters: ((member: boolean) => void)[] = [];
  /**
   * Set the moment the group moves to a new generation (a rebalance or a join), cleared once the
   * new assignment is in place. Meanwhile every output is refused: it was computed from the
   * partitions of the old generation, which may already belong to another member.
   */
  #fenced = false;
  #rejoining: Promise<void> | undefined;
  readonly #firstJoin = new Promise<void>((resolve) => (this.#joined = resolve));

  constructor(sub: SubscribeOptions, deps: GroupMemberDeps) {
    this.groupId = sub.groupId;
    this.#sub = sub;
    this.#deps = deps;
    this.#maxBatch = sub.maxBatch ?? 100;
    const o = deps.options;
    this.#client = new KafkaConsumer({
      ...toClientOptions(o, `consumer-${sub.groupId}`),
      groupId: sub.groupId,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      rebalanceTimeout: o.rebalanceTimeoutMs,
      partitionAssigner: coPartitionedAssigner,
      autocommit: false,
      maxWaitTime: o.fetchMaxWaitMs,
      maxBytes: o.fetchMaxBytes,
      minBytes: 1,
      metadataMaxAge: 2000,
    });
    this.#client.on('consumer:heartbeat:end', () => this.#settleConfirm(true));
    this.#client.on('consumer:rejoin', () => this.#settleConfirm(false));
    // The client stops heartbeating after a heartbeat fails on the network (a broker restart) and
    // never resumes: the membership is gone for the coordinator, so join again, until it works.
    this.#client.on('consumer:heartbeat:error', () => {
      this.#settleConfirm(false);
      this.#rejoin();
    });
    this.#client.on('consumer:group:rebalance', () => {
      this.#fenced = true;
      this.#settleConfirm(false);
      this.#enqueue(() => this.#revokeAll());
    });
    this.#client.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => {
      const assignments = payload.assignments ?? [];
      const parts = assignments.flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition })));
      // The membership is fresh, but a commit waiting from before belongs to the old generation.
      this.#fenced = true;
      this.#settleConfirm(false);
      this.#confirmedAt = Date.now();
      this.#enqueue(async () => {
        await this.#revokeAll();
        await this.#assign(parts);
      });
    });
    // Errors the client raises outside a call of ours (e.g. a failed rejoin).
    this.#client.on('error', (error: Error) => this.#reportError(error));
  }

  #rejoin(): void {
    if (this.#rejoining || this.#closed) return;
    this.#rejoining = (async () => {
      for (let attempt = 0; !this.#closed; attempt++) {
        try {
          await this.#client.joinGroup({});
          return;
        } catch {
          await delay(Math.min(200 * 2 ** attempt, 5000), this.#stop.signal);
        }
      }
    })().finally(() => {
      this.#rejoining = undefined;
    });
  }

  /** Joins the group and resolves after the first assignment was handed to `onAssign`. */
  async start(): Promise<void> {
    this.#client.topics.trackAll(...this.#sub.topics);
    await this.#client.joinGroup({});
    await this.#firstJoin;
    this.#loop = this.#fetchLoop();
  }

  assignments(): TopicPartition[] {
    return this.#assigned.map((tp) => ({ ...tp }));
  }

  async commit(offsets: OffsetCommit[], produce?: ProduceRecord[]): Promise<void> {
    if (this.#closed && !this.#closing) throw new Error(`commit: consumer of group ${this.groupId} is closed`);
    for (const [i, o] of offsets.entries()) {
      if (!Number.isInteger(o.offset) || o.offset < 0) throw new TypeError(`commit: offsets[${i}].offset must be a non-negative integer`);
      if (!this.#sub.topics.includes(o.topic)) throw new TypeError(`commit: offsets[${i}].topic ${o.topic} is not subscribed by this consumer`);
    }
    // At-least-once: the records are acknowledged before the offsets move, so a crash in between
    // redelivers the inputs (the consumers deduplicate) and never loses the outputs.
    if (produce && produce.length > 0) {
      this.#refuseIfFenced();
      await this.#confirmMembership();
      this.#refuseIfFenced();
      await this.#deps.produce(produce);
    }
    if (offsets.length === 0) return;
    await this.#client.commit({
      offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: -1 })),
    });
  }

  /**
   * Zombie fencing. A member that was paused (GC, SIGSTOP, a stalled VM) past the session timeout
   * has lost its partitions without knowing it: the next owner may already be writing. When the
   * last heartbeat answer is older than half the session timeout, the outputs wait for a fresh
   * one; if it reports the membership lost (rejoin, rebalance), the commit is refused, before
   * anything is produced. Cheap: a live member is confirmed every heartbeat interval.
   */
  async #confirmMembership(): Promise<void> {
    const o = this.#deps.options;
    if (Date.now() - this.#confirmedAt <= o.sessionTimeoutMs / 2) return;
    const member = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), o.sessionTimeoutMs);
      this.#confirmWaiters.push((ok) => {
        clearTimeout(timer);
        resolve(ok);
      });
    });
    this.#refuseIfFenced();
    if (!member) throw new Error(`commit: membership of group ${this.groupId} is no longer confirmed (fenced after a pause or a rebalance)`);
  }

  /** A definite refusal: the generation changed, so the caller's partitions are being revoked. */
  #refuseIfFenced(): void {
    if (!this.#fenced) return;
    throw new TransportError(TransportErrorReason.Fenced, `commit: group ${this.groupId} moved to a new generation; outputs of the old one are refused (no longer confirmed)`, { groupId: this.groupId });
  }

  #settleConfirm(member: boolean): void {
    if (member) this.#confirmedAt = Date.now();
    const waiters = this.#confirmWaiters;
    this.#confirmWaiters = [];
    for (const resolve of waiters) resolve(member);
  }

  close(): Promise<void> {
    this.#closing ??= this.#doClose();
    return this.#closing;
  }

  async #doClose(): Promise<void> {
    this.#closed = true;
    this.#stop.abort();
    this.#wake?.();
    this.#joined();
    this.#enqueue(() => this.#revokeAll());
    await this.#lifecycle;
    await this.#loop;
    try {
      await withTimeout(this.#client.close(), this.#deps.options.requestTimeoutMs, `leaving group ${this.groupId}`);
    } catch {
      // The broker is unreachable: the coordinator drops this member after the session timeout.
      await new Promise<void>((resolve) => this.#client.close(true, () => resolve()));
    }
    this.#deps.onClosed(this);
  }

  #enqueue(step: () => Promise<void>): void {
    this.#lifecycle = this.#lifecycle.then(step).catch((error: unknown) => this.#fail(error));
  }

  async #revokeAll(): Promise<void> {
    this.#epoch++;
    this.#delivering = false;
    const revoked = this.#assigned;
    if (revoked.length === 0) return;
    await Promise.allSettled(this.#busy.values());
    this.#assigned = [];
    this.#positions.clear();
    await this.#sub.onRevoke?.(revoked.map((tp) => ({ ...tp })));
  }

  async #assign(parts: TopicPartition[]): Promise<void> {
    if (this.#closed) return;
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of parts) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const positions = new Map<string, bigint>();
    if (byTopic.size > 0) {
      const committed = await this.#client.listCommittedOffsets({
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      });
      const missing = new Map<string, number[]>();
      for (const [topic, partitions] of byTopic) {
        const offs = committed.get(topic) ?? [];
        for (const p of partitions) {
          const c = offs[p] ?? -1n;
          if (c >= 0n) positions.set(key(topic, p), c);
          else missing.set(topic, [...(missing.get(topic) ?? []), p]);
        }
      }
      if (missing.size > 0) {
        const starts = await this.#client.listOffsets({
          topics: [...missing.keys()],
          partitions: Object.fromEntries(missing),
          timestamp: this.#sub.from === 'latest' ? -1n : -2n,
        });
        for (const [topic, partitions] of missing) {
          for (const p of partitions) positions.set(key(topic, p), starts.get(topic)?.[p] ?? 0n);
        }
      }
    }
    this.#assigned = parts.map((tp) => ({ ...tp }));
    this.#positions = positions;
    this.#fenced = false;
    await this.#sub.onAssign?.(this.assignments());
    this.#delivering = !this.#closed;
    this.#joined();
    this.#wake?.();
  }

  /** Fetches every assigned partition that is not busy with an `onBatch`, from each leader. */
  async #fetchLoop(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      const ready = this.#delivering ? this.#assigned.filter((tp) => !this.#busy.has(key(tp.topic, tp.partition))) : [];
      if (ready.length === 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          setTimeout(resolve, 1000).unref();
        });
        this.#wake = undefined;
        continue;
      }
      const epoch = this.#epoch;
      try {
        await this.#fetchOnce(ready, epoch);
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

  async #fetchOnce(ready: TopicPartition[], epoch: number): Promise<void> {
    const topics = [...new Set(ready.map((tp) => tp.topic))];
    const metadata = await this.#client.metadata({ topics });
    const byLeader = new Map<number, { request: FetchRequestTopic[]; ids: Map<string, string> }>();
    for (const tp of ready) {
      const info = metadata.topics.get(tp.topic);
      const leader = info?.partitions[tp.partition]?.leader;
      if (!info || leader === undefined) continue;
      let entry = byLeader.get(leader);
      if (!entry) byLeader.set(leader, (entry = { request: [], ids: new Map() }));
      entry.ids.set(info.id, tp.topic);
      entry.request.push({
        topicId: info.id,
        partitions: [{
          partition: tp.partition,
          fetchOffset: this.#positions.get(key(tp.topic, tp.partition)) ?? 0n,
          currentLeaderEpoch: -1,
          lastFetchedEpoch: -1,
          partitionMaxBytes: this.#deps.options.fetchMaxBytes,
        }],
      });
    }
    await Promise.all([...byLeader].map(async ([node, { request, ids }]) => {
      const requested = new Map(request.map((t) => [`${t.topicId}:${t.partitions[0]?.partition}`, t.partitions[0]?.fetchOffset ?? 0n]));
      const response = await this.#client.fetch({ node, topics: request, maxWaitTime: this.#deps.options.fetchMaxWaitMs });
      if (epoch !== this.#epoch || !this.#delivering) return;
      for (const [topicId, topic] of ids) {
        const from = new Map<number, bigint>();
        for (const [k, v] of requested) if (k.startsWith(`${topicId}:`)) from.set(Number(k.slice(topicId.length + 1)), v);
        for (const result of decodeFetch(response, topicId, topic, from)) {
          const k = key(topic, result.partition);
          if (result.nextOffset !== undefined) this.#positions.set(k, result.nextOffset);
          if (result.records.length > 0) this.#deliver(k, result.records, epoch);
        }
      }
    }));
  }

  #deliver(k: string, records: ConsumedRecord[], epoch: number): void {
    const run = (async () => {
      for (let i = 0; i < records.length; i += this.#maxBatch) {
        if (epoch !== this.#epoch) return;
        await this.#sub.onBatch(records.slice(i, i + this.#maxBatch));
      }
    })();
    this.#busy.set(k, run);
    run.then(
      () => {
        this.#busy.delete(k);
        this.#wake?.();
      },
      (error: unknown) => {
        this.#busy.delete(k);
        this.#fail(error);
      },
    );
  }

  #fail(error: unknown): void {
    this.#reportError(error instanceof Error ? error : new Error(String(error)));
    // A failed handler or lifecycle step stops this member; its partitions go to the others.
    void this.close().catch(() => undefined);
  }

  #reportError(error: Error): void {
    if (this.#sub.onError) this.#sub.onError(error);
    else process.emitWarning(`Kafka consumer of group ${this.groupId}: ${error.message}`);
  }
}
