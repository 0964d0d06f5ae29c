/**
 * The run state machine as a pure reducer: (state, input, now, random) -> (state', outputs).
 *
 * It never mutates its argument and never reads a clock or a random source of its own, so every
 * transition can be unit-tested and replayed. Inputs that do not apply — a result for an older
 * attempt, for an unknown or finished step, or for a finished run — change nothing and emit
 * nothing; this is what makes redelivered records harmless.
 */
import type { CancelRun, RetryRun, RunInput, StartRun, TaskCompleted, TaskFailed, TaskResult, TimerFired } from '../messages.js';
import { DEFAULT_PRIORITY } from '../messages.js';
import { stepLabel } from '../definition/labels.js';
import { Draft, TERMINAL_RUN_STATUSES, TERMINAL_STEP_STATUSES, type ReduceContext, type ReduceResult } from './draft.js';
import type { RunState, StepView, Timer } from './types.js';
import { completeStep, failAttempt, heartbeat, startAttempt, startWithResult } from './transitions.js';
import type { ReportedStart } from './transitions.js';
import { checkRunnable } from './runnable.js';
import { findStep } from './lookup.js';
import { advance } from './steps/advance.js';
import { cancelChildren, childEnded, notifyParent } from './steps/child.js';
import { cancelItems } from './steps/cancel-items.js';
import { wakeUp } from './steps/sleep.js';
import { receiveSignal, waitTimedOut } from './steps/wait.js';
import { redeliverAttempt } from './redelivery.js';
import { concurrencyKeyOf, releaseSlot, requestSlot, slotGranted, slotQueued } from './steps/concurrency.js';

export type { ReduceContext, ReduceResult } from './draft.js';

export function reduceRun(state: RunState | undefined, input: RunInput, ctx: ReduceContext): ReduceResult {
  if (state === undefined) {
    return input.type === 'StartRun' ? startRun(input, ctx) : unchanged(undefined);
  }
  if (input.type === 'StartRun') return unchanged(state);

  const d = new Draft(state, ctx);
  switch (input.type) {
    case 'CancelRun':
      cancelRun(d, input);
      break;
    case 'RetryRun':
      retryRun(d, input);
      break;
    case 'TimerFired':
      timerFired(d, input);
      break;
    case 'Signal':
      receiveSignal(d, input);
      advanceIfRunning(d);
      break;
    case 'ChildRunEnded':
      childEnded(d, input);
      advanceIfRunning(d);
      break;
    case 'SlotGranted':
      if (slotGranted(d, input)) advance(d);
      break;
    case 'SlotQueued':
      slotQueued(d, input);
      break;
    case 'StartChildRun':
      // Turned into a StartRun by the orchestrator, which looks the definition up.
      break;
    case 'AcquireSlot':
    case 'ReleaseSlot':
      // Inputs of a concurrency gate, not of a run: the orchestrator routes them to reduceGate.
      break;
    default:
      taskResult(d, input);
  }
  notifyParent(d, state.status);
  releaseSlot(d, state.status);
  if (!d.changed) return unchanged(state);
  return result(d);
}

function advanceIfRunning(d: Draft): void {
  if (d.state.status === 'RUNNING') advance(d);
}

function result(d: Draft): ReduceResult {
  return { state: d.finish(), events: d.events, tasks: d.tasks, control: d.control, commands: d.commands };
}

function unchanged(state: RunState | undefined): ReduceResult {
  return { state, events: [], tasks: [], control: [], commands: [] };
}

/** Where a run comes from, as its state and its RunStarted hold it: a parent run's step, a priority other than the default, the run it reruns. */
function originOf(cmd: StartRun) {
  return {
    parent: cmd.parentRunId !== undefined && cmd.parentStepId !== undefined ? { parentRunId: cmd.parentRunId, parentStepId: cmd.parentStepId } : {},
    priority: cmd.priority === undefined || cmd.priority === DEFAULT_PRIORITY ? {} : { priority: cmd.priority },
    rerunOf: cmd.reuse === undefined ? {} : { rerunOf: { runId: cmd.reuse.fromRunId, fromStep: cmd.reuse.fromStep } },
  };
}

