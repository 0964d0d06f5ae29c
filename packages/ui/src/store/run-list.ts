/**
 * The run list's rows, folded from the snapshots the gateway answers and the all-runs feed. The
 * list keeps the newest runs only: once the feed has brought a quarter more than `MAX_LIST_RUNS`,
 * the oldest (by start) are dropped, so a tab left open on a busy engine holds the newest runs,
 * not all it ever saw. A filtered list (a status, a workflow) is read from the gateway and kept
 * live the same way.
 */
import type { RunStatus, RunSummary, RunView, StreamFrame } from '../api/types.ts';
import { applySummaryEvent, toSummary } from './run-reducer.ts';

export type Rows = Readonly<Record<string, RunSummary>>;

export const MAX_LIST_RUNS = 2_000;

/** A filter of the run list that the gateway applies. */
export interface RunsFilter {
  status?: RunStatus;
  workflow?: string;
}

/** The newest runs that match a filter, read from the gateway and kept live by the feed. */
export interface FilteredRuns {
  filter: RunsFilter;
  runs: Rows;
  loaded: boolean;
  error?: string;
}

export function sameFilter(a: RunsFilter, b: RunsFilter): boolean {
  return a.status === b.status && a.workflow === b.workflow;
}

function matches(row: RunSummary, filter: RunsFilter): boolean {
  return (filter.status === undefined || row.status === filter.status) && (filter.workflow === undefined || row.workflow === filter.workflow);
}

/** The newest `MAX_LIST_RUNS` runs by start, when there are over a quarter more; else the same object. */
function trimmed(runs: Rows): Rows {
  const all = Object.values(runs);
  if (all.length <= MAX_LIST_RUNS * 1.25) return runs;
  all.sort((a, b) => b.createdAt - a.createdAt);
  return Object.fromEntries(all.slice(0, MAX_LIST_RUNS).map((r) => [r.runId, r]));
}

/** `runs` with a snapshot's rows merged in, a row replacing one it is not older than. */
export function mergeRows(runs: Rows, items: readonly (RunSummary | RunView)[]): Rows {
  const merged: Record<string, RunSummary> = { ...runs };
  for (const item of items) {
    const row = toSummary(item);
    const cur = merged[row.runId];
    if (cur === undefined || (row.lastSeq ?? 0) >= (cur.lastSeq ?? 0)) merged[row.runId] = row;
  }
  return trimmed(merged);
}

/** The list with the feed's frames applied; the same object when none changed it. */
export function foldFeed(runs: Rows, frames: readonly StreamFrame[]): Rows {
  let next: Record<string, RunSummary> | undefined;
  for (const f of frames) {
    const cur = (next ?? runs)[f.runId];
    const row = applySummaryEvent(cur, f);
    if (row === cur || row === undefined) continue;
    next ??= { ...runs };
    next[f.runId] = row;
  }
  return next === undefined ? runs : trimmed(next);
}

/**
 * The filtered runs with the frames applied: a row that comes to match joins (as the list `all`
 * has it, the frames applied), one that no longer does leaves. The same object when none changed.
 */
export function foldFiltered(filtered: FilteredRuns, frames: readonly StreamFrame[], all: Rows): FilteredRuns {
  let next: Record<string, RunSummary> | undefined;
  for (const f of frames) {
    const cur = (next ?? filtered.runs)[f.runId];
    const row = cur !== undefined ? applySummaryEvent(cur, f) : all[f.runId];
    if (row === cur || row === undefined) continue;
    const match = matches(row, filtered.filter);
    if (!match && cur === undefined) continue;
    next ??= { ...filtered.runs };
    if (match) next[f.runId] = row;
    else delete next[f.runId];
  }
  return next === undefined ? filtered : { ...filtered, runs: trimmed(next) };
}
