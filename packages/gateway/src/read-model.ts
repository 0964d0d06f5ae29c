/**
 * The gateway's read model: every run's view, folded from `events` with `applyEvent`, and every
 * run's events in seq order with where each came from (partition, offset).
 *
 * It is a plain in-memory structure fed one event at a time (`ingest`), so it can be tested
 * without a bus; `projection.ts` feeds it from the transport. Listeners are called synchronously
 * inside `ingest`: a subscriber that registers its listener and reads the backlog in the same
 * synchronous tick (`subscribeRun`, `subscribeAll`) therefore sees every event exactly once.
 */
import { applyEvent, RUN_STATUSES, STEP_STATUSES } from '@orchestrator-lite/core';
import type { RunEvent, RunStatus, RunView, StepStatus } from '@orchestrator-lite/core';
import { encodeStreamCursor } from './stream-cursor.js';
import type { RunListPosition } from './stream-cursor.js';

/** One accepted event and where it was read. */
export interface StoredEvent {
  readonly event: RunEvent;
  readonly partition: number;
  readonly offset: number;
  /** The per-partition next offsets of `events` right after this event was consumed. */
  readonly positions: readonly number[];
}

export type EventListener = (entry: StoredEvent) => void;

export interface RunSummary {
  runId: string;
  workflow: string;
  version: number;
  status: RunStatus;
  createdAt: number;
  updatedAt: number;
  error?: RunView['error'];
}

export interface RunListQuery {
  status?: RunStatus;
  workflow?: string;
  /** 1..1000 */
  limit: number;
  /** Exclusive: the page starts after this position. */
  after?: RunListPosition;
}

export interface RunListPage {
  items: RunSummary[];
  /** The last item's position when more items follow, else null. */
  next: RunListPosition | null;
  /** Runs per status among those matching `workflow` (the status filter is not applied). */
  counts: Record<RunStatus, number>;
}

export interface ReadModelHooks {
  /** Called when an event could not be folded into its run's view (it is still kept and streamed). */
  onProjectionError?(event: RunEvent, error: unknown): void;
}

const TERMINAL: ReadonlySet<RunStatus> = new Set<RunStatus>(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL.has(status);
}

/** Newest first; runId breaks ties so the order (and so a cursor) is total. */
function compareNewestFirst(a: RunListPosition, b: RunListPosition): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0;
}

export class ReadModel {
  private readonly views = new Map<string, RunView>();
  /** Runs inserted by POST /runs whose RunStarted has not been seen yet. */
  private readonly placeholders = new Set<string>();
  private readonly eventsByRun = new Map<string, StoredEvent[]>();
  /** Every accepted event in consumption order: the all-runs stream resumes from it. */
  private readonly log: StoredEvent[] = [];
  private positions: number[] = [];
  private readonly runListeners = new Map<string, Set<EventListener>>();
  private readonly allListeners = new Set<EventListener>();
  private accepted = 0;
  private duplicates = 0;

  constructor(private readonly hooks: ReadModelHooks = {}) {}

  /** Sets the partition count of `events` (cursors carry one offset per partition). */
  setPartitionCount(partitions: number): void {
    while (this.positions.length < partitions) this.positions.push(0);
  }

  get partitionCount(): number {
    return this.positions.length;
  }

  /** Records that `offset` of `partition` was consumed, whether or not it held a usable event. */
  advance(partition: number, offset: number): void {
    this.setPartitionCount(partition + 1);
    const current = this.positions[partition] ?? 0;
    if (offset + 1 > current) this.positions[partition] = offset + 1;
  }

  /** The per-partition next offsets consumed so far. */
  currentPositions(): readonly number[] {
    return [...this.positions];
  }

  currentCursor(): string {
    return encodeStreamCursor(this.positions);
  }

  /**
   * Applies one event read at (partition, offset). A replay (a seq at or below the last one kept
   * for the run) is dropped and `false` returned.
   */
  ingest(event: RunEvent, partition: number, offset: number): boolean {
    this.advance(partition, offset);
    let events = this.eventsByRun.get(event.runId);
    const last = events?.[events.length - 1];
    if (last !== undefined && event.seq <= last.event.seq) {
      this.duplicates += 1;
      return false;
    }
    try {
      // RunStarted replaces the placeholder that POST /runs inserted.
      const base = this.placeholders.has(event.runId) && event.type === 'RunStarted' ? undefined : this.views.get(event.runId);
      this.views.set(event.runId, applyEvent(base, event));
      if (event.type === 'RunStarted') this.placeholders.delete(event.runId);
    } catch (error) {
      this.hooks.onProjectionError?.(event, error);
    }
    const entry: StoredEvent = { event, partition, offset, positions: [...this.positions] };
    if (events === undefined) {
      events = [];
      this.eventsByRun.set(event.runId, events);
    }
    events.push(entry);
    this.log.push(entry);
    this.accepted += 1;
    this.emit(this.runListeners.get(event.runId), entry);
    this.emit(this.allListeners, entry);
    return true;
  }

