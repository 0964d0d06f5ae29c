/** Drives the pure reducer in tests: an injected clock, a seeded PRNG, and every output kept. */
import assert from 'node:assert/strict';
import {
  decodeSnapshot,
  encodeMessage,
  mulberry32,
  parseSnapshotKey,
  restoreRun,
  snapshotWrites,
  TERMINAL_RUN_STATUSES,
  withStateLayout,
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
  type SnapshotRecord,
  type StepRecord,
  type OutputRecord,
  type InputRecord,
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
    options: { seed?: number; now?: number; runId?: string; firstSnapshotAtEnd?: boolean } = {},
  ) {
    this.now = options.now ?? 1_000_000;
    this.random = mulberry32(options.seed ?? 1);
    this.runId = options.runId ?? 'run-1';
    this.firstSnapshotAtEnd = options.firstSnapshotAtEnd ?? false;
  }

  /**
   * Whether the run's first snapshot waits until it ends, as the orchestrator's background
   * snapshots do for a run that begins and ends between two of them; else every input that
   * changes the run writes one.
   */
  private readonly firstSnapshotAtEnd: boolean;
  /** The run as its last snapshot left it. */
  private written: RunState | undefined;

  readonly runId: string;
  /** `orch.state` as the orchestrator would leave it: the latest record per key, through the codec. */
  readonly stateRecords = new Map<string, SnapshotRecord>();
  /** Bytes written to `orch.state` (keys and values), one entry per input that changed the run. */
  readonly stateWrites: number[] = [];

  apply(input: RunInput): ReduceResult {
    const before = this.state === undefined ? undefined : structuredClone(this.state);
    const restored = this.restored();
    const draws: number[] = [];
    const recorded = () => {
      const x = this.random();
      draws.push(x);
      return x;
    };
    const r = reduceRun(this.state, input, { now: this.now, random: recorded });
    if (before !== undefined) assert.deepEqual(this.state, before, 'reduceRun must not mutate its input');
    if (restored !== undefined) {
      // A run restored from its parts on orch.state behaves exactly like the one held in memory.
      const again = reduceRun(restored, input, { now: this.now, random: () => draws.shift() ?? 0 });
      assert.deepEqual({ events: again.events, tasks: again.tasks, control: again.control }, { events: r.events, tasks: r.tasks, control: r.control }, `restored run diverged on ${input.type}`);
    }
    // Each snapshot bumps stateVersion, as the orchestrator's do: a restore compares them.
    if (r.state !== undefined && r.state !== this.state) {
      const next = { ...r.state, stateVersion: (this.state?.stateVersion ?? 0) + 1 };
      const waits = this.firstSnapshotAtEnd && this.written === undefined && !TERMINAL_RUN_STATUSES.has(next.status);
      this.state = waits ? next : this.writeSnapshot(this.written, next);
    } else {
      this.state = r.state;
    }
    this.events.push(...r.events);
    this.tasks.push(...r.tasks);
    this.control.push(...r.control);
    this.commands.push(...r.commands);
    return r;
  }

  /** Writes the transition's records; returns `next` with the layout they leave, as the orchestrator keeps it. */
  private writeSnapshot(prev: RunState | undefined, next: RunState): RunState {
    let bytes = 0;
    const { writes, layout } = snapshotWrites(prev, next, 'digest');
    for (const write of writes) {
      const value = write.value === null ? null : encodeMessage(write.value);
      bytes += Buffer.byteLength(write.key) + (value?.length ?? 0);
      if (value === null) this.stateRecords.delete(write.key);
      else this.stateRecords.set(write.key, decodeSnapshot(value));
    }
    this.stateWrites.push(bytes);
    this.written = withStateLayout(next, layout);
    return this.written;
  }

  /** The run rebuilt from `stateRecords` alone, as a partition restore would. */
  restored(): RunState | undefined {
    const header = this.stateRecords.get(this.runId);
    if (header?.kind !== 'run') return undefined;
    const steps = new Map<string, StepRecord>();
    const outputs = new Map<string, OutputRecord>();
    let input: unknown;
    for (const [key, record] of this.stateRecords) {
      if (record.kind === 'step') steps.set(parseSnapshotKey(key, 'step').stepId!, record);
      else if (record.kind === 'output') outputs.set(parseSnapshotKey(key, 'output').stepId!, record);
      else if (record.kind === 'input') input = record;
    }
    return restoreRun({ header, steps, outputs, ...(input === undefined ? {} : { input: input as InputRecord }) }, this.definition);
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
  /** A TimerFired of `timerId`, for its arming `armed` when given (else as a record of an earlier release). */
  fire(timerId: string, armed?: number): ReduceResult {
    return this.apply({ v: 1, type: 'TimerFired', runId: this.runId, timerId, ...(armed === undefined ? {} : { armed }), at: this.now });
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
    return this.fire(timer.id, timer.armed);
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
