/** Drives the pure reducer in tests: an injected clock, a seeded PRNG, and every output kept. */
import assert from 'node:assert/strict';
import {
  mulberry32,
  projectRun,
  reduceRun,
  toView,
  type Command,
  type ControlMessage,
  type ErrorInfo,
  type ReduceResult,
  type RunEvent,
  type RunEventOf,
  type RunEventType,
  type RunInput,
  type RunState,
  type TaskDispatched,
  type WorkflowDefinition,
} from '../../src/index.js';

export class RunHarness {
  state: RunState | undefined;
  readonly events: RunEvent[] = [];
  readonly tasks: TaskDispatched[] = [];
  readonly control: ControlMessage[] = [];
  readonly commands: Command[] = [];
  now: number;
  readonly random: () => number;

  constructor(
    readonly definition: WorkflowDefinition,
    options: { seed?: number; now?: number; runId?: string } = {},
  ) {
    this.now = options.now ?? 1_000_000;
    this.random = mulberry32(options.seed ?? 1);
    this.runId = options.runId ?? 'run-1';
  }

  readonly runId: string;

  apply(input: RunInput): ReduceResult {
    const before = this.state === undefined ? undefined : structuredClone(this.state);
    const r = reduceRun(this.state, input, { now: this.now, random: this.random });
    if (before !== undefined) assert.deepEqual(this.state, before, 'reduceRun must not mutate its input');
    this.state = r.state;
    this.events.push(...r.events);
    this.tasks.push(...r.tasks);
    this.control.push(...r.control);
    this.commands.push(...r.commands);
    return r;
  }

  start(input: unknown = {}): ReduceResult {
    return this.apply({ v: 1, type: 'StartRun', runId: this.runId, workflow: this.definition.name, version: 1, definition: this.definition, input, at: this.now });
  }

  private base(stepId: string, attempt: number, workerId = 'w1') {
    return { v: 1 as const, runId: this.runId, stepId, attempt, workerId, at: this.now };
  }

  started(stepId: string, attempt = 1, workerId = 'w1'): ReduceResult {
    return this.apply({ ...this.base(stepId, attempt, workerId), type: 'TaskStarted' });
  }
  heartbeat(stepId: string, attempt = 1): ReduceResult {
    return this.apply({ ...this.base(stepId, attempt), type: 'TaskHeartbeat' });
  }
  progress(stepId: string, attempt: number, fraction: number, message?: string): ReduceResult {
    return this.apply({ ...this.base(stepId, attempt), type: 'TaskProgress', fraction, ...(message === undefined ? {} : { message }) });
  }
  log(stepId: string, attempt: number, message: string): ReduceResult {
    return this.apply({ ...this.base(stepId, attempt), type: 'TaskLog', level: 'info', message });
  }
  complete(stepId: string, attempt = 1, output: unknown = { ok: stepId }): ReduceResult {
    return this.apply({ ...this.base(stepId, attempt), type: 'TaskCompleted', output });
  }
  fail(stepId: string, attempt = 1, error: Partial<ErrorInfo> = {}): ReduceResult {
    return this.apply({ ...this.base(stepId, attempt), type: 'TaskFailed', error: { type: 'Boom', message: `${stepId} failed`, ...error } });
  }
  fire(timerId: string): ReduceResult {
    return this.apply({ v: 1, type: 'TimerFired', runId: this.runId, timerId, at: this.now });
  }
  cancel(reason?: string): ReduceResult {
    return this.apply({ v: 1, type: 'CancelRun', runId: this.runId, ...(reason === undefined ? {} : { reason }), at: this.now });
  }
  signal(name: string, payload?: unknown): ReduceResult {
    return this.apply({ v: 1, type: 'Signal', runId: this.runId, name, ...(payload === undefined ? {} : { payload }), at: this.now });
  }
  /** The child run of `stepId` ended: what the child's reducer sends the parent. */
  childEnded(stepId: string, status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED', output?: unknown, childRunId?: string): ReduceResult {
    const id = childRunId ?? this.state?.steps[stepId]?.childRunId ?? 'none';
    return this.apply({
      v: 1,
      type: 'ChildRunEnded',
      runId: this.runId,
      childRunId: id,
      stepId,
      status,
      ...(output === undefined ? {} : { output }),
      ...(status === 'SUCCEEDED' ? {} : { error: { type: 'ORCH_STEP_FAILED', message: 'child failed' } }),
      at: this.now,
    });
  }
  retryRun(): ReduceResult {
    return this.apply({ v: 1, type: 'RetryRun', runId: this.runId, at: this.now });
  }

  /** Moves the clock to the timer's due time and fires it. */
  fireTimer(prefix: string): ReduceResult {
    const timer = this.state?.timers.find((t) => t.id.startsWith(prefix));
    assert.ok(timer, `no timer ${prefix}; timers: ${JSON.stringify(this.state?.timers)}`);
    this.now = Math.max(this.now, timer.dueAt);
    return this.fire(timer.id);
  }

  ofType<T extends RunEventType>(type: T): RunEventOf<T>[] {
    return this.events.filter((e) => e.type === type) as unknown as RunEventOf<T>[];
  }

  /** The invariants every sequence must keep: seq 1..n and projection == toView(state). */
  checkInvariants(): void {
    this.events.forEach((e, i) => assert.equal(e.seq, i + 1, 'seq increases by 1'));
    if (this.state) assert.deepEqual(projectRun(this.events), toView(this.state));
  }
}

/** The core API, for the tests in subfolders (which may not reach across three levels). */
export * from '../../src/index.js';
