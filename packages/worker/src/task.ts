import type { Context, Span } from '@opentelemetry/api';

/** What a handler is given besides its input. */
export interface TaskContext {
  runId: string;
  stepId: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Stable across redeliveries of one attempt: use it to make side effects idempotent. */
  idempotencyKey: string;
  /** Aborted when the run is cancelled, the attempt times out, or the worker shuts down. */
  signal: AbortSignal;
  /** Tells the orchestrator the attempt is alive (see `heartbeatTimeoutMs`). Throttled. */
  heartbeat(details?: unknown): void;
  /** Reports progress, 0..1; shown as a progress bar. Counts as a heartbeat. */
  progress(fraction: number, message?: string): void;
  /** A line in the run's log tail. Counts as a heartbeat. */
  log(message: string, fields?: Record<string, unknown>): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
  /**
   * The OpenTelemetry span of this attempt (a child of the run's trace context). The handler runs
   * with it active, so spans it starts with `@opentelemetry/api` are its children. A no-op span
   * when no OpenTelemetry SDK is registered.
   */
  span: Span;
  /** The OpenTelemetry context holding `span`, for `context.with` or explicit parents. */
  traceContext: Context;
}

export type TaskHandler<I = unknown, O = unknown> = (input: I, ctx: TaskContext) => Promise<O> | O;

export interface TaskOptions {
  /** The queue this task is served from. @default 'default' */
  queue?: string;
}

export interface TaskDefinition<I = unknown, O = unknown> {
  readonly name: string;
  readonly handler: TaskHandler<I, O>;
  readonly queue: string;
}

/** Declares a task a worker can run. `name` is what a step's `task` field refers to. */
export function defineTask<I = unknown, O = unknown>(name: string, handler: TaskHandler<I, O>, options: TaskOptions = {}): TaskDefinition<I, O> {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('defineTask: name must be a non-empty string');
  if (typeof handler !== 'function') throw new TypeError(`defineTask(${name}): handler must be a function`);
  return Object.freeze({ name, handler, queue: options.queue ?? 'default' });
}
