/**
 * The gateway's read model: a read store (SQLite or PostgreSQL, see `store/`) for what has
 * happened, and in memory only what is live: the subscribers of the stream, the runs submitted
 * here whose RunStarted has not been seen yet, and the store's bounded cache.
 *
 * Events reach subscribers through `publish` as soon as the store has accepted them and no code
 * of this thread can read the store without them: after the commit, or, for a store written on
 * this thread, within its synchronous transaction (see `ReadStore.applyBatch`); by the projection
 * that wrote them, or by the tail that read them back from a shared store. A subscriber that reads
 * a backlog from the store and hears live events therefore misses nothing: every event is either
 * in the store before its backlog query or published after it registered.
 */
import { RUN_STATUSES, STEP_STATUSES } from '@orchestrator-lite/core/projection';
import type { RunStatus, RunSummary, RunView, StepStatus } from '@orchestrator-lite/core/projection';
import type { ReadStore, RunListPosition, RunListQuery, StoredEvent } from './store/types.js';
import { zeroCounts } from './store/types.js';
import { encodeStreamCursor } from './stream-cursor.js';

export type { RunListPosition, RunListQuery, StoredEvent } from './store/types.js';

export type EventListener = (entry: StoredEvent) => void;

export interface RunListPage {
  items: RunSummary[];
  /** The last item's position when more items follow, else null. */
  next: RunListPosition | null;
  /** Runs per status among those matching `workflow` (the status filter is not applied). */
  counts: Record<RunStatus, number>;
}

const TERMINAL: ReadonlySet<RunStatus> = new Set<RunStatus>(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL.has(status);
}

/**
 * Calls each of `listeners` (those registered when the call starts) with `value`. A listener's
 * failure (e.g. a closed socket) stops neither the others nor the projection.
 */
function callEach<T>(listeners: ReadonlySet<(value: T) => void> | undefined, value: T): void {
  if (listeners === undefined) return;
  for (const listener of [...listeners]) {
    try {
      listener(value);
    } catch {
      // The projection goes on.
    }
  }
}

/** Placeholders older than this are dropped: their StartRun was lost or went to another gateway's store. */
const PLACEHOLDER_TTL_MS = 10 * 60_000;
/** At most this many submitted-but-unstarted runs are remembered. */
const MAX_PLACEHOLDERS = 10_000;

export class ReadModel {
  /** Runs submitted here whose RunStarted has not been published yet, with when they were added. */
  private readonly placeholders = new Map<string, { view: RunView; addedAt: number; written: Promise<void> }>();
  /** Per-partition next offsets published to subscribers. */
  private positions: number[] = [];
  private readonly runListeners = new Map<string, Set<EventListener>>();
  private readonly allListeners = new Set<EventListener>();
  private readonly publishedListeners = new Set<() => void>();
  private published = 0;
  private notifyQueued = false;

