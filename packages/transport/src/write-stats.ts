import type { WriteStats } from './types.js';

/** A write waiting in a bus's queue: when it was called, and its records. */
export interface QueuedAt {
  readonly queuedAt: number;
  readonly records: readonly unknown[];
}

/** The running totals of a bus's writes (see WriteStats), in `performance.now()` milliseconds. */
export class WriteTally {
  #writes = 0;
  #records = 0;
  #requests = 0;
  #queuedMs = 0;
  #requestMs = 0;

  /** These writes leave the queue at `now` for a request. */
  dequeued(writes: readonly QueuedAt[], now: number): void {
    for (const w of writes) {
      this.#writes += 1;
      this.#records += w.records.length;
      this.#queuedMs += now - w.queuedAt;
    }
  }

  /** One request, from its start to its acknowledgement. */
  requested(ms: number): void {
    this.#requests += 1;
    this.#requestMs += ms;
  }

  get stats(): WriteStats {
    return { writes: this.#writes, records: this.#records, requests: this.#requests, queuedMs: this.#queuedMs, requestMs: this.#requestMs };
  }
}

/** Several buses' (or clients') write counters as one, field by field. */
export function addWriteStats(all: readonly WriteStats[]): WriteStats {
  const sum: WriteStats = { writes: 0, records: 0, requests: 0, queuedMs: 0, requestMs: 0 };
  for (const s of all) for (const k of Object.keys(sum) as (keyof WriteStats)[]) sum[k] += s[k];
  return sum;
}
