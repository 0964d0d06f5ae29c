/**
 * The read store's contract: where the gateway keeps run views and their events. Two
 * implementations (SQLite under the data dir, PostgreSQL shared by several gateways) pass one
 * contract suite (test/store/read-store-contract.ts).
 *
 * The store is written one partition batch at a time, and each batch is committed together with
 * the next offset of its partition, so the store's checkpoint is exactly what it holds: a
 * restart resumes from it and never reads an older record again.
 */
import type { RunEvent, RunStatus, RunSummary, RunView, StepStatus } from '@orchestrator-lite/core';

/** One accepted event and where it was read. */
export interface StoredEvent {
  readonly event: RunEvent;
  readonly partition: number;
  readonly offset: number;
  /** `event` as JSON, when the store made that text anyway (a live event on its way to a thread): a frame of the stream reuses it. */
  readonly json?: string;
}

/** One consumed record of `events`: its event, or undefined when it could not be decoded. */
export interface IncomingRecord {
  readonly offset: number;
  readonly event: RunEvent | undefined;
}

/** Hears the events of a batch the store accepted (see `ReadStore.applyBatch`). */
export type AcceptedListener = (accepted: readonly StoredEvent[]) => void;

export interface BatchResult {
  /** New events, in offset order: kept in the store and to be pushed to live subscribers. */
  readonly accepted: StoredEvent[];
  /** Events dropped as replays (a seq the run already has). */
  readonly duplicates: number;
  /** Events dropped because their run was deleted by the retention sweep (see `expireRuns`). */
  readonly expired: number;
  /** Events kept but not folded into a view (e.g. an event before its run's RunStarted). */
  readonly projectionErrors: { event: RunEvent; error: unknown }[];
  /** False when the batch lay wholly below the checkpoint (already applied) and changed nothing. */
  readonly applied: boolean;
}

/** A position in the newest-first run list: the last item of the previous page. */
export interface RunListPosition {
  createdAt: number;
  runId: string;
}

export interface RunListQuery {
  status?: RunStatus;
  workflow?: string;
  /** 1..1000 */
  limit: number;
  /** Exclusive: the page starts after this position. */
  after?: RunListPosition;
}

export interface RunListResult {
  items: RunSummary[];
  /** The last item's position when more items follow, else null. */
  next: RunListPosition | null;
}

export interface ReadStore {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Whether the store is written on the caller's thread and calls `applyBatch`'s `onAccepted`
   * inside its synchronous transaction. Any other store calls it after a commit it awaited, and
   * the batches of one answer (a thread's group, several partitions) publish in one task.
   */
  readonly publishesInTransaction: boolean;
  /**
   * A name for this store that lasts as long as its data: the consumer group that feeds it is
   * named after it, so a new (empty) store never inherits the offsets of an old one.
   */
  readonly id: string;
  /** Per-partition next offsets of `events` held by the store (missing partitions: 0). */
  checkpoint(): Promise<number[]>;
  /**
   * Applies the records of one partition, in offset order, and moves the partition's checkpoint
   * to `nextOffset`, in one transaction. Records below the checkpoint are skipped.
   *
   * `onAccepted` hears the batch's accepted events once, when the batch applies, at the earliest
   * point where no other code of the caller's thread can see the store without them: a store
   * written on the caller's thread calls it inside its synchronous transaction, before it writes
   * the rows, so that live subscribers do not wait for the write; any other store calls it after
   * the commit. A write that fails after the call still rejects. It must not throw.
   */
  applyBatch(partition: number, records: readonly IncomingRecord[], nextOffset: number, onAccepted?: AcceptedListener): Promise<BatchResult>;
  getRun(runId: string): Promise<RunView | undefined>;
  listRuns(query: RunListQuery): Promise<RunListResult>;
  /** Runs per status, optionally among one workflow's runs. */
  counts(workflow?: string): Promise<Record<RunStatus, number>>;
  /** Runs per (workflow, status), zero rows left out. */
  countsByWorkflow(): Promise<{ workflow: string; status: RunStatus; count: number }[]>;
  /** Steps per status over every run. */
  stepCounts(): Promise<Record<StepStatus, number>>;
  /** The run's events with seq > since, in seq order, at most `limit`. */
  runEvents(runId: string, since: number, limit: number): Promise<StoredEvent[]>;
  /** Events of one partition at offset >= from, in offset order, at most `limit`. */
  partitionEvents(partition: number, from: number, limit: number): Promise<StoredEvent[]>;
  /**
   * Deletes up to `limit` runs that ended (SUCCEEDED, FAILED or CANCELLED) before `endedBefore`
   * (their last event's `at`): each one's row, its events and its share of the run and step
   * counters, in one transaction. It remembers each id with its end time, so that a late event of
   * the run (a replay) is dropped instead of leaving a half view (see fold.ts). Returns the ids
   * this call deleted: when several gateways sweep a shared store at once, each run is deleted,
   * and taken off the counters, by exactly one of them.
   */
  expireRuns(endedBefore: number, limit: number): Promise<string[]>;
  /** Forgets up to `limit` remembered ids of expired runs that ended before `endedBefore`; returns how many. */
  forgetExpired(endedBefore: number, limit: number): Promise<number>;
  /** Calls `listener` when another process commits to the store (a shared store only). */
  watch?(listener: () => void): () => void;
  close(): Promise<void>;
}

export function zeroCounts<S extends string>(statuses: readonly S[]): Record<S, number> {
  return Object.fromEntries(statuses.map((s) => [s, 0])) as Record<S, number>;
}
