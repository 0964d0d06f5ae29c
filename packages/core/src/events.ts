/**
 * A run's history on `orch.events` (key: runId). Events of one run are numbered 1, 2, 3, …
 * (`seq`) by the reducer; `since=N` on the REST API and the WebSocket means "after N".
 */
import type { ConcurrencyPolicy, WorkflowDefinition, JitterStrategy } from './definition/types.js';
import type { ErrorInfo } from './messages.js';

/** Why a step was skipped (StepSkipped's `cause`). */
export const SkipCause = {
  /** The step's `if` is false. */
  Condition: 'condition',
  /** Every dependency was skipped: the whole branch skips. */
  Branch: 'branch',
  /** A dependency failed or was cancelled. */
  Failure: 'failure',
} as const;
export type SkipCause = (typeof SkipCause)[keyof typeof SkipCause];

export interface EventDataMap {
  RunStarted: {
    workflow: string;
    version: number;
    input: unknown;
    definition: WorkflowDefinition;
    parentRunId?: string;
    parentStepId?: string;
    /** Absent: the default, 2. */
    priority?: number;
    /** A rerun: the run it reran and the step it reran from. */
    rerunOf?: { runId: string; fromStep: string };
    /** The value of the workflow's concurrency key for this run. */
    concurrencyKey?: string;
  };
  /** The run waits, PENDING, for a slot of its concurrency key; `reason` says why. */
  RunQueued: { key: string; limit: number; policy: ConcurrencyPolicy; reason: string };
  /** The run got its slot and starts. */
  RunAdmitted: { key: string; waitedMs: number };
  StepScheduled: { stepId: string; attempt: number; task: string; queue: string; input: unknown };
  /**
   * With `redelivery`: the attempt was delivered again to another worker (its first died), and
   * started again there; `previousWorkerId` is the worker it replaces.
   */
  StepStarted: {
    stepId: string;
    attempt: number;
    workerId: string;
    redelivery?: { previousWorkerId: string };
    /** When the worker started the attempt (its clock), if it said so only with the attempt's result. */
    startedAt?: number;
  };
  StepProgress: { stepId: string; attempt: number; fraction: number; message?: string };
  StepLog: {
    stepId: string;
    attempt: number;
    level: 'debug' | 'info' | 'warn' | 'error';
    message: string;
    fields?: Record<string, unknown>;
  };
  /**
   * `workerId` and `startedAt` (the worker's clock): the attempt's start, when the worker reported
   * it only with the result. A short attempt is reported once, when it ends, and then no
   * StepStarted precedes this event: it starts and ends the attempt.
   */
  StepSucceeded: { stepId: string; attempt: number; output: unknown; workerId?: string; startedAt?: number };
  /** One attempt failed; `reason` tells an error from a timeout. A retry or StepFailed follows. `workerId` and `startedAt` as for StepSucceeded. */
  AttemptFailed: {
    stepId: string;
    attempt: number;
    error: ErrorInfo;
    reason: 'error' | 'timeout' | 'heartbeat-timeout';
    workerId?: string;
    startedAt?: number;
  };
  /** Explains a retry: the base delay from the policy, the jitter drawn, and when it is due. */
  RetryScheduled: {
    stepId: string;
    attempt: number;
    nextAttempt: number;
    jitter: JitterStrategy;
    baseDelayMs: number;
    jitterMs: number;
    delayMs: number;
    dueAt: number;
    /** Set when the worker asked for this delay with a RetryAfterError. */
    retryAfterMs?: number;
  };
  StepFailed: { stepId: string; attempts: number; error: ErrorInfo };
  StepSkipped: { stepId: string; reason: string; cause?: SkipCause };
  /** A forEach step evaluated its list: `count` items, with ids `<stepId>[0]` … */
  ForEachExpanded: { stepId: string; count: number };
  /** A sleep step started: it wakes at `until` (epoch ms). */
  StepSleeping: { stepId: string; attempt: number; until: number };
  /** A wait step started waiting for `signal`. */
  StepWaiting: { stepId: string; attempt: number; signal: string; timeoutAt?: number };
  /** A signal arrived; `stepId` is the step it ended, absent when it is kept for later. */
  SignalReceived: { name: string; payload?: unknown; stepId?: string };
  /** A workflow step started its child run. */
  ChildRunStarted: { stepId: string; attempt: number; childRunId: string; workflow: string; version?: number };
  StepCancelled: { stepId: string; attempt?: number; reason: string };
  /** A rerun starts this step SUCCEEDED with its output from the run it reruns. */
  StepReused: { stepId: string; fromRunId: string; output?: unknown };
  RunSucceeded: { output: unknown };
  RunFailed: { error: ErrorInfo; failedSteps: string[] };
  RunCancelled: { reason: string };
  /** A finished run was reopened: these steps go back to PENDING. */
  RunRetried: { steps: string[] };
}

export type RunEventType = keyof EventDataMap;

export type RunEventOf<T extends RunEventType> = {
  runId: string;
  seq: number;
  type: T;
  at: number;
  data: EventDataMap[T];
};

export type RunEvent = { [T in RunEventType]: RunEventOf<T> }[RunEventType];

export const RUN_EVENT_TYPES: readonly RunEventType[] = [
  'RunStarted',
  'RunQueued',
  'RunAdmitted',
  'StepScheduled',
  'StepStarted',
  'StepProgress',
  'StepLog',
  'StepSucceeded',
  'AttemptFailed',
  'RetryScheduled',
  'StepFailed',
  'StepSkipped',
  'ForEachExpanded',
  'StepSleeping',
  'StepWaiting',
  'SignalReceived',
  'ChildRunStarted',
  'StepCancelled',
  'StepReused',
  'RunSucceeded',
  'RunFailed',
  'RunCancelled',
  'RunRetried',
];