  private emit(listeners: Set<EventListener> | undefined, entry: StoredEvent): void {
    if (listeners === undefined) return;
    for (const listener of [...listeners]) {
      try {
        listener(entry);
      } catch {
        // A listener's failure (e.g. a closed socket) must not stop the projection.
      }
    }
  }

  /** Inserts a PENDING view for a run just submitted; its RunStarted replaces it. No-op if known. */
  addPlaceholder(view: RunView): boolean {
    if (this.views.has(view.runId)) return false;
    this.views.set(view.runId, view);
    this.placeholders.add(view.runId);
    return true;
  }

  /** Drops a placeholder whose StartRun could not be written. A run already started is kept. */
  removePlaceholder(runId: string): void {
    if (!this.placeholders.delete(runId)) return;
    this.views.delete(runId);
  }

  getRun(runId: string): RunView | undefined {
    return this.views.get(runId);
  }

  hasRun(runId: string): boolean {
    return this.views.has(runId);
  }

  get size(): number {
    return this.views.size;
  }

  stats(): { runs: number; events: number; duplicates: number } {
    return { runs: this.views.size, events: this.accepted, duplicates: this.duplicates };
  }

  /** The run's events with seq > since, in seq order. */
  eventsSince(runId: string, since: number): RunEvent[] {
    const events = this.eventsByRun.get(runId) ?? [];
    return events.slice(this.firstIndexAfterSeq(events, since)).map((e) => e.event);
  }

  private firstIndexAfterSeq(events: readonly StoredEvent[], since: number): number {
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((events[mid]?.event.seq ?? 0) > since) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * Registers `listener` for the run's future events and returns the backlog (seq > since), both
   * in this synchronous call, so backlog + live has no gap and no duplicate. `since` undefined:
   * live only.
   */
  subscribeRun(runId: string, since: number | undefined, listener: EventListener): { backlog: StoredEvent[]; unsubscribe(): void } {
    let set = this.runListeners.get(runId);
    if (set === undefined) {
      set = new Set();
      this.runListeners.set(runId, set);
    }
    set.add(listener);
    const events = this.eventsByRun.get(runId) ?? [];
    const backlog = since === undefined ? [] : events.slice(this.firstIndexAfterSeq(events, since));
    return {
      backlog,
      unsubscribe: () => {
        const current = this.runListeners.get(runId);
        current?.delete(listener);
        if (current?.size === 0) this.runListeners.delete(runId);
      },
    };
  }

  /**
   * Like `subscribeRun` for every run. `after` is a decoded stream cursor (per-partition next
   * offsets): the backlog is every kept event at or past it, in consumption order. A cursor from
   * another gateway instance works too, since it names bus offsets, not positions in this log.
   */
  subscribeAll(after: readonly number[] | undefined, listener: EventListener): { backlog: StoredEvent[]; unsubscribe(): void } {
    this.allListeners.add(listener);
    const backlog = after === undefined ? [] : this.log.filter((e) => e.offset >= (after[e.partition] ?? 0));
    return { backlog, unsubscribe: () => this.allListeners.delete(listener) };
  }

  /** Runs per status, optionally among one workflow's runs. */
  counts(workflow?: string): Record<RunStatus, number> {
    const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
    for (const view of this.views.values()) {
      if (workflow !== undefined && view.workflow !== workflow) continue;
      counts[view.status] += 1;
    }
    return counts;
  }

  /** Runs per status for each workflow that has runs (every status present, zeros included). */
  countsByWorkflow(): Map<string, Record<RunStatus, number>> {
    const byWorkflow = new Map<string, Record<RunStatus, number>>();
    for (const view of this.views.values()) {
      let counts = byWorkflow.get(view.workflow);
      if (counts === undefined) {
        counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
        byWorkflow.set(view.workflow, counts);
      }
      counts[view.status] += 1;
    }
    return byWorkflow;
  }

  /** Steps per status over every run. */
  stepCounts(): Record<StepStatus, number> {
    const counts = Object.fromEntries(STEP_STATUSES.map((s) => [s, 0])) as Record<StepStatus, number>;
    for (const view of this.views.values()) {
      for (const step of Object.values(view.steps)) counts[step.status] += 1;
    }
    return counts;
  }

  listRuns(query: RunListQuery): RunListPage {
    const matching: RunView[] = [];
    for (const view of this.views.values()) {
      if (query.workflow !== undefined && view.workflow !== query.workflow) continue;
      if (query.status !== undefined && view.status !== query.status) continue;
      if (query.after !== undefined && compareNewestFirst(query.after, view) >= 0) continue;
      matching.push(view);
    }
    matching.sort(compareNewestFirst);
    const page = matching.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(summarize),
      next: matching.length > query.limit && last !== undefined ? { createdAt: last.createdAt, runId: last.runId } : null,
      counts: this.counts(query.workflow),
    };
  }
}

export function summarize(view: RunView): RunSummary {
  return {
    runId: view.runId,
    workflow: view.workflow,
    version: view.version,
    status: view.status,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    ...(view.error === undefined ? {} : { error: view.error }),
  };
}