function startRun(cmd: StartRun, ctx: ReduceContext): ReduceResult {
  // The definition and the input are shared, never copied: the reducer never edits them.
  const definition = cmd.definition;
  // Copied once per run (a plain object whatever the caller passed), then shared by the state and the event.
  const input = structuredClone(cmd.input);
  const steps: Record<string, StepView> = {};
  for (const s of definition.steps) {
    // hasOwn, not ??=: a step may be called `constructor` or `toString`.
    if (!Object.hasOwn(steps, s.id)) steps[s.id] = { status: 'PENDING', task: stepLabel(s), dependsOn: [...(s.dependsOn ?? [])], attempts: [] };
  }
  const state: RunState = {
    runId: cmd.runId,
    workflow: cmd.workflow,
    version: cmd.version,
    status: 'RUNNING',
    input,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    lastSeq: 0,
    definition,
    steps,
    timers: [],
    lastDelayMs: {},
  };
  const { parent, priority, rerunOf } = originOf(cmd);
  Object.assign(state, parent, priority, rerunOf);
  // A definition that slipped past validation must not leave a run that can never advance.
  const problem = checkRunnable(definition);
  const gate = definition.concurrency && !problem ? concurrencyKeyOf(definition.concurrency, input, { id: cmd.runId, workflow: cmd.workflow }) : undefined;
  const d = new Draft(state, ctx, true);
  d.emit('RunStarted', {
    workflow: cmd.workflow,
    version: cmd.version,
    input,
    definition,
    ...parent,
    ...priority,
    ...rerunOf,
    ...(gate?.ok ? { concurrencyKey: gate.key } : {}),
  });
  if (cmd.reuse !== undefined) reuseSteps(d, cmd.reuse);
  const failure = problem ?? (gate?.ok === false ? gate.error : undefined);
  if (failure) {
    d.state.status = 'FAILED';
    d.state.error = failure;
    d.emit('RunFailed', { error: failure, failedSteps: [] });
  } else if (gate?.ok && definition.concurrency) {
    requestSlot(d, definition.concurrency, gate.key);
  } else {
    advance(d);
  }
  notifyParent(d, 'PENDING');
  return result(d);
}

/** A rerun: the steps it takes from the earlier run start SUCCEEDED with their outputs. */
function reuseSteps(d: Draft, reuse: NonNullable<StartRun['reuse']>): void {
  for (const s of d.state.definition.steps) {
    if (!Object.hasOwn(reuse.steps, s.id)) continue;
    const output = reuse.steps[s.id]?.output;
    const step = d.step(s.id);
    step.status = 'SUCCEEDED';
    step.output = output;
    d.emit('StepReused', { stepId: s.id, fromRunId: reuse.fromRunId, ...(output === undefined ? {} : { output }) });
  }
}

function isActive(d: Draft, stepId: string, attempt: number): boolean {
  if (TERMINAL_RUN_STATUSES.has(d.state.status)) return false;
  const step = findStep(d.state, stepId);
  if (!step || TERMINAL_STEP_STATUSES.has(step.status)) return false;
  const current = d.currentAttempt(stepId);
  return current !== undefined && current.attempt === attempt && (current.status === 'SCHEDULED' || current.status === 'RUNNING');
}

function taskResult(d: Draft, r: TaskResult): void {
  if (!isActive(d, r.stepId, r.attempt)) return;
  switch (r.type) {
    case 'TaskStarted':
      if (!redeliverAttempt(d, r)) startAttempt(d, r);
      return;
    case 'TaskHeartbeat':
      startAttempt(d, r);
      heartbeat(d, r.stepId, r.attempt);
      return;
    case 'TaskProgress': {
      startAttempt(d, r);
      const attempt = d.currentAttempt(r.stepId);
      if (attempt) {
        attempt.progress = r.message === undefined ? { fraction: r.fraction } : { fraction: r.fraction, message: r.message };
      }
      d.emit('StepProgress', {
        stepId: r.stepId,
        attempt: r.attempt,
        fraction: r.fraction,
        ...(r.message === undefined ? {} : { message: r.message }),
      });
      heartbeat(d, r.stepId, r.attempt);
      return;
    }
    case 'TaskLog':
      startAttempt(d, r);
      d.emit('StepLog', {
        stepId: r.stepId,
        attempt: r.attempt,
        level: r.level,
        message: r.message,
        ...(r.fields === undefined ? {} : { fields: r.fields }),
      });
      heartbeat(d, r.stepId, r.attempt);
      return;
    case 'TaskCompleted':
      completeStep(d, r.stepId, r.output, startReported(d, r));
      advance(d);
      return;
    case 'TaskFailed':
      failAttempt(d, r.stepId, r.error, 'error', startReported(d, r));
      advance(d);
      return;
  }
}

/**
 * A result that also reports its start (the worker sent no TaskStarted): the attempt starts first,
 * and the start is returned for the event that ends it. A redelivery still says StepStarted.
 */
function startReported(d: Draft, r: TaskCompleted | TaskFailed): ReportedStart | undefined {
  if (r.startedAt === undefined || redeliverAttempt(d, r)) return undefined;
  return startWithResult(d, r, r.startedAt);
}

/**
 * A firing is stale when the timer was armed again (a heartbeat pushed it out) after the firing
 * was scheduled: the timer stays armed and fires again at its new due time. A firing that names
 * its arming is judged by it alone, not by the clock: a new owner that applies the inputs again
 * after a takeover arms each timer again from its own clock, later than the first owner did, and
 * the firing the first owner recorded must still fire it, or the run would take another course
 * under the sequence numbers it already used. A firing of an earlier release (no arming) is stale
 * before the timer's due time.
 */
