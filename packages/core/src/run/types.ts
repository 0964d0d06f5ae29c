/**
 * A run as the outside world sees it (`RunView`, the REST shape, projected from events) and as
 * the orchestrator keeps it (`RunState`: the view plus timers and the bookkeeping of retries).
 */
import type { ConcurrencyPolicy, WorkflowDefinition } from '../definition/types.js';
import type { ErrorInfo } from '../messages.js';
import type { EventDataMap, SkipCause } from '../events.js';

export const RunStatus = {
  Pending: 'PENDING',
  Running: 'RUNNING',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
  Cancelled: 'CANCELLED',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];
export const RUN_STATUSES: readonly RunStatus[] = Object.values(RunStatus);

export const StepStatus = {
  Pending: 'PENDING',
  Scheduled: 'SCHEDULED',
  Running: 'RUNNING',
  RetryWait: 'RETRY_WAIT',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
  Skipped: 'SKIPPED',
  Cancelled: 'CANCELLED',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];
export const STEP_STATUSES: readonly StepStatus[] = Object.values(StepStatus);

export const AttemptStatus = {
  Scheduled: 'SCHEDULED',
  Running: 'RUNNING',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
  TimedOut: 'TIMED_OUT',
  Cancelled: 'CANCELLED',
} as const;
export type AttemptStatus = (typeof AttemptStatus)[keyof typeof AttemptStatus];

export interface AttemptView {
  attempt: number;
  status: AttemptStatus;
  scheduledAt: number;
  startedAt?: number;
  endedAt?: number;
  workerId?: string;
  output?: unknown;
  error?: ErrorInfo;
  progress?: { fraction: number; message?: string };
  /** The retry this attempt's failure scheduled, as recorded in RetryScheduled. */
  retry?: EventDataMap['RetryScheduled'];
  /** Each time the attempt was delivered again to another worker: when, and from which worker. */
  redeliveries?: { at: number; fromWorkerId: string; toWorkerId: string; previousStartedAt: number }[];
}

export interface StepView {
  status: StepStatus;
  task: string;
  dependsOn: string[];
  attempts: AttemptView[];
  output?: unknown;
  error?: ErrorInfo;
  /** When RETRY_WAIT: the due time of the next attempt, epoch ms. */
  nextRetryAt?: number;
  /** When SKIPPED: why, and whether the skip comes from a failure upstream (which spreads). */
  skip?: StepSkip;
  /** A forEach step: one entry per element of its list, in order (their ids are `<id>[<index>]`). */
  items?: StepView[];
  /** A sleep step: when it wakes up, epoch ms. */
  wakeAt?: number;
  /** A wait step: the signal it waits for, and when it gives up (epoch ms). */
  waitingFor?: { signal: string; timeoutAt?: number };
  /** A workflow step: the child run of the current attempt. */
  childRunId?: string;
}

export interface StepSkip {
  cause: SkipCause;
  reason: string;
}

export interface RunView {
  runId: string;
  workflow: string;
  version: number;
  status: RunStatus;
  input: unknown;
  output?: unknown;
  error?: ErrorInfo;
  createdAt: number;
  updatedAt: number;
  /** The seq of the last event applied. */
  lastSeq: number;
  definition: WorkflowDefinition;
  steps: Record<string, StepView>;
  /** A child run: the run and the step that started it. */
  parentRunId?: string;
  parentStepId?: string;
  /** 1 (high) to 3 (low); absent: 2. */
  priority?: number;
  /** A rerun: the run it reran and the step it reran from. */
  rerunOf?: { runId: string; fromStep: string };
  /** The value of the workflow's concurrency key for this run. */
  concurrencyKey?: string;
  /** Set while the run waits, PENDING, for a slot of its concurrency key. */
  queued?: RunQueue;
}

/** Why a run waits for a concurrency slot, and since when. */
export interface RunQueue {
  key: string;
  limit: number;
  policy: ConcurrencyPolicy;
  reason: string;
  /** When it began waiting, epoch ms. */
  since: number;
}

export const TimerKind = {
  Retry: 'retry',
  Timeout: 'timeout',
  Heartbeat: 'heartbeat',
  /** A sleep step wakes up. */
  Sleep: 'sleep',
  /** A wait step gives up waiting for its signal. */
  Signal: 'signal',
} as const;
export type TimerKind = (typeof TimerKind)[keyof typeof TimerKind];

/** A durable timer: it lives in the snapshot and fires as a TimerFired command. */
export interface Timer {
  id: string;
  kind: TimerKind;
  stepId: string;
  attempt: number;
  dueAt: number;
  /**
   * How many times a timer of this id has been armed in the run (1 the first time; a heartbeat
   * re-arms its timer). A TimerFired names the arming it fired for: a later arming makes it stale,
   * whatever the clock says. Absent in state written before the field.
   */
  armed?: number;
}

export interface RunState extends RunView {
  timers: Timer[];
  /** The previous retry delay of each step, which decorrelated jitter grows from. */
  lastDelayMs: Record<string, number>;
  /**
   * Per step, the number of attempts made before the last RetryRun reopened it: maxAttempts and
   * the backoff exponent count from there, while attempt numbers keep growing. Absent: 0.
   */
  attemptBase?: Record<string, number>;
  /**
   * Written by the orchestrator runtime, never by the reducer: the highest input offset applied,
   * per input source (`commands/3`, `results/3`), so that a replayed input changes nothing.
   */
  applied?: Record<string, number>;
  /** Bumped on every snapshot: readers and restores prefer the highest (epoch, stateVersion). */
  stateVersion?: number;
  /** The owner's fencing epoch when the snapshot was written. */
  epoch?: number;
  /**
   * The W3C trace context (`traceparent`, `tracestate`) the run was started with: every task of
   * the run carries it as record headers, so one run is one trace.
   */
  trace?: Record<string, string>;
  /** Signals that arrived before a step waited for them, oldest first. */
  signals?: BufferedSignal[];
  /** The evaluated list of each forEach step, which its items' inputs are resolved from. */
  forEachLists?: Record<string, unknown[]>;
  /** Written by the orchestrator runtime, never by the reducer: where the run's step records are on `orch.state`. */
  stateLayout?: StateLayout;
}

/** Where a run's step control states are on `orch.state` (see snapshotWrites). */
export interface StateLayout {
  /** Each step whose latest control state was written in another step's record: that step's id. */
  homes: Record<string, string>;
  /** The step ids whose key holds a record: tombstoned when the run ends. */
  keys: string[];
}

export interface BufferedSignal {
  name: string;
  payload?: unknown;
  at: number;
}
