import type { Consumer } from '@orchestrator-lite/transport';

/** How long an offset waits before it is committed with the others that came meanwhile. */
export const LAZY_COMMIT_MS = 1000;

/**
 * Commits the read store's progress to the bus in the background, at most once every `intervalMs`,
 * the latest offset of each partition in one write. That commit only says where a restarted or
 * new owner starts reading: the store's checkpoint is the truth, and what it already holds is
 * skipped. So no batch waits for it, and a batch of a few events does not cost a write of its own
 * (a commit per batch was a third of the bus writes of an engine step).
 */
export class LazyCommit {
  readonly #pending = new Map<number, number>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly consumer: () => Consumer | undefined,
    private readonly topic: string,
    private readonly onError: (error: unknown, partitions: number[]) => void,
    private readonly intervalMs = LAZY_COMMIT_MS,
  ) {}

  /** `offset` is the partition's next offset to read: it goes out with the next commit. */
  note(partition: number, offset: number): void {
    this.#pending.set(partition, offset);
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => void this.flush(), this.intervalMs);
    this.#timer.unref();
  }

  /** Commits what is pending now, for the partitions the consumer still owns; resolves when written (or failed). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const consumer = this.consumer();
    if (consumer === undefined || this.#pending.size === 0) return this.#flushing;
    const owned = new Set(consumer.assignments().filter((tp) => tp.topic === this.topic).map((tp) => tp.partition));
    const offsets = [...this.#pending].filter(([p]) => owned.has(p)).map(([partition, offset]) => ({ topic: this.topic, partition, offset }));
    this.#pending.clear();
    if (offsets.length === 0) return this.#flushing;
    // One at a time, in order: a later commit never lands before an earlier one.
    this.#flushing = this.#flushing.then(() =>
      consumer.commit(offsets).catch((error: unknown) =>
        this.onError(
          error,
          offsets.map((o) => o.partition),
        ),
      ),
    );
    return this.#flushing;
  }
}
