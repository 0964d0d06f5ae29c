/**
 * Every record that crosses the bus. Each carries `v` (the schema version) so that a
 * consumer can tell an unknown version from a corrupt record and dead-letter both.
 */
import type { ConcurrencyPolicy, WorkflowDefinition } from './definition/types.js';

export const SCHEMA_VERSION = 1;

/** A failure as it crosses the bus: worker errors, timeouts and validation failures alike. */
export interface ErrorInfo {
  /** The error's type, for example `ValidationError` or `ORCH_TIMEOUT`; matched by `nonRetryableErrors`. */
  type: string;
  message: string;
  /** Set by the worker SDK's NonRetryableError. */
  nonRetryable?: boolean;
  /** Set by the worker SDK's RetryAfterError: overrides the backoff delay. */
  retryAfterMs?: number;
  details?: unknown;
}

/** A run's priority: 1 is high, 3 is low. */
export type RunPriority = 1 | 2 | 3;
export const DEFAULT_PRIORITY: RunPriority = 2;
/** Highest first. */
export const TASK_PRIORITIES: readonly RunPriority[] = [1, 2, 3];

// ---- orch.commands (key: runId) ------------------------------------------------------------

export interface StartRun {
  v: 1;
  type: 'StartRun';
  runId: string;
  workflow: string;
  version: number;
  /** The definition travels with the command, so the orchestrator needs no lookup. */
  definition: WorkflowDefinition;
  input: unknown;
  idempotencyKey?: string;
  /** Set on a child run: the run and step that started it. */
  parentRunId?: string;
  parentStepId?: string;
  /** 1 (high) to 3 (low); absent means 2. Every task of the run is dispatched at it. */
  priority?: RunPriority;
  /** A rerun: these steps start SUCCEEDED with the outputs they had in `fromRunId`. */
  reuse?: RunReuse;
  at: number;
}

/** What a rerun from a step takes from the run it reruns. */
export interface RunReuse {
  fromRunId: string;
  fromStep: string;
  /** Step id -> its output in the earlier run. */
  steps: Record<string, { output?: unknown }>;
}
export interface CancelRun {
  v: 1;
  type: 'CancelRun';
  runId: string;
  reason?: string;
  at: number;
}
/** Reruns the failed, cancelled and skipped steps of a finished run. */
export interface RetryRun {
  v: 1;
  type: 'RetryRun';
  runId: string;
  at: number;
}
export interface TimerFired {
  v: 1;
  type: 'TimerFired';
  runId: string;
  timerId: string;
  /** The arming of the timer it fired for (`Timer.armed`); absent in records written before the field. */
  armed?: number;
  at: number;
}
/** A named signal for a run: it ends a wait step (now, or when the step is reached). */
export interface Signal {
  v: 1;
  type: 'Signal';
  runId: string;
  name: string;
  payload?: unknown;
  at: number;
}
/**
 * Produced by a parent run's workflow step, keyed by the child's runId: the orchestrator that
 * owns the child looks the definition up and starts it. The child's id derives from the parent
 * attempt, so a replay starts nothing new.
 */
export interface StartChildRun {
  v: 1;
  type: 'StartChildRun';
  runId: string;
  workflow: string;
  version?: number;
  input?: unknown;
  parentRunId: string;
  parentStepId: string;
  at: number;
}
/** Produced by a child run when it ends, keyed by the parent's runId. */
export interface ChildRunEnded {
  v: 1;
  type: 'ChildRunEnded';
  runId: string;
  childRunId: string;
  stepId: string;
  status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  output?: unknown;
  error?: ErrorInfo;
  at: number;
}

// ---- concurrency gates (orch.commands, key: the gate id) -----------------------------------
// A workflow's concurrency key value has one gate, owned like a run by the orchestrator of the
// partition its id hashes to. Runs ask it for a slot and give the slot back when they end.