  constructor(
    readonly store: ReadStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sets the partition count of `events` (cursors carry one offset per partition). */
  setPartitionCount(partitions: number): void {
    while (this.positions.length < partitions) this.positions.push(0);
  }

  get partitionCount(): number {
    return this.positions.length;
  }

  /** Per-partition next offsets published so far. */
  currentPositions(): readonly number[] {
    return [...this.positions];
  }

  currentCursor(): string {
    return encodeStreamCursor(this.positions);
  }

  /** Events published since start. */
  get publishedCount(): number {
    return this.published;
  }

  /**
   * Pushes the store's accepted events to subscribers and moves the published position of
   * `partition` to `next` (records the store has committed, including ones that held no event).
   */
  publish(partition: number, entries: readonly StoredEvent[], next: number): void {
    this.publishEvents(entries);
    this.advance(partition, next);
  }

  /** Pushes events the store has accepted to subscribers, then tells the `onPublished` listeners. */
  publishEvents(entries: readonly StoredEvent[]): void {
    if (entries.length === 0) return;
    for (const entry of entries) {
      this.published += 1;
      if (entry.event.type === 'RunStarted') this.placeholders.delete(entry.event.runId);
      callEach(this.runListeners.get(entry.event.runId), entry);
      callEach(this.allListeners, entry);
    }
    this.notifyPublished();
  }

  /**
   * A store on this thread publishes within its transaction: the listeners hear it at once, and
   * what they gathered leaves before the rows are written. Any other store publishes after a
   * commit it awaited, and one answer of its (a thread's group, a partition each) may publish
   * several batches in one task: the listeners hear them once, after them, so that a subscriber
   * sends their frames in one write instead of one a batch.
   */
  private notifyPublished(): void {
    if (this.store.publishesInTransaction) {
      callEach(this.publishedListeners, undefined);
      return;
    }
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    queueMicrotask(() => {
      this.notifyQueued = false;
      callEach(this.publishedListeners, undefined);
    });
  }

  /** Moves the published position of `partition` to `next`, once the store has committed up to it. */
  advance(partition: number, next: number): void {
    this.setPartitionCount(partition + 1);
    if (next > (this.positions[partition] ?? 0)) this.positions[partition] = next;
  }

  /**
   * Remembers a PENDING view for a run submitted here, until its RunStarted, while `write` puts
   * its StartRun on the bus; a write that fails drops it. True once written. False when the run
   * already had a placeholder here, once that placeholder's write succeeded. Rejects with the
   * write's error, this call's or the earlier one's: a retry of a submission whose write is still
   * in flight must not answer before it, or it could answer for a run never written.
   */
  async addPlaceholder(view: RunView, write: () => Promise<unknown>): Promise<boolean> {
    this.expirePlaceholders();
    if (this.placeholders.has(view.runId)) {
      await this.whenWritten(view.runId);
      return false;
    }
    const written: Promise<void> = write().then(
      () => undefined,
      (error: unknown) => {
        if (this.placeholders.get(view.runId)?.written === written) this.placeholders.delete(view.runId);
        throw error;
      },
    );
    this.placeholders.set(view.runId, { view, addedAt: this.now(), written });
    await written;
    return true;
  }

  /** Settles with the write of the StartRun of a run submitted here (at once when none is in flight). */
  whenWritten(runId: string): Promise<void> {
    return this.placeholders.get(runId)?.written ?? Promise.resolve();
  }

  private expirePlaceholders(): void {
    const cutoff = this.now() - PLACEHOLDER_TTL_MS;
    for (const [runId, { addedAt }] of this.placeholders) {
      if (addedAt >= cutoff && this.placeholders.size < MAX_PLACEHOLDERS) break;
      this.placeholders.delete(runId);
    }
  }

  /** The run's view from the store, else the placeholder of a run submitted here. */
  async getRun(runId: string): Promise<RunView | undefined> {
    const stored = await this.store.getRun(runId);
    if (stored !== undefined) return stored;
    return this.placeholders.get(runId)?.view;
  }

  async listRuns(query: RunListQuery): Promise<RunListPage> {
    const [page, counts] = await Promise.all([this.store.listRuns(query), this.store.counts(query.workflow)]);
    return { ...page, counts };
  }

  counts(workflow?: string): Promise<Record<RunStatus, number>> {
    return this.store.counts(workflow);
  }

  /** Runs per status for each workflow that has runs (every status present, zeros included). */
  async countsByWorkflow(): Promise<Map<string, Record<RunStatus, number>>> {
    const byWorkflow = new Map<string, Record<RunStatus, number>>();
    for (const { workflow, status, count } of await this.store.countsByWorkflow()) {
      let counts = byWorkflow.get(workflow);
      if (counts === undefined) {
        counts = zeroCounts(RUN_STATUSES);
        byWorkflow.set(workflow, counts);
      }
      counts[status] = count;
    }
    return byWorkflow;
  }

  stepCounts(): Promise<Record<StepStatus, number>> {
    return this.store.stepCounts().then((c) => ({ ...zeroCounts(STEP_STATUSES), ...c }));
  }

  /** Runs known to the store. */
  async runCount(): Promise<number> {
    const counts = await this.store.counts();
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  /** The run's events with seq > since, in seq order, at most `limit`. */
  eventsSince(runId: string, since: number, limit: number): Promise<StoredEvent[]> {
    return this.store.runEvents(runId, since, limit);
  }

  /** Registers a listener for one run's published events. */
  listenRun(runId: string, listener: EventListener): () => void {
    let set = this.runListeners.get(runId);
    if (set === undefined) {
      set = new Set();
      this.runListeners.set(runId, set);
    }
    set.add(listener);
    return () => {
      const current = this.runListeners.get(runId);
      current?.delete(listener);
      if (current?.size === 0) this.runListeners.delete(runId);
    };
  }

  /** Registers a listener for every published event. */
  listenAll(listener: EventListener): () => void {
    this.allListeners.add(listener);
    return () => this.allListeners.delete(listener);
  }

  /**
   * Registers a listener called after each publication, when its events have reached every
   * event listener: what a subscriber gathered from them can leave together then, without waiting
   * for the rest of the turn (a store on this thread publishes within its transaction). The
   * publications of one task by any other store are told once, after that task (see
   * `notifyPublished`).
   */
  onPublished(listener: () => void): () => void {
    this.publishedListeners.add(listener);
    return () => this.publishedListeners.delete(listener);
  }
}
