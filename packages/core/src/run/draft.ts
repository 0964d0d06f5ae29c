/**
 * The working copy the reducer edits while applying one input: a cloned state plus the outputs
 * (events, tasks, control messages) the transition produces. Internal to the reducer.
 */
import type { EventDataMap, RunEvent, RunEventType } from '../events.js';
import type { Command, ControlMessage, TaskDispatched } from '../messages.js';
import { findStep } from './lookup.js';
import type { AttemptView, RunState, StepView, Timer, TimerKind } from './types.js';

export interface ReduceContext {
  /** The current time, epoch ms. Every event of the transition carries it. */
  now: number;
  /** A source of floats in [0, 1) for retry jitter. */
  random: () => number;
}

export interface ReduceResult {
  /** The new state; the same object as the argument when the input changed nothing. */
  state: RunState | undefined;
  events: RunEvent[];
  tasks: TaskDispatched[];
  control: ControlMessage[];
  /** Commands for other runs (a child to start or cancel, a parent to notify), keyed by their runId. */
  commands: Command[];
}

export const TERMINAL_STEP_STATUSES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED']);
export const TERMINAL_RUN_STATUSES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export function timerId(kind: TimerKind, stepId: string, attempt: number): string {
  return `${kind}:${stepId}:${attempt}`;
}

export class Draft {
  readonly events: RunEvent[] = [];
  readonly tasks: TaskDispatched[] = [];
  readonly control: ControlMessage[] = [];
  readonly commands: Command[] = [];
  /** Set when the state changed without an event (heartbeats re-arming a timer). */
  touched = false;

  constructor(
    readonly state: RunState,
    readonly ctx: ReduceContext,
  ) {}

  get now(): number {
    return this.ctx.now;
  }

  emit<T extends RunEventType>(type: T, data: EventDataMap[T]): void {
    const seq = ++this.state.lastSeq;
    // updatedAt follows events, so that a projection of the history reproduces it exactly.
    this.state.updatedAt = this.ctx.now;
    this.events.push({ runId: this.state.runId, seq, type, at: this.ctx.now, data } as RunEvent);
  }

  /** A step, or the item `<id>[<index>]` of a forEach step. */
  step(stepId: string): StepView {
    const step = findStep(this.state, stepId);
    if (!step) throw new Error(`unknown step ${stepId}`);
    return step;
  }

  currentAttempt(stepId: string): AttemptView | undefined {
    const attempts = this.step(stepId).attempts;
    return attempts[attempts.length - 1];
  }

  setTimer(kind: TimerKind, stepId: string, attempt: number, dueAt: number): void {
    const id = timerId(kind, stepId, attempt);
    const timers = this.state.timers.filter((t) => t.id !== id);
    const timer: Timer = { id, kind, stepId, attempt, dueAt };
    timers.push(timer);
    this.state.timers = timers;
    this.touched = true;
  }

  removeTimer(id: string): void {
    const before = this.state.timers.length;
    this.state.timers = this.state.timers.filter((t) => t.id !== id);
    if (this.state.timers.length !== before) this.touched = true;
  }

  removeStepTimers(stepId: string): void {
    const before = this.state.timers.length;
    this.state.timers = this.state.timers.filter((t) => t.stepId !== stepId);
    if (this.state.timers.length !== before) this.touched = true;
  }

  get changed(): boolean {
    return this.touched || this.events.length > 0 || this.tasks.length > 0 || this.control.length > 0 || this.commands.length > 0;
  }
}
