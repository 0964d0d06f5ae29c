import type { Context, Span } from '@opentelemetry/api';
import type { ErrorInfo, TaskDispatched, TaskResult } from '@orchestrator-lite/core';
import type { ProduceRecord } from '@orchestrator-lite/transport';
import { toErrorInfo } from './errors.js';
import type { TaskContext } from './task.js';
import type { AttemptSpan } from './tracing.js';

/** Why an attempt was stopped before its handler returned. */
export type StopReason = { kind: 'timeout'; timeoutMs: number | undefined } | { kind: 'cancelled'; reason: string } | { kind: 'shutdown' };

/** A result's type and the fields it carries beyond those every result of the attempt has. */
export type ResultBody = Record<string, unknown> & { type: TaskResult['type'] };

/** What an attempt needs of its worker. */
export interface AttemptHost {
  /** The record of a result of `task`, carrying `headers`. */
  result(task: TaskDispatched, body: ResultBody, headers: Record<string, string> | undefined): ProduceRecord;
  /** Sends an update (TaskStarted, a heartbeat, progress, a log line) on its own, not waited for. */
  send(record: ProduceRecord): void;
  /** Heartbeats closer together than this are not sent. */
  heartbeatThrottleMs: number;
  /** How long an attempt runs before its start is said on its own; until then its result says it. */
  startReportDelayMs: number;
}

/** The TaskContext methods a handler may take out of its context: bound to the attempt. */
type ContextMethods = Pick<TaskContext, 'heartbeat' | 'progress' | 'log'>;

const LOG_LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'warn', 'error']);

/** What a handler's AbortSignal is aborted with, and what the attempt's failure says. */
export function stopMessage(reason: StopReason): string {
  if (reason.kind === 'timeout') return `attempt exceeded its ${reason.timeoutMs} ms timeout`;
  if (reason.kind === 'cancelled') return `cancelled: ${reason.reason}`;
  return 'worker shutting down';
}

/**
 * One attempt of a task on this worker, from the moment it takes a permit until its result is
 * on the bus: the context its handler is given, the timers of its deadline and of its start
 * report, and why it was stopped, if it was.
 *
 * Its start is said on its own (TaskStarted) only when it outlives `startReportDelayMs` while it
 * waits, or when something else is said first (a heartbeat, progress, a log line); otherwise its
 * result carries it. Its AbortSignal is made when the handler first reads it (most never do), already aborted
 * if the attempt was stopped before.
 */
export class Attempt implements TaskContext {
  readonly runId: string;
  readonly stepId: string;
  readonly attempt: number;
  readonly idempotencyKey: string;
  readonly span: Span;
  readonly traceContext: Context;
  readonly startedAt = Date.now();
  /** Offsets of redeliveries of this attempt that arrived while it ran: they finish with it. */
  readonly duplicates: number[] = [];
  /** Settles once the attempt is over and its result is on the bus (or left to the partition's next owner). */
  done: Promise<void> = Promise.resolve();
  #controller: AbortController | undefined;
  #stopped: StopReason | undefined;
  #startReported = false;
  #lastBeat = 0;
  #startTimer: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #methods: ContextMethods | undefined;

  constructor(
    readonly task: TaskDispatched,
    readonly tracing: AttemptSpan,
    private readonly host: AttemptHost,
  ) {
    this.runId = task.runId;
    this.stepId = task.stepId;
    this.attempt = task.attempt;
    this.idempotencyKey = task.idempotencyKey;
    this.span = tracing.span;
    this.traceContext = tracing.context;
    if (task.deadlineAt !== undefined) {
      this.#deadline = setTimeout(() => this.stop({ kind: 'timeout', timeoutMs: task.timeoutMs }), Math.max(0, task.deadlineAt - this.startedAt));
    }
    if (host.startReportDelayMs === 0) this.#reportStart();
  }

  /**
   * The attempt is about to wait (for its input's payloads, or for its handler's promise): its
   * start is said on its own once it has run `startReportDelayMs`. A handler that returns at once
   * never waits, and no timer could fire before its result, which says its start: it arms none.
   */
  waits(): void {
    if (this.#startReported || this.#startTimer !== undefined) return;
    this.#startTimer = setTimeout(() => this.#reportStart(), Math.max(0, this.startedAt + this.host.startReportDelayMs - Date.now()));
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#stopped !== undefined) this.#controller.abort(new Error(stopMessage(this.#stopped)));
    }
    return this.#controller.signal;
  }

  get heartbeat(): ContextMethods['heartbeat'] {
    return this.#bound().heartbeat;
  }

  get progress(): ContextMethods['progress'] {
    return this.#bound().progress;
  }

  get log(): ContextMethods['log'] {
    return this.#bound().log;
  }

  /** Why the attempt was stopped, if it was. */
  get stopped(): StopReason | undefined {
    return this.#stopped;
  }

  /** Stops the attempt: its signal is aborted (the first reason wins). */
  stop(reason: StopReason): void {
    if (this.#stopped !== undefined) return;
    this.#stopped = reason;
    this.#controller?.abort(new Error(stopMessage(reason)));
  }

  /** An update of this attempt, as its result records are. */
  update(body: ResultBody): ProduceRecord {
    return this.host.result(this.task, body, this.tracing.headers);
  }

  /** The handler is done: its timers stop; what its result must say of the start (nothing when TaskStarted went out). */
  handlerEnded(): { startedAt?: number } {
    clearTimeout(this.#startTimer);
    clearTimeout(this.#deadline);
    return this.#startReported ? {} : { startedAt: this.startedAt };
  }

  /** The failure of a handler that threw `error`: the stop's, when the attempt was stopped. */
  failureOf(error: unknown): ErrorInfo {
    const stopped = this.#stopped;
    if (stopped === undefined) return toErrorInfo(error);
    return { type: stopped.kind === 'timeout' ? 'ORCH_TIMEOUT' : 'ORCH_CANCELLED', message: stopMessage(stopped) };
  }

  #reportStart(): void {
    if (this.#startReported) return;
    this.#startReported = true;
    clearTimeout(this.#startTimer);
    this.host.send(this.update({ type: 'TaskStarted' }));
  }

  #beat(): void {
    this.#reportStart();
    this.#lastBeat = Date.now();
  }

  #bound(): ContextMethods {
    this.#methods ??= {
      heartbeat: (details?: unknown) => {
        if (Date.now() - this.#lastBeat < this.host.heartbeatThrottleMs) return;
        this.#beat();
        this.host.send(this.update({ type: 'TaskHeartbeat', ...(details === undefined ? {} : { details }) }));
      },
      progress: (fraction: number, message?: string) => {
        this.#beat();
        const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
        this.host.send(this.update({ type: 'TaskProgress', fraction: clamped, ...(message === undefined ? {} : { message: String(message).slice(0, 500) }) }));
      },
      log: ((a: string, b?: unknown, c?: Record<string, unknown>) => {
        this.#beat();
        const [level, message, fields] = LOG_LEVELS.has(a) && typeof b === 'string' ? [a, b, c] : ['info', a, b as Record<string, unknown> | undefined];
        this.host.send(this.update({ type: 'TaskLog', level, message: String(message).slice(0, 4096), ...(fields === undefined ? {} : { fields }) }));
      }) as ContextMethods['log'],
    };
    return this.#methods;
  }
}
