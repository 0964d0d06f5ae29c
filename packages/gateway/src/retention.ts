/**
 * The read store's retention: runs that ended more than `runRetentionMs` ago (their last event's
 * time) are deleted from the store with their events and their share of the counters, so the
 * store, its lists and its counts follow the runs the engine still knows (the orchestrator
 * tombstones the same runs on `orch.state` after the same retention).
 *
 * A sweep deletes a slice of runs per transaction and yields to the event loop between slices:
 * the SQLite store is synchronous, and a slice is sized so that one holds the loop for a few ms
 * (`node bench/read-store-retention.mjs` measures it). It sweeps only once the store has caught
 * up with the bus: while it replays older history, a run's terminal event may be followed, later
 * in the log, by events that reopened it (a retry), and deleting it in between would leave them
 * without a view. Expired ids are remembered for one more retention, at least an hour (see
 * `fold.ts`), then
 * forgotten the same way, a slice at a time.
 */
import type { Logger } from 'pino';
import type { ReadStore } from './store/types.js';

/** Runs deleted per transaction. */
export const RETENTION_SLICE = 200;
/** Expired ids are remembered for one more retention, and at least this long. */
const MIN_REMEMBER_MS = 60 * 60_000;
/** Bounds one sweep, so a sweep that cannot keep up still returns and lets the next one go on. */
const MAX_SLICES_PER_SWEEP = 1000;

export interface RetentionSweepOptions {
  store: ReadStore;
  retentionMs: number;
  /** How often a sweep starts. */
  intervalMs: number;
  now: () => number;
  /** A sweep starts only when this is true (the store has caught up with the bus). */
  ready: () => boolean;
  logger: Logger;
  /** Called with the ids each slice deleted. */
  onExpired?: (runIds: readonly string[]) => void;
  /** @default RETENTION_SLICE */
  sliceRuns?: number;
}

export class RetentionSweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(private readonly options: RetentionSweepOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running !== undefined || !this.options.ready()) return;
      this.sweep().catch((error: unknown) => this.options.logger.warn({ err: error }, 'expiring runs from the read store failed; the next sweep tries again'));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /**
   * Deletes every run that ended more than the retention ago, a slice per transaction, and
   * forgets the expired ids older than a second retention. Resolves with the runs deleted. A
   * sweep already under way is joined rather than doubled.
   */
  sweep(): Promise<number> {
    this.running ??= this.sweepAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepAll(): Promise<number> {
    const { store, retentionMs, now, logger, onExpired } = this.options;
    const slice = this.options.sliceRuns ?? RETENTION_SLICE;
    const cutoff = now() - retentionMs;
    let deleted = 0;
    for (let i = 0; i < MAX_SLICES_PER_SWEEP && !this.stopped; i++) {
      const runIds = await store.expireRuns(cutoff, slice);
      deleted += runIds.length;
      if (runIds.length > 0) onExpired?.(runIds);
      if (runIds.length < slice) break;
      await yieldToLoop();
    }
    for (let i = 0; i < MAX_SLICES_PER_SWEEP && !this.stopped; i++) {
      if ((await store.forgetExpired(cutoff - Math.max(retentionMs, MIN_REMEMBER_MS), slice)) < slice) break;
      await yieldToLoop();
    }
    if (deleted > 0) logger.info({ runs: deleted, endedBefore: new Date(cutoff).toISOString() }, 'expired runs deleted from the read store');
    return deleted;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}

/** Lets timers and I/O run between two slices. */
function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
