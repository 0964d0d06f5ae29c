/**
 * The projector of one batch, the same for every store: it folds events into run views with
 * core's `applyEvent` and works out what the store must write (the views that changed, the
 * events to keep, how the counters move). The store loads what it needs first (the touched
 * runs' views and last seqs) and writes the outcome in the batch's transaction.
 *
 * The projector never looks inside event data beyond what `applyEvent` folds, so an event whose
 * payload travels by reference (`{ref, bytes, sha256}`) is kept and folded like any other.
 */
import { applyEvent } from '@orchestrator-lite/core/projection';
import type { RunEvent, RunStatus, RunView, StepStatus } from '@orchestrator-lite/core/projection';
import type { StoredEvent } from './types.js';

export interface FoldInput {
  readonly partition: number;
  /** Decoded events above the checkpoint, in offset order. */
  readonly records: readonly { offset: number; event: RunEvent }[];
  /** The current view of each touched run (absent: no view yet). */
  readonly views: ReadonlyMap<string, RunView>;
  /** The highest seq kept for each touched run (absent: none). */
  readonly lastSeqs: ReadonlyMap<string, number>;
  /**
   * Touched runs without a view that the retention sweep deleted, with the end time (the last
   * event's `at`) each had then. The store need only look up runs that have no view.
   */
  readonly expired?: ReadonlyMap<string, number>;
}

export interface CountDelta {
  /** `${workflow}\u0000${status}` → change in runs. */
  readonly runs: Map<string, number>;
  readonly steps: Map<StepStatus, number>;
}

export interface FoldOutcome {
  readonly accepted: StoredEvent[];
  readonly duplicates: number;
  /** Events of expired runs, dropped. */
  readonly expired: number;
  readonly projectionErrors: { event: RunEvent; error: unknown }[];
  /** Views to write, by runId (the latest of each run). */
  readonly views: Map<string, RunView>;
  readonly counts: CountDelta;
}

export function runCountKey(workflow: string, status: RunStatus): string {
  return `${workflow}\u0000${status}`;
}

export function splitRunCountKey(key: string): { workflow: string; status: RunStatus } {
  const at = key.lastIndexOf('\u0000');
  return { workflow: key.slice(0, at), status: key.slice(at + 1) as RunStatus };
}

function bump<K>(map: Map<K, number>, key: K, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function account(counts: CountDelta, view: RunView | undefined, sign: 1 | -1): void {
  if (view === undefined) return;
  bump(counts.runs, runCountKey(view.workflow, view.status), sign);
  for (const step of Object.values(view.steps)) bump(counts.steps, step.status, sign);
}

/**
 * Whether `event` is a late event of a run the retention sweep deleted. Once a run is deleted its
 * view and events are gone, so neither the seq check nor the view can tell a replay: a replayed
 * RunStarted would fold into a fresh RUNNING view that no later event ever ends (and that, not
 * being ended, no sweep would ever delete), and any other event would be kept without a view.
 * So the store remembers each deleted id with the run's end time for a while, and every event of
 * such a run is dropped, except a RunStarted dated after that end: a new run under the same id
 * (an idempotency key used again once the orchestrator, too, has forgotten the old run), which
 * is folded as usual, and so are the events after it.
 */
function isExpiredRunEvent(input: FoldInput, event: RunEvent): boolean {
  const endedAt = input.expired?.get(event.runId);
  if (endedAt === undefined) return false;
  return !(event.type === 'RunStarted' && event.at > endedAt);
}

export function foldBatch(input: FoldInput): FoldOutcome {
  const lastSeqs = new Map(input.lastSeqs);
  const before = new Map<string, RunView | undefined>();
  const views = new Map<string, RunView>();
  const accepted: StoredEvent[] = [];
  const projectionErrors: { event: RunEvent; error: unknown }[] = [];
  let duplicates = 0;
  let expired = 0;
  for (const { offset, event } of input.records) {
    const last = lastSeqs.get(event.runId);
    if (last !== undefined && event.seq <= last) {
      duplicates += 1;
      continue;
    }
    // A run with a kept seq has a view or events in the store: it is not an expired one.
    if (last === undefined && isExpiredRunEvent(input, event)) {
      expired += 1;
      continue;
    }
    lastSeqs.set(event.runId, event.seq);
    accepted.push({ event, partition: input.partition, offset });
    if (!before.has(event.runId)) before.set(event.runId, input.views.get(event.runId));
    const current = views.get(event.runId) ?? input.views.get(event.runId);
    try {
      views.set(event.runId, applyEvent(current, event));
    } catch (error) {
      projectionErrors.push({ event, error });
    }
  }
  const counts: CountDelta = { runs: new Map(), steps: new Map() };
  for (const [runId, view] of views) {
    account(counts, before.get(runId), -1);
    account(counts, view, 1);
  }
  return { accepted, duplicates, expired, projectionErrors, views, counts };
}

/** The list row of a view. */
export function summaryColumns(view: RunView): { workflow: string; version: number; status: RunStatus; createdAt: number; updatedAt: number; lastSeq: number; error: string | null } {
  return {
    workflow: view.workflow,
    version: view.version,
    status: view.status,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    lastSeq: view.lastSeq,
    error: view.error === undefined ? null : JSON.stringify(view.error),
  };
}
