import { randomUUID } from 'node:crypto';
import type { ConsumedRecord, Consumer, OffsetCommit, ProduceRecord, SubscribeOptions, TopicPartition } from '../types.js';
import { TransportError, TransportErrorReason } from './errors.js';
import type { ConsumerGroup, GroupMember } from './group.js';
import type { LogStore } from './store.js';
import { partitionKey } from '../partition-key.js';
import type { WakeSignal } from './wake-signal.js';

/** A batch stops growing past this many bytes, so a few large values do not form a huge batch. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

export interface ConsumerContext {
  readonly store: LogStore;
  readonly wake: WakeSignal;
  readonly pollIntervalMs: number;
  /** Appends records (and commits offsets) in one transaction, then wakes readers. */
  write(records: ProduceRecord[], commit: { groupId: string; offsets: OffsetCommit[] } | null): Promise<unknown>;
}

interface PartitionLoop {
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

let memberSequence = 0;

/**
 * One member of a consumer group. Each owned partition has its own delivery loop: it reads up to
 * `maxBatch` records after its position, advances the position (like Kafka's fetch position) and
 * awaits `onBatch` before reading again, so partitions never wait on each other. Committing is
 * explicit; a new owner starts from the committed offset.
 *
 * Do not await `close()` inside `onBatch`: a rebalance waits for the batch in flight to settle.
 */
export class EmbeddedConsumer implements Consumer, GroupMember {
  readonly memberId: string;
  readonly topics: readonly string[];
  private owned: TopicPartition[] = [];
  private readonly loops = new Map<string, PartitionLoop>();
  private state: 'active' | 'closing' | 'closed' = 'active';
  private closing: Promise<void> | null = null;
  private readonly maxBatch: number;

  constructor(
    private readonly ctx: ConsumerContext,
    private readonly group: ConsumerGroup,
    private readonly options: SubscribeOptions,
    private readonly onClosed: (consumer: EmbeddedConsumer) => void,
  ) {
    this.memberId = `member-${String(++memberSequence).padStart(8, '0')}-${randomUUID().slice(0, 8)}`;
    this.topics = [...new Set(options.topics)];
    this.maxBatch = options.maxBatch ?? 100;
  }

  get groupId(): string {
    return this.group.groupId;
  }

  assignments(): TopicPartition[] {
    return this.owned.map((tp) => ({ ...tp }));
  }

  async commit(offsets: OffsetCommit[], produce?: ProduceRecord[]): Promise<void> {
    if (this.state === 'closed') {
      throw new TransportError(TransportErrorReason.Closed, `Consumer ${this.memberId} of group "${this.groupId}" is closed`, { groupId: this.groupId });
    }
    if (!Array.isArray(offsets)) throw new TransportError(TransportErrorReason.InvalidArgument, 'offsets must be an array');
    for (const o of offsets) {
      if (!this.owned.some((tp) => tp.topic === o?.topic && tp.partition === o.partition)) {
        throw new TransportError(
          TransportErrorReason.Fenced,
          `Consumer ${this.memberId} of group "${this.groupId}" does not own ${String(o?.topic)}/${String(o?.partition)}; the commit is refused`,
          { groupId: this.groupId, topic: o?.topic, partition: o?.partition },
        );
      }
    }
    await this.ctx.write(produce ?? [], { groupId: this.groupId, offsets });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state = 'closing';
      try {
        await this.group.leave(this);
      } finally {
        this.state = 'closed';
        this.onClosed(this);
      }
    })();
    return this.closing;
  }

  async revokeAll(): Promise<void> {
    const loops = [...this.loops.values()];
    this.loops.clear();
    for (const loop of loops) loop.abort.abort();
    await Promise.all(loops.map((l) => l.done));
    const revoked = this.owned;
    if (revoked.length > 0) {
      try {
        await this.options.onRevoke?.(revoked.map((tp) => ({ ...tp })));
      } catch (error) {
        this.report(error);
      }
    }
    this.owned = [];
  }

  async assign(partitions: TopicPartition[]): Promise<void> {
    this.owned = partitions.map((tp) => ({ ...tp }));
    try {
      await this.options.onAssign?.(this.assignments());
    } catch (error) {
      this.report(error);
    }
    if (this.state !== 'active') return;
    for (const tp of this.owned) {
      const abort = new AbortController();
      this.loops.set(partitionKey(tp.topic, tp.partition), { abort, done: this.deliver(tp, abort.signal) });
    }
  }

  private async deliver(tp: TopicPartition, signal: AbortSignal): Promise<void> {
    const { store, wake, pollIntervalMs } = this.ctx;
    try {
      const committed = store.committed(this.groupId, tp.topic)[tp.partition];
      let position = committed?.offset ?? (this.options.from === 'latest' ? store.endOffset(tp.topic, tp.partition) : 0);
      while (!signal.aborted) {
        const batch: ConsumedRecord[] = store.read(tp.topic, tp.partition, position, Number.MAX_SAFE_INTEGER, this.maxBatch, MAX_BATCH_BYTES);
        const last = batch.at(-1);
        if (last === undefined) {
          await wake.wait(partitionKey(tp.topic, tp.partition), pollIntervalMs, signal);
          continue;
        }
        position = last.offset + 1;
        await this.options.onBatch(batch);
      }
    } catch (error) {
      // A failing handler stops this consumer: it leaves the group so its partitions move on.
      this.report(error);
      void this.close();
    }
  }

  private report(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    if (this.options.onError !== undefined) {
      try {
        this.options.onError(err);
      } catch {
        // an error handler that throws must not take the consumer down with it
      }
    } else {
      process.emitWarning(err.message, { code: 'ORCH_TRANSPORT', detail: `consumer group "${this.groupId}"` });
    }
  }
}
