/**
 * The read model: a RunView folded from a run's events. Everything in a RunView is derivable
 * from the history (RunStarted carries the definition), so the gateway and the UI can rebuild a
 * run from `orch.events` alone, and `projectRun(events)` equals `toView(state)` of the reducer.
 *
 * Deduplication: `applyEvent` ignores an event whose `seq` is not above the view's `lastSeq`
 * (a redelivery) and returns the view unchanged. It does not detect gaps; a caller that needs
 * gap-free views checks `event.seq === view.lastSeq + 1` itself.
 */
import type { RunEvent } from '../events.js';
import { OrchError, ErrorCode } from '../errors.js';
import type { AttemptView, RunState, RunView, StepView } from './types.js';
import { stepLabel } from '../definition/labels.js';
import { parseItemId } from './lookup.js';
import { closeItems, expandItems } from './items.js';

/** A forEach step ended: its items that had not ended are CANCELLED (copied, not edited in place). */
function endItems(step: StepView): void {
  if (!step.items) return;
  step.items = step.items.map((item) => ({ ...item }));
  closeItems(step);
}

/** A RunState without the orchestrator's bookkeeping: the shape a projection produces. */
export function toView(state: RunState): RunView {
  const {
    timers: _timers,
    lastDelayMs: _lastDelayMs,
    attemptBase: _attemptBase,
    applied: _applied,
    stateVersion: _stateVersion,
    epoch: _epoch,
    trace: _trace,
    signals: _signals,
    forEachLists: _forEachLists,
    stateLayout: _stateLayout,
    ...view
  } = state;
  return structuredClone(view);
}

/** Copies the view, the step (or forEach item) and its attempts on the way, then lets `fn` edit them. */
function editStep(view: RunView, stepId: string, fn: (step: StepView, attempt: (n: number) => AttemptView | undefined) => void): void {
  const item = parseItemId(stepId);
  const ownerId = item?.stepId ?? stepId;
  const owner = Object.hasOwn(view.steps, ownerId) ? view.steps[ownerId] : undefined;
  if (!owner) return;
  const prev = item === undefined ? owner : owner.items?.[item.index];
  if (!prev) return;
  const step: StepView = { ...prev, attempts: [...prev.attempts] };
  if (item === undefined) {
    view.steps = { ...view.steps, [stepId]: step };
  } else {
    const items = [...(owner.items ?? [])];
    items[item.index] = step;
    view.steps = { ...view.steps, [ownerId]: { ...owner, items } };
  }
  fn(step, (n) => {
    const i = step.attempts.findIndex((a) => a.attempt === n);
    const found = step.attempts[i];
    if (!found) return undefined;
    const copy = { ...found };
    step.attempts[i] = copy;
    return copy;
  });
}

/** An attempt that runs from the moment it is scheduled (a sleep, a wait, a child run: no worker takes it). */
function runAtOnce(step: StepView, attempt: number, at: number): void {
  step.status = 'RUNNING';
  delete step.nextRetryAt;
  step.attempts.push({ attempt, status: 'RUNNING', scheduledAt: at, startedAt: at });
}

/** The start an ending event carries when no StepStarted preceded it: the attempt's worker and start time. */
function reportedStart(data: { workerId?: string; startedAt?: number }): Partial<AttemptView> {
  return data.startedAt === undefined ? {} : { startedAt: data.startedAt, ...(data.workerId === undefined ? {} : { workerId: data.workerId }) };
}

/**
 * The view holds the event's input and definition, not copies, as later views hold the data of
 * the events that made them (outputs, errors): views are never edited in place (`applyEvent`
 * copies what it changes), and neither are the events.
 */
