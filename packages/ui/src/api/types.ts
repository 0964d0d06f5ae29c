/**
 * The wire shapes the UI reads, copied from `@orchestrator-lite/core` (events.ts, run/types.ts,
 * definition/types.ts) so that the UI builds on its own. Keep them in step with core.
 */

export type JitterStrategy = 'full' | 'equal' | 'decorrelated' | 'none';

export interface ErrorInfo {
  type: string;
  message: string;
  nonRetryable?: boolean;
  retryAfterMs?: number;
  details?: unknown;
}

export interface RetryPolicy {
  maxAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maxIntervalMs: number;
  jitter: JitterStrategy;
  nonRetryableErrors: string[];
}

export interface StepDefinition {
  id: string;
  task: string;
  dependsOn?: string[];
  input?: unknown;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  heartbeatTimeoutMs?: number;
  queue?: string;
}

export interface WorkflowDefinition {
  name: string;
  description?: string;
  steps: StepDefinition[];
  output?: unknown;
}

/** An item of GET /api/v1/workflows; `definition` may be absent in a summary. */
export interface WorkflowSummary {
  name: string;
  version: number;
  description?: string;
  definition?: WorkflowDefinition;
  registeredAt?: number;
}

export interface EventDataMap {
  RunStarted: { workflow: string; version: number; input: unknown; definition: WorkflowDefinition };
  StepScheduled: { stepId: string; attempt: number; task: string; queue: string; input: unknown };
  StepStarted: { stepId: string; attempt: number; workerId: string };
  StepProgress: { stepId: string; attempt: number; fraction: number; message?: string };
  StepLog: {
    stepId: string;
    attempt: number;
    level: 'debug' | 'info' | 'warn' | 'error';
    message: string;
    fields?: Record<string, unknown>;
  };
  StepSucceeded: { stepId: string; attempt: number; output: unknown };
  AttemptFailed: { stepId: string; attempt: number; error: ErrorInfo; reason: 'error' | 'timeout' | 'heartbeat-timeout' };
  RetryScheduled: {
    stepId: string;
    attempt: number;
    nextAttempt: number;
    jitter: JitterStrategy;
    baseDelayMs: number;
    jitterMs: number;
    delayMs: number;
    dueAt: number;
    retryAfterMs?: number;
  };
  StepFailed: { stepId: string; attempts: number; error: ErrorInfo };
  StepSkipped: { stepId: string; reason: string };
  StepCancelled: { stepId: string; attempt?: number; reason: string };
  RunSucceeded: { output: unknown };
  RunFailed: { error: ErrorInfo; failedSteps: string[] };
  RunCancelled: { reason: string };
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

/** A frame of the all-runs stream: an event plus the opaque cursor to resume after it. */
export type StreamFrame = RunEvent & { cursor?: string };

export const RUN_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const STEP_STATUSES = [
  'PENDING',
  'SCHEDULED',
  'RUNNING',
  'RETRY_WAIT',
  'SUCCEEDED',
  'FAILED',
  'SKIPPED',
  'CANCELLED',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export type AttemptStatus = 'SCHEDULED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED';

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
  retry?: EventDataMap['RetryScheduled'];
}

export interface StepView {
  status: StepStatus;
  task: string;
  dependsOn: string[];
  attempts: AttemptView[];
  output?: unknown;
  error?: ErrorInfo;
  nextRetryAt?: number;
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
  lastSeq: number;
  definition: WorkflowDefinition;
  steps: Record<string, StepView>;
}

/** A row of the run list: what GET /api/v1/runs returns for each run (a RunView or a summary of one). */
export interface RunSummary {
  runId: string;
  workflow: string;
  version?: number;
  status: RunStatus;
  createdAt: number;
  updatedAt: number;
  lastSeq?: number;
  error?: ErrorInfo;
  /** When the run finished, from its terminal event; feeds the latency chart. */
  endedAt?: number;
}

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}
