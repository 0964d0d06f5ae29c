/**
 * Follows a shared read store: for every partition this gateway does not write itself, reads
 * what the store committed past what was already published here and publishes it to the live
 * subscribers. This is how a gateway that only reads (or writes some partitions) still pushes
 * every run's events live: it never reads the bus for them, and what it pushes is already in the
 * store, so a client's backlog query and its live events fit together.
 *
 * It polls every `intervalMs`, and at once when the store signals a commit (PostgreSQL
 * LISTEN/NOTIFY) or this gateway wrote a batch.
 */
import type { ReadModel } from '../read-model.js';
import type { ReadStore } from './types.js';

const PAGE = 500;

export interface StoreTailOptions {
  store: ReadStore;
  readModel: ReadModel;
  intervalMs: number;
  /** Partitions written by this gateway: their events are published by the writer. */
  owned(): readonly number[];
  /** The store holds every record of `partition` below `next`. */
  onCommitted(partition: number, next: number): void;
  onError(error: unknown): void;
}

export class StoreTail {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private unwatch: (() => void) | undefined;

  constructor(private readonly options: StoreTailOptions) {}

  start(): void {
    this.unwatch = this.options.store.watch?.(() => this.notifyWritten());
    this.schedule();
    this.notifyWritten();
  }

  /** Polls now (or right after the poll in progress). */
  notifyWritten(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.poll()
      .catch((error: unknown) => this.options.onError(error))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.notifyWritten();
        }
      });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.notifyWritten();
      this.schedule();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const { store, readModel } = this.options;
    const checkpoint = await store.checkpoint();
    const owned = new Set(this.options.owned());
    for (const [partition, committed] of checkpoint.entries()) {
      if (owned.has(partition)) {
        this.options.onCommitted(partition, committed);
        continue;
      }
      let from = readModel.currentPositions()[partition] ?? 0;
      while (!this.stopped && from < committed) {
        const page = (await store.partitionEvents(partition, from, PAGE)).filter((e) => e.offset < committed);
        const last = page.at(-1);
        const next = page.length === PAGE && last !== undefined ? last.offset + 1 : committed;
        if (owned.has(partition) || this.options.owned().includes(partition)) break;
        readModel.publish(partition, page, next);
        from = next;
      }
      this.options.onCommitted(partition, committed);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.unwatch?.();
    await this.running;
  }
}
