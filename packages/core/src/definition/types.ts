/**
 * The shape of a workflow definition: a DAG of steps, each running one task.
 * Validation lives in `validate.ts`; this file only names the types.
 */

export const JitterStrategy = {
  Full: 'full',
  Equal: 'equal',
  Decorrelated: 'decorrelated',
  None: 'none',
} as const;
export type JitterStrategy = (typeof JitterStrategy)[keyof typeof JitterStrategy];

/** How a failed attempt of a step is retried. */
export interface RetryPolicy {
  /** Attempts in all, the first one included. @default 3 */
  maxAttempts: number;
  /** Delay before the second attempt, before jitter. @default 1000 */
  initialIntervalMs: number;
  /** Each further delay is the previous one times this. @default 2 */
  backoffCoefficient: number;
  /** Cap on the base delay. @default 60000 */
  maxIntervalMs: number;
  /** How randomness is added to the base delay. @default 'full' */
  jitter: JitterStrategy;
  /** Error types (the `type` of a failure) that are never retried. @default [] */
  nonRetryableErrors: string[];
}

/** What a step does: run a task (the default), sleep, wait for a signal, or run a child workflow. */
export const StepType = {
  Task: 'task',
  Sleep: 'sleep',
  Wait: 'wait',
  Workflow: 'workflow',
} as const;
export type StepType = (typeof StepType)[keyof typeof StepType];
export const STEP_TYPES: readonly StepType[] = Object.values(StepType);

export interface StepDefinition {
  /** Unique within the workflow: letters, digits, `_` and `-`. */
  id: string;
  /** What the step does. @default 'task' */
  type?: StepType;
  /** The task name a worker registered with `defineTask` (task steps only, where it is required). */
  task?: string;
  /** Steps that must end (SUCCEEDED, or SKIPPED) before this one starts. @default [] */
  dependsOn?: string[];
  /**
   * Input for the task or the child workflow; strings may hold `${input.x}`,
   * `${steps.<id>.output.y}` and, in a forEach step, `${item}` and `${index}` templates.
   */
  input?: unknown;
  retry?: Partial<RetryPolicy>;
  /** Start-to-close timeout of one attempt; for a wait step, how long to wait for the signal. */
  timeoutMs?: number;
  /** An attempt that sends no heartbeat for this long fails. */
  heartbeatTimeoutMs?: number;
  /** The task queue (topic suffix) the step is dispatched to. @default 'default' */
  queue?: string;
  /** A CEL condition, evaluated once every dependency has ended: false makes the step SKIPPED. */
  if?: string;
  /** A CEL expression giving a list: the task runs once per element (task steps only). */
  forEach?: string;
  /** At most this many items of a forEach run at once. @default every item at once */
  maxParallel?: number;
  /** Sleep steps: how long to sleep. Exactly one of `durationMs` and `until`. */
  durationMs?: number;
  /** Sleep steps: a CEL expression giving a timestamp (or an RFC 3339 string) to sleep until. */
  until?: string;
  /** Wait steps: the name of the signal that ends the wait; its payload is the step's output. */
  signal?: string;
  /** Workflow steps: the child workflow's name. */
  workflow?: string;
  /** Workflow steps: the child workflow's version. @default the latest when the child starts */
  version?: number;
}

/** What a run does when its concurrency key already has `limit` runs in flight. */
export const ConcurrencyPolicy = {
  /** Wait, PENDING, until a run with the same key ends; first come, first served. */
  Queue: 'queue',
  /** The new run is cancelled. */
  CancelNewest: 'cancelNewest',
  /** The oldest run in flight with the key is cancelled, and the new one takes its place. */
  CancelOldest: 'cancelOldest',
} as const;
export type ConcurrencyPolicy = (typeof ConcurrencyPolicy)[keyof typeof ConcurrencyPolicy];
export const CONCURRENCY_POLICIES: readonly ConcurrencyPolicy[] = Object.values(ConcurrencyPolicy);

/** At most `limit` runs of the workflow with the same value of `key` (CEL over `input` and `run`) run at once. */
export interface ConcurrencySpec {
  key: string;
  limit: number;
  /** Absent: `queue`. */
  policy?: ConcurrencyPolicy;
}

export interface WorkflowDefinition {
  name: string;
  description?: string;
  steps: StepDefinition[];
  concurrency?: ConcurrencySpec;
  /** The run's output, templated like step inputs. Defaults to the outputs of the sink steps. */
  output?: unknown;
}

/** A definition as registered: with its version number. */
export interface RegisteredWorkflow {
  name: string;
  version: number;
  definition: WorkflowDefinition;
  registeredAt: number;
  /**
   * Who claimed this version: a random id per registration attempt. On the `definitions` topic
   * the first claim of `name@version` in log order wins, so every reader agrees on one body.
   */
  claim?: string;
}
