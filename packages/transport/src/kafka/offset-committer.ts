import type { OffsetCommit } from '../types.js';
import { partitionKey } from '../partition-key.js';

/**
 * Offset commits, batched and off the path of a record. `queue` returns at once; one commit
 * request is in flight per group member and the offsets queued meanwhile, of any partition, go
 * out together in the next one, the latest offset per partition winning (what sending them one
 * after the other would have left). A request starts at least `intervalMs` after the last one
 * started: under load a member commits a few times a second, not once per batch, which spares
 * the client and the broker a request per batch (at-least-once makes the wider window harmless).
 *
 * Why it is safe: the records a batch produced are acknowledged before its offsets are queued, so
 * offsets that never reach the broker (a crash, a rebalance) only make the inputs be delivered
 * again, which every consumer of the bus already tolerates (at-least-once; the engine keeps an
 * `applied` watermark). `flush` is awaited before partitions are given up (revoke, close) and
 * before committed offsets are read through the same transport, so nobody who asks sees stale ones.
 */
export class OffsetCommitter {
  #pending = new Map<string, OffsetCommit>();
  #inFlight: Promise<void> | undefined;
  #lastError: unknown;
  #lastSentAt = -Infinity;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (offsets: OffsetCommit[]) => Promise<void>,
    private readonly intervalMs = 0,
  ) {}

  queue(offsets: OffsetCommit[]): void {
    for (const o of offsets) this.#pending.set(partitionKey(o.topic, o.partition), o);
    this.#schedule();
  }

  /**
   * Resolves once every offset queued so far was sent; rejects with the error of the last failed
   * request (its offsets stay queued for the next attempt, unless newer ones replaced them).
   */
  async flush(): Promise<void> {
    this.#lastError = undefined;
    for (;;) {
      // No waiting out the interval here: what is queued goes now.
      this.#cancelTimer();
      if (!this.#inFlight) this.#next();
      const request = this.#inFlight;
      if (!request) break;
      await request;
      if (this.#lastError !== undefined) throw this.#lastError;
    }
  }

  /** Drops what is queued: the partitions moved to another member, whose commits count now. */
  clear(): void {
    this.#pending.clear();
    this.#cancelTimer();
  }

  /** The next request, now or once `intervalMs` has passed since the last one started. */
  #schedule(): void {
    if (this.#inFlight || this.#timer) return;
    const wait = this.#lastSentAt + this.intervalMs - Date.now();
    if (wait <= 0) {
      this.#next();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#inFlight) this.#next();
    }, wait);
    this.#timer.unref();
  }

  #cancelTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #next(): void {
    if (this.#pending.size === 0) return;
    this.#lastSentAt = Date.now();
    const offsets = [...this.#pending.values()];
    this.#pending = new Map();
    const request = this.send(offsets).then(
      () => true,
      (error: unknown) => {
        this.#lastError = error;
        // Kept for the next attempt, unless a newer offset of the same partition was queued.
        for (const o of offsets) {
          const k = partitionKey(o.topic, o.partition);
          if (!this.#pending.has(k)) this.#pending.set(k, o);
        }
        return false;
      },
    );
    this.#inFlight = request.then((ok) => {
      this.#inFlight = undefined;
      // After a failure the kept offsets wait for the next queue or flush: no retry loop here.
      if (ok) this.#schedule();
    });
  }
}