/** A run with a concurrency key asks its gate for a slot; `runId` is the gate's id. */
export interface AcquireSlot {
  v: 1;
  type: 'AcquireSlot';
  runId: string;
  holder: string;
  workflow: string;
  key: string;
  limit: number;
  policy: ConcurrencyPolicy;
  at: number;
}
/** A run that held or waited for a slot has ended; `runId` is the gate's id. */
export interface ReleaseSlot {
  v: 1;
  type: 'ReleaseSlot';
  runId: string;
  holder: string;
  at: number;
}
/** The gate's answer to a run: it may start. */
export interface SlotGranted {
  v: 1;
  type: 'SlotGranted';
  runId: string;
  gate: string;
  at: number;
}
/** The gate's answer to a run: it waits, and why. */
export interface SlotQueued {
  v: 1;
  type: 'SlotQueued';
  runId: string;
  gate: string;
  reason: string;
  at: number;
}
export type GateCommand = AcquireSlot | ReleaseSlot;

export type Command = StartRun | CancelRun | RetryRun | TimerFired | Signal | StartChildRun | ChildRunEnded | GateCommand | SlotGranted | SlotQueued;

// ---- orch.results (key: runId) -------------------------------------------------------------

interface ResultBase {
  v: 1;
  runId: string;
  stepId: string;
  attempt: number;
  workerId: string;
  at: number;
}
export interface TaskStarted extends ResultBase { type: 'TaskStarted' }
export interface TaskHeartbeat extends ResultBase { type: 'TaskHeartbeat'; details?: unknown }
export interface TaskProgress extends ResultBase { type: 'TaskProgress'; fraction: number; message?: string }
export interface TaskLog extends ResultBase {
  type: 'TaskLog';
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}
/**
 * `startedAt` (the worker's clock, epoch ms) on a completion or failure: the worker did not send
 * TaskStarted (the attempt ended before it was due), so this result starts the attempt too.
 */
export interface TaskCompleted extends ResultBase { type: 'TaskCompleted'; output: unknown; startedAt?: number }
export interface TaskFailed extends ResultBase { type: 'TaskFailed'; error: ErrorInfo; startedAt?: number }
export type TaskResult = TaskStarted | TaskHeartbeat | TaskProgress | TaskLog | TaskCompleted | TaskFailed;

/**
 * A worker result that says a handler began an attempt: TaskStarted, or the end of an attempt
 * too short to have said TaskStarted (it carries `startedAt`). One per execution.
 */
export function reportsStart(input: RunInput): input is TaskStarted | TaskCompleted | TaskFailed {
  return input.type === 'TaskStarted' || ((input.type === 'TaskCompleted' || input.type === 'TaskFailed') && input.startedAt !== undefined);
}

/** What the orchestrator consumes: a command or a worker result. */
export type RunInput = Command | TaskResult;

// ---- orch.tasks.<queue> (key: runId:stepId) ------------------------------------------------

export interface TaskDispatched {
  v: 1;
  type: 'TaskDispatched';
  runId: string;
  stepId: string;
  attempt: number;
  task: string;
  queue: string;
  input: unknown;
  /** Stable across redeliveries of one attempt: `${runId}:${stepId}:${attempt}`. */
  idempotencyKey: string;
  timeoutMs?: number;
  heartbeatTimeoutMs?: number;
  /** Absolute start-to-close deadline, epoch ms, when `timeoutMs` is set. */
  deadlineAt?: number;
  dispatchedAt: number;
  /** The run's priority when not the default 2: it picks the task topic, and workers take the higher first. */
  priority?: RunPriority;
}

// ---- orch.control (broadcast to every worker) ----------------------------------------------

/** Tells workers to abort in-flight attempts: a cancelled run, or an attempt the orchestrator timed out. */
export interface CancelTask {
  v: 1;
  type: 'CancelTask';
  runId: string;
  /** Absent: every step of the run. */
  stepId?: string;
  /** Absent: every attempt of the step. */
  attempt?: number;
  reason: string;
  at: number;
}
export type ControlMessage = CancelTask;