function fromStarted(event: Extract<RunEvent, { type: 'RunStarted' }>): RunView {
  const { definition } = event.data;
  const steps: Record<string, StepView> = {};
  for (const s of definition.steps) {
    // hasOwn, not ??=: a step may be called `constructor` or `toString`.
    if (!Object.hasOwn(steps, s.id)) steps[s.id] = { status: 'PENDING', task: stepLabel(s), dependsOn: [...(s.dependsOn ?? [])], attempts: [] };
  }
  const { parentRunId, parentStepId, priority, rerunOf, concurrencyKey } = event.data;
  return {
    runId: event.runId,
    workflow: event.data.workflow,
    version: event.data.version,
    status: 'RUNNING',
    input: event.data.input,
    createdAt: event.at,
    updatedAt: event.at,
    lastSeq: event.seq,
    definition,
    steps,
    ...(parentRunId === undefined || parentStepId === undefined ? {} : { parentRunId, parentStepId }),
    ...(priority === undefined ? {} : { priority }),
    ...(rerunOf === undefined ? {} : { rerunOf }),
    ...(concurrencyKey === undefined ? {} : { concurrencyKey }),
  };
}

type EventOf<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;
/** The events that name a step, and so edit it. */
type StepEvent = Extract<RunEvent, { data: { stepId: string } }>;
type AttemptOf = (n: number) => AttemptView | undefined;

/**
 * What one type of event does to a view: it edits `next`, the view's copy with the event's seq
 * and time, or returns a view of its own.
 */
type Applier<E extends RunEvent> = (next: RunView, event: E, view: RunView) => RunView | void;

/** An applier that edits the event's step: `edit` gets its copy, and its attempt by number. */
function onStep<E extends StepEvent>(edit: (step: StepView, event: E, attempt: AttemptOf) => void): Applier<E> {
  return (next, event) => editStep(next, event.data.stepId, (step, attempt) => edit(step, event, attempt));
}

/** The step stops waiting: no retry due, no wake-up, no signal awaited. */
function stopWaiting(step: StepView): void {
  delete step.nextRetryAt;
  delete step.wakeAt;
  delete step.waitingFor;
}

function stepStarted(step: StepView, event: EventOf<'StepStarted'>, attempt: AttemptOf): void {
  const at = event.at;
  step.status = 'RUNNING';
  delete step.nextRetryAt;
  const a = attempt(event.data.attempt);
  if (a === undefined) return;
  const moved = event.data.redelivery;
  if (moved !== undefined) {
    a.redeliveries = [...(a.redeliveries ?? []), { at, fromWorkerId: moved.previousWorkerId, toWorkerId: event.data.workerId, previousStartedAt: a.startedAt ?? at }];
  }
  Object.assign(a, { status: 'RUNNING', startedAt: event.data.startedAt ?? at, workerId: event.data.workerId });
}

function stepSucceeded(step: StepView, event: EventOf<'StepSucceeded'>, attempt: AttemptOf): void {
  step.status = 'SUCCEEDED';
  step.output = event.data.output;
  stopWaiting(step);
  const a = attempt(event.data.attempt);
  if (a) Object.assign(a, { status: 'SUCCEEDED', endedAt: event.at, output: event.data.output }, reportedStart(event.data));
}

function stepCancelled(step: StepView, event: EventOf<'StepCancelled'>, attempt: AttemptOf): void {
  step.status = 'CANCELLED';
  stopWaiting(step);
  endItems(step);
  const n = event.data.attempt;
  const a = n === undefined ? undefined : attempt(n);
  if (a) Object.assign(a, { status: 'CANCELLED', endedAt: event.at });
}

/** The run ends: it is no longer queued for a concurrency slot. */
function runEnded(next: RunView, status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED'): void {
  delete next.queued;
  next.status = status;
}

function runRetried(next: RunView, event: EventOf<'RunRetried'>): void {
  next.status = 'RUNNING';
  delete next.error;
  delete next.output;
  for (const id of event.data.steps) {
    editStep(next, id, (step) => {
      step.status = 'PENDING';
      delete step.error;
      delete step.nextRetryAt;
      delete step.skip;
    });
  }
}

