import { Consumer as KafkaConsumer, type ConsumerGroupJoinPayload } from '@platformatic/kafka';
import { TransportError, TransportErrorReason } from '../embedded/errors.js';
import type { Consumer, OffsetCommit, ProduceRecord, SubscribeOptions, TopicPartition } from '../types.js';
import { coPartitionedAssigner } from './co-partitioned-assigner.js';
import { OffsetCommitter } from './offset-committer.js';
import { toClientOptions, type ResolvedKafkaTransportOptions } from './options.js';
import type { FetchSession, PartitionFetcher } from './partition-fetcher.js';
import { delay } from './records.js';
import { withTimeout } from '../with-timeout.js';

export interface GroupMemberDeps {
  options: ResolvedKafkaTransportOptions;
  produce(records: ProduceRecord[]): Promise<unknown>;
  /** The transport's fetches, which this member's partitions join. */
  fetches: FetchSession;
  onClosed(member: KafkaGroupMember): void;
}

/**
 * One consumer group member. Group membership (join, sync, heartbeat) and commits are the client's;
 * fetching and delivery are the PartitionFetcher's, in the fetches its transport's members share
 * on a connection of their own, so that each partition is delivered in order, one `onBatch` at a
 * time, and no fetch waits behind a commit.
 *
 * Rebalances. The client speaks the classic (eager) protocol: a rebalance revokes everything. It
 * has no revoke callback; it emits `consumer:group:rebalance` when the coordinator asks members to
 * rejoin and `consumer:group:join` with the new assignment. Both are turned into lifecycle steps on
 * one queue: "revoke all" (stop fetching, wait for in-flight batches, `onRevoke`) and then "assign"
 * (look up committed offsets, `onAssign`, start delivering). A join that arrives without a preceding
 * rebalance signal (e.g. the session expired while the broker was down) revokes first as well.
 */
export class KafkaGroupMember implements Consumer {
  readonly groupId: string;
  readonly #sub: SubscribeOptions;
  readonly #deps: GroupMemberDeps;
  readonly #client: KafkaConsumer;
  readonly #fetcher: PartitionFetcher;
  readonly #committer: OffsetCommitter;
  #assigned: TopicPartition[] = [];
  #closed = false;
  #closing: Promise<void> | undefined;
  #lifecycle: Promise<void> = Promise.resolve();
  readonly #stop = new AbortController();
  /** When the coordinator last confirmed this membership (a heartbeat answered). */
  #confirmedAt = Date.now();
  /**
   * Commits waiting for a heartbeat answer, with the time each started waiting: true when a
   * heartbeat sent since then confirms the membership, false when it is lost.
   */
  #confirmWaiters: { since: number; resolve: (member: boolean) => void }[] = [];
  /** When the heartbeat whose answer comes next was sent. */
  #heartbeatSentAt = 0;
  /**
   * Set the moment the group moves to a new generation (a rebalance or a join), cleared once the
   * new assignment is in place. Meanwhile every output is refused: it was computed from the
   * partitions of the old generation, which may already belong to another member.
   */
  #fenced = false;
  #rejoining: Promise<void> | undefined;
  readonly #firstJoin = Promise.withResolvers<void>();

