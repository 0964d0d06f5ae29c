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

export interface StepDefinition {
  /** Unique within the workflow: letters, digits, `_` and `-`. */
  id: string;
  /** The task name a worker registered with `defineTask`. */
  task: string;
  /** Steps that must succeed before this one starts. @default [] */
  dependsOn?: string[];
  /** Input for the task; strings may hold `${input.x}` and `${steps.<id>.output.y}` templates. */
  input?: unknown;
  retry?: Partial<RetryPolicy>;
  /** Start-to-close timeout of one attempt. */
  timeoutMs?: number;
  /** An attempt that sends no heartbeat for this long fails. */
  heartbeatTimeoutMs?: number;
  /** The task queue (topic suffix) the step is dispatched to. @default 'default' */
  queue?: string;
}

export interface WorkflowDefinition {
  name: string;
  description?: string;
  steps: StepDefinition[];
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