function isStaleFiring(d: Draft, timer: Timer, cmd: TimerFired): boolean {
  if (cmd.armed !== undefined && timer.armed !== undefined) return cmd.armed !== timer.armed;
  return d.now < timer.dueAt;
}

function timerFired(d: Draft, cmd: TimerFired): void {
  const timer = d.state.timers.find((t) => t.id === cmd.timerId);
  if (!timer) return;
  if (isStaleFiring(d, timer, cmd)) return;
  d.removeTimer(timer.id);
  if (TERMINAL_RUN_STATUSES.has(d.state.status)) return;
  const step = findStep(d.state, timer.stepId);
  const current = step ? d.currentAttempt(timer.stepId) : undefined;
  if (!step || current?.attempt !== timer.attempt) return;

  if (timer.kind === 'retry') {
    if (step.status !== 'RETRY_WAIT') return;
    // Its dependencies have ended (the step ran), so advance() starts it again right away.
    d.step(timer.stepId).status = 'PENDING';
  } else if (timer.kind === 'sleep') {
    wakeUp(d, timer);
  } else if (timer.kind === 'signal') {
    waitTimedOut(d, timer, d.state.definition.steps.find((s) => s.id === timer.stepId)?.timeoutMs);
  } else if (isActive(d, timer.stepId, timer.attempt)) {
    failOverdueAttempt(d, timer);
  } else {
    return;
  }
  advance(d);
}

/** An attempt past its timeout, or its heartbeat's: it fails, naming the limit it broke. */
function failOverdueAttempt(d: Draft, timer: Timer): void {
  const def = d.state.definition.steps.find((s) => s.id === timer.stepId.replace(/\[\d+\]$/, ''));
  const isTimeout = timer.kind === 'timeout';
  const limit = isTimeout ? def?.timeoutMs : def?.heartbeatTimeoutMs;
  failAttempt(
    d,
    timer.stepId,
    {
      type: isTimeout ? 'ORCH_TIMEOUT' : 'ORCH_HEARTBEAT_TIMEOUT',
      message: isTimeout
        ? `step "${timer.stepId}" attempt ${timer.attempt} did not finish within its timeout of ${String(limit)} ms`
        : `step "${timer.stepId}" attempt ${timer.attempt} sent no heartbeat for ${String(limit)} ms`,
    },
    isTimeout ? 'timeout' : 'heartbeat-timeout',
  );
}

function cancelRun(d: Draft, cmd: CancelRun): void {
  if (TERMINAL_RUN_STATUSES.has(d.state.status)) return;
  const reason = cmd.reason ?? 'cancelled by request';
  cancelChildren(d, reason);
  for (const def of d.state.definition.steps) {
    const step = d.state.steps[def.id];
    if (!step || TERMINAL_STEP_STATUSES.has(step.status)) continue;
    cancelItems(d, def.id, reason);
    const attempt = d.currentAttempt(def.id);
    const inFlight = attempt !== undefined && (attempt.status === 'SCHEDULED' || attempt.status === 'RUNNING');
    step.status = 'CANCELLED';
    delete step.nextRetryAt;
    if (inFlight) {
      attempt.status = 'CANCELLED';
      attempt.endedAt = d.now;
      d.emit('StepCancelled', { stepId: def.id, attempt: attempt.attempt, reason });
    } else {
      d.emit('StepCancelled', { stepId: def.id, reason });
    }
  }
  d.state.timers = [];
  d.control.push({ v: 1, type: 'CancelTask', runId: d.state.runId, reason, at: d.now });
  d.state.status = 'CANCELLED';
  d.state.error = { type: 'ORCH_CANCELLED', message: reason };
  d.emit('RunCancelled', { reason });
}

function retryRun(d: Draft, _cmd: RetryRun): void {
  if (d.state.status !== 'FAILED' && d.state.status !== 'CANCELLED') return;
  if (checkRunnable(d.state.definition)) return;
  const reopened: string[] = [];
  const attemptBase = { ...(d.state.attemptBase ?? {}) };
  for (const def of d.state.definition.steps) {
    const step = d.state.steps[def.id];
    if (!step || (step.status !== 'FAILED' && step.status !== 'CANCELLED' && step.status !== 'SKIPPED')) continue;
    step.status = 'PENDING';
    delete step.error;
    delete step.nextRetryAt;
    delete step.skip;
    attemptBase[def.id] = step.attempts.length;
    delete d.state.lastDelayMs[def.id];
    reopened.push(def.id);
  }
  d.state.attemptBase = attemptBase;
  d.state.status = 'RUNNING';
  delete d.state.error;
  delete d.state.output;
  d.emit('RunRetried', { steps: reopened });
  // A run under a concurrency key waits for a slot again before it runs again.
  const spec = d.state.definition.concurrency;
  const key = d.state.concurrencyKey;
  if (spec !== undefined && key !== undefined) requestSlot(d, spec, key);
  else advance(d);
}