/** What each type of event does to a run's view, one applier a type. */
const APPLIERS: { [T in RunEvent['type']]: Applier<EventOf<T>> } = {
  RunStarted: (_next, event, view) => ({ ...fromStarted(event), createdAt: view.createdAt }),
  RunQueued: (next, event, view) => {
    const { key, limit, policy, reason } = event.data;
    next.status = 'PENDING';
    next.queued = { key, limit, policy, reason, since: view.queued?.since ?? event.at };
  },
  RunAdmitted: (next) => {
    next.status = 'RUNNING';
    delete next.queued;
  },
  StepScheduled: onStep((step, event) => {
    step.status = 'SCHEDULED';
    delete step.nextRetryAt;
    step.attempts.push({ attempt: event.data.attempt, status: 'SCHEDULED', scheduledAt: event.at });
  }),
  StepStarted: onStep(stepStarted),
  StepProgress: onStep((_step, event, attempt) => {
    const a = attempt(event.data.attempt);
    const { fraction, message } = event.data;
    if (a) a.progress = message === undefined ? { fraction } : { fraction, message };
  }),
  StepLog: () => undefined,
  StepReused: onStep((step, event) => {
    step.status = 'SUCCEEDED';
    step.output = event.data.output;
  }),
  StepSucceeded: onStep(stepSucceeded),
  AttemptFailed: onStep((_step, event, attempt) => {
    const a = attempt(event.data.attempt);
    if (a) Object.assign(a, { status: event.data.reason === 'error' ? 'FAILED' : 'TIMED_OUT', error: event.data.error, endedAt: event.at }, reportedStart(event.data));
  }),
  RetryScheduled: onStep((step, event, attempt) => {
    step.status = 'RETRY_WAIT';
    step.nextRetryAt = event.data.dueAt;
    const a = attempt(event.data.attempt);
    if (a) a.retry = event.data;
  }),
  StepFailed: onStep((step, event) => {
    step.status = 'FAILED';
    step.error = event.data.error;
    delete step.nextRetryAt;
    delete step.waitingFor;
    endItems(step);
  }),
  StepSkipped: onStep((step, event) => {
    step.status = 'SKIPPED';
    step.skip = { cause: event.data.cause ?? 'failure', reason: event.data.reason };
  }),
  ForEachExpanded: onStep((step, event) => {
    step.status = 'RUNNING';
    delete step.nextRetryAt;
    step.items = expandItems(step.items, event.data.count, step.task);
  }),
  StepSleeping: onStep((step, event) => {
    runAtOnce(step, event.data.attempt, event.at);
    step.wakeAt = event.data.until;
  }),
  StepWaiting: onStep((step, event) => {
    const { signal, timeoutAt } = event.data;
    runAtOnce(step, event.data.attempt, event.at);
    step.waitingFor = timeoutAt === undefined ? { signal } : { signal, timeoutAt };
  }),
  SignalReceived: () => undefined,
  ChildRunStarted: onStep((step, event) => {
    runAtOnce(step, event.data.attempt, event.at);
    step.childRunId = event.data.childRunId;
  }),
  StepCancelled: onStep(stepCancelled),
  RunSucceeded: (next, event) => {
    runEnded(next, 'SUCCEEDED');
    next.output = event.data.output;
  },
  RunFailed: (next, event) => {
    runEnded(next, 'FAILED');
    next.error = event.data.error;
  },
  RunCancelled: (next, event) => {
    runEnded(next, 'CANCELLED');
    next.error = { type: 'ORCH_CANCELLED', message: event.data.reason };
  },
  RunRetried: runRetried,
};

/**
 * Applies one event and returns a new view (the argument is not modified). Throws an OrchError
 * (ORCH_CONFLICT) for an event other than RunStarted when there is no view yet.
 */
export function applyEvent(view: RunView | undefined, event: RunEvent): RunView {
  if (view === undefined) {
    if (event.type !== 'RunStarted') {
      throw new OrchError(ErrorCode.Conflict, `event ${event.type} (seq ${event.seq}) of run ${event.runId} arrived before RunStarted`);
    }
    return fromStarted(event);
  }
  if (event.seq <= view.lastSeq) return view;
  const next: RunView = { ...view, lastSeq: event.seq, updatedAt: event.at };
  // A type this build does not know (a newer writer's) changes nothing but the seq.
  if (!Object.hasOwn(APPLIERS, event.type)) return next;
  const apply = APPLIERS[event.type] as Applier<RunEvent>;
  return apply(next, event, view) ?? next;
}

/** Folds a run's events, in any order of delivery with duplicates, into its view. */
export function projectRun(events: readonly RunEvent[]): RunView | undefined {
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  let view: RunView | undefined;
  for (const e of sorted) view = applyEvent(view, e);
  return view;
}
