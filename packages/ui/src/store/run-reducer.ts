/**
 * The UI's projection of a run's events onto the RunView shape of GET /api/v1/runs/{id}: core's
 * projector (`@orchestrator-lite/core/projection`, the one the gateway's read store folds with),
 * plus the list rows' own small fold. Views are never mutated, so React can compare them by
 * reference. An event whose seq is not after `view.lastSeq` changes nothing.
 */
import { applyEvent as project } from '@orchestrator-lite/core/projection';
import type { RunEvent, RunStatus, RunSummary, RunView, StepDefinition } from '../api/types.ts';

const TERMINAL_RUN: ReadonlySet<RunStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export function isTerminalRun(status: RunStatus): boolean {
  return TERMINAL_RUN.has(status);
}

/** What a step does, in a few words: its task, or sleep, signal <name>, workflow <name>. */
export function stepLabel(def: StepDefinition): string {
  if (def.type === 'sleep') return 'sleep';
  if (def.type === 'wait') return `signal ${def.signal ?? ''}`;
  if (def.type === 'workflow') return `workflow ${def.workflow ?? ''}`;
  return def.task ?? '';
}

/**
 * Applies one event; returns the same object when the event is old or does not apply (an event
 * before the run's RunStarted has nothing to fold into).
 */
export function applyEvent(view: RunView | undefined, event: RunEvent): RunView | undefined {
  if (view === undefined && event.type !== 'RunStarted') return undefined;
  if (view !== undefined && event.seq <= view.lastSeq) return view;
  try {
    return project(view, event);
  } catch {
    return view;
  }
}

/** Applies events in order. */
export function applyEvents(view: RunView | undefined, events: readonly RunEvent[]): RunView | undefined {
  let v = view;
  for (const e of events) v = applyEvent(v, e);
  return v;
}

/** The events that change a run-list row: what the list asks the stream for (`?types=`). */
export const SUMMARY_EVENT_TYPES = ['RunStarted', 'RunQueued', 'RunAdmitted', 'RunSucceeded', 'RunFailed', 'RunCancelled', 'RunRetried'] as const;

/**
 * Applies an event to a run-list row. Rows from GET /api/v1/runs may carry no lastSeq; then an
 * event older than the row's `updatedAt` is taken as already reflected in it.
 */
export function applySummaryEvent(row: RunSummary | undefined, e: RunEvent): RunSummary | undefined {
  if (row === undefined) {
    if (e.type !== 'RunStarted') return undefined;
    return { runId: e.runId, workflow: e.data.workflow, version: e.data.version, status: 'RUNNING', createdAt: e.at, updatedAt: e.at, lastSeq: e.seq };
  }
  if (row.lastSeq !== undefined ? e.seq <= row.lastSeq : e.at < row.updatedAt) return row;
  const next: RunSummary = { ...row, lastSeq: e.seq, updatedAt: Math.max(row.updatedAt, e.at) };
  switch (e.type) {
    case 'StepScheduled':
    case 'StepStarted':
      if (next.status === 'PENDING') next.status = 'RUNNING';
      break;
    case 'RunSucceeded':
      next.status = 'SUCCEEDED';
      next.endedAt = e.at;
      break;
    case 'RunFailed':
      next.status = 'FAILED';
      next.error = e.data.error;
      next.endedAt = e.at;
      break;
    case 'RunCancelled':
      next.status = 'CANCELLED';
      next.endedAt = e.at;
      break;
    case 'RunQueued':
      next.status = 'PENDING';
      next.queued = { ...e.data, since: row.queued?.since ?? e.at };
      break;
    case 'RunAdmitted':
      next.status = 'RUNNING';
      break;
    case 'RunRetried':
      next.status = 'RUNNING';
      next.error = undefined;
      next.endedAt = undefined;
      break;
    default:
      break;
  }
  // Only a PENDING run is held back by a concurrency limit.
  if (next.status !== 'PENDING') delete next.queued;
  return next;
}

/** Normalises an item of GET /api/v1/runs (a full RunView or a summary) to a list row. */
export function toSummary(item: RunSummary | RunView): RunSummary {
  const row: RunSummary = {
    runId: item.runId,
    workflow: item.workflow,
    version: item.version,
    status: item.status,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    lastSeq: item.lastSeq,
    error: item.error,
  };
  if (item.queued !== undefined && item.status === 'PENDING') row.queued = item.queued;
  if (isTerminalRun(item.status)) row.endedAt = item.updatedAt;
  return row;
}
