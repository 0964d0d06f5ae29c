/**
 * The working copy the reducer edits while applying one input, plus the outputs (events, tasks,
 * control messages) the transition produces. Internal to the reducer.
 *
 * Copy on touch, not on entry: the run's top level and its small bookkeeping maps are copied
 * once per input, a step is copied the first time it is read through `state.steps`, and the
 * definition, the run input and every output are shared, never copied. `finish()` gives back
 * the untouched step objects of the argument, so a transition costs what it changes, and
 * `prev.steps[id] === next.steps[id]` tells a snapshot writer which steps did.
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

  readonly state: RunState;
  readonly #base: RunState | undefined;
  readonly #copies: Record<string, StepView>;
  /** The steps copied into `#copies` (read through `state.steps`) or set there. */
  readonly #copied = new Set<string>();

  /** `base` is never edited; pass a state of your own (a new run) with `owned` to edit it in place. */
  constructor(base: RunState, ctx: ReduceContext, owned = false) {
    this.ctx = ctx;
    if (owned) {
      this.state = base;
      this.#copies = base.steps;
      return;
    }
    this.#base = base;
    this.#copies = { ...base.steps };
    this.state = {
      ...base,
      steps: copyOnRead(this.#copies, this.#copied),
      timers: [...base.timers],
      lastDelayMs: { ...base.lastDelayMs },
      ...(base.attemptBase === undefined ? {} : { attemptBase: { ...base.attemptBase } }),
    };
  }

  readonly ctx: ReduceContext;

  /** The ids of the run's steps, read without copying any (`Object.keys(state.steps)` goes through its proxy, slowly). */
  stepIds(): string[] {
    return Object.keys(this.#copies);
  }

  /** Whether every step, read without copying, passes `test`: walked in place, not listed first. */
  everyStep(test: (step: StepView) => boolean): boolean {
    for (const id in this.#copies) if (!test(this.#copies[id]!)) return false;
    return true;
  }

  /** Reads a step without copying it: for questions, never for edits. */
  peek(stepId: string): StepView | undefined {
    return Object.hasOwn(this.#copies, stepId) ? this.#copies[stepId] : undefined;
  }

  /**
   * The new state: plain objects, with the argument's step objects wherever nothing changed. Its
   * steps are the draft's own copy of the argument's, the copies that equal their original given
   * back: the draft is done with them.
   */
  finish(): RunState {
    const base = this.#base;
    if (base === undefined) return this.state;
    const steps = this.#copies;
    for (const id of this.#copied) {
      const original = Object.hasOwn(base.steps, id) ? base.steps[id] : undefined;
      if (original !== undefined && steps[id] !== original && sameStep(steps[id]!, original)) steps[id] = original;
    }
    return { ...this.state, steps };
  }

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
    const armed = (this.state.timers.find((t) => t.id === id)?.armed ?? 0) + 1;
    const timers = this.state.timers.filter((t) => t.id !== id);
    const timer: Timer = { id, kind, stepId, attempt, dueAt, armed };
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

/** A step's copy: its attempts and forEach items are copied too, since the reducer edits them in place. */
function copyStep(step: StepView): StepView {
  const copy: StepView = { ...step, attempts: step.attempts.map((a) => ({ ...a })) };
  if (step.items !== undefined) copy.items = step.items.map(copyStep);
  return copy;
}

/**
 * The steps of a draft: a step is copied into `copies` the first time it is read, so that the
 * reducer's in-place edits never reach the argument's objects.
 */
function copyOnRead(copies: Record<string, StepView>, copied: Set<string>): Record<string, StepView> {
  return new Proxy(copies, {
    get(target, key, receiver) {
      if (typeof key !== 'string' || !Object.hasOwn(target, key)) return Reflect.get(target, key, receiver) as unknown;
      if (!copied.has(key)) {
        copied.add(key);
        target[key] = copyStep(target[key]!);
      }
      return target[key];
    },
    set(target, key, value) {
      if (typeof key === 'string') copied.add(key);
      return Reflect.set(target, key, value);
    },
  });
}

function shallowEqual(a: object, b: object): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || (a as Record<string, unknown>)[k] !== (b as Record<string, unknown>)[k]) return false;
  }
  return true;
}

/** Whether a step copy still equals its original: the same fields, the same attempts field by field. */
function sameStep(copy: StepView, original: StepView): boolean {
  const { attempts: ca, items: ci, ...cr } = copy;
  const { attempts: oa, items: oi, ...or } = original;
  if (ca.length !== oa.length || !shallowEqual(cr, or)) return false;
  if ((ci === undefined) !== (oi === undefined) || (ci !== undefined && oi !== undefined && (ci.length !== oi.length || !ci.every((item, i) => sameStep(item, oi[i]!))))) return false;
  return ca.every((a, i) => shallowEqual(a, oa[i]!));
}