  constructor(sub: SubscribeOptions, deps: GroupMemberDeps) {
    this.groupId = sub.groupId;
    this.#sub = sub;
    this.#deps = deps;
    const o = deps.options;
    this.#fetcher = deps.fetches.fetcher({
      group: sub.groupId,
      maxBatch: sub.maxBatch ?? 100,
      onBatch: (records) => sub.onBatch(records),
      onFail: (error) => this.#fail(error),
    });
    this.#committer = new OffsetCommitter(async (offsets) => {
      await this.#client.commit({
        offsets: offsets.map((c) => ({ topic: c.topic, partition: c.partition, offset: BigInt(c.offset), leaderEpoch: -1 })),
      });
    }, o.commitIntervalMs);
    this.#client = new KafkaConsumer({
      ...toClientOptions(o, `consumer-${sub.groupId}`),
      groupId: sub.groupId,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      rebalanceTimeout: o.rebalanceTimeoutMs,
      partitionAssigner: coPartitionedAssigner,
      autocommit: false,
      metadataMaxAge: 2000,
    });
    this.#client.on('consumer:heartbeat:start', () => {
      this.#heartbeatSentAt = Date.now();
    });
    // Only a heartbeat sent after a commit began waiting confirms it: an answer to one sent before
    // a pause (buffered while the process was stopped) says nothing about the membership now.
    this.#client.on('consumer:heartbeat:end', () => this.#settleConfirm(true, this.#heartbeatSentAt));
    this.#client.on('consumer:rejoin', () => this.#settleConfirm(false));
    // Either report may mean the membership is gone: commits waiting are refused, and the member
    // joins again, until it works.
    const membershipInDoubt = (): void => {
      this.#settleConfirm(false);
      this.#rejoin();
    };
    // A heartbeat that fails on the network (a broker restart) may come back to a membership the
    // coordinator dropped meanwhile.
    this.#client.on('consumer:heartbeat:error', membershipInDoubt);
    // The client rejoins by itself when the coordinator says the membership is gone (a member
    // paused past its session timeout), but gives up after a few tries, or at once on an error it
    // does not retry, and then heartbeats no more: it only reports the stall, a rebalance timeout
    // later. Without this the member would never own a partition again.
    this.#client.on('consumer:heartbeat:stalled', membershipInDoubt);
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
    await this.#firstJoin.promise;
    this.#fetcher.start();
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
    this.#committer.queue(offsets);
  }

  /** Sends the offsets queued by `commit` and waits for the broker's answer. */
  flushCommits(): Promise<void> {
    return this.#committer.flush();
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
      this.#confirmWaiters.push({
        since: Date.now(),
        resolve: (ok) => {
          clearTimeout(timer);
          resolve(ok);
        },
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

  #settleConfirm(member: boolean, sentAt = Date.now()): void {
    if (member) this.#confirmedAt = Math.max(this.#confirmedAt, sentAt);
    const settled = member ? this.#confirmWaiters.filter((w) => w.since <= sentAt) : this.#confirmWaiters;
    this.#confirmWaiters = member ? this.#confirmWaiters.filter((w) => w.since > sentAt) : [];
    for (const w of settled) w.resolve(member);
  }

  close(): Promise<void> {
    this.#closing ??= this.#doClose();
    return this.#closing;
  }

  async #doClose(): Promise<void> {
    this.#closed = true;
    this.#stop.abort();
    this.#firstJoin.resolve();
    this.#enqueue(() => this.#revokeAll());
    await this.#lifecycle;
    await this.#fetcher.close();
    await this.#committer.flush().catch(() => undefined);
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
    const revoked = this.#assigned;
    await this.#fetcher.revoke();
    if (revoked.length === 0) return;
    this.#assigned = [];
    await this.#sub.onRevoke?.(revoked.map((tp) => ({ ...tp })));
    // A failed flush (the generation moved on) only means redelivery to the next owner.
    await this.#committer.flush().catch(() => undefined);
    this.#committer.clear();
  }

  async #assign(parts: TopicPartition[]): Promise<void> {
    if (this.#closed) return;
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of parts) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const positions: { tp: TopicPartition; offset: bigint }[] = [];
    if (byTopic.size > 0) {
      const committed = await this.#client.listCommittedOffsets({
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      });
      const missing = new Map<string, number[]>();
      for (const [topic, partitions] of byTopic) {
        const offs = committed.get(topic) ?? [];
        for (const p of partitions) {
          const c = offs[p] ?? -1n;
          if (c >= 0n) positions.push({ tp: { topic, partition: p }, offset: c });
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
          for (const p of partitions) positions.push({ tp: { topic, partition: p }, offset: starts.get(topic)?.[p] ?? 0n });
        }
      }
    }
    this.#assigned = parts.map((tp) => ({ ...tp }));
    this.#fenced = false;
    await this.#sub.onAssign?.(this.assignments());
    if (!this.#closed) this.#fetcher.assign(positions);
    this.#firstJoin.resolve();
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
