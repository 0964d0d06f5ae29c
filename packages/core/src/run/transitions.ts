/**
 * The step-level transitions of the run reducer: scheduling, starting, completing, failing
 * (through the retry policy), skipping, and finishing the run. Each edits a Draft in place.
 */
import { computeBackoff } from '../backoff.js';
import { resolveRetryPolicy } from '../definition/defaults.js';
import { sinkSteps } from '../definition/graph.js';
import type { StepDefinition } from '../definition/types.js';
import type { EventDataMap } from '../events.js';
import type { ErrorInfo, TaskResult } from '../messages.js';
import { DEFAULT_QUEUE } from '../topics.js';
import { resolveTemplates, type TemplateScope } from '../template.js';
import { TERMINAL_STEP_STATUSES, timerId, type Draft } from './draft.js';
import type { StepView } from './types.js';
import { ownerStepId } from './lookup.js';

/**
 * A child workflow retries inside itself, so a workflow step makes one attempt unless its
 * definition asks for more; a task step takes the default policy.
 */
function stepRetryPolicy(def: StepDefinition): StepDefinition['retry'] {
  return def.type === 'workflow' ? { maxAttempts: 1, ...def.retry } : def.retry;
}

/** The `type` of a run failure caused by failed steps. */
export const STEP_FAILED_ERROR_TYPE = 'ORCH_STEP_FAILED';

/** The definition of a step, or of the forEach step an item belongs to. */
export function stepDefinition(d: Draft, stepId: string): StepDefinition {
  const owner = ownerStepId(stepId);
  const def = d.state.definition.steps.find((s) => s.id === owner);
  if (!def) throw new Error(`unknown step ${stepId}`);
  return def;
}

export function templateScope(d: Draft): TemplateScope {
  const steps: TemplateScope['steps'] = {};
  for (const id of d.stepIds()) {
    const step = d.peek(id);
    if (step?.status === 'SUCCEEDED') steps[id] = { output: step.output };
  }
  return { input: d.state.input, steps };
}

/** Dispatches an attempt of a task step (or of a forEach item, whose scope holds its item). */
export function scheduleStep(d: Draft, stepId: string, attempt: number, scope: TemplateScope = templateScope(d)): void {
  const def = stepDefinition(d, stepId);
  const step = d.step(stepId);
  const now = d.now;
  const input = resolveTemplates(def.input, scope);
  const queue = def.queue ?? DEFAULT_QUEUE;
  const task = def.task ?? '';
  step.status = 'SCHEDULED';
  delete step.nextRetryAt;
  step.attempts.push({ attempt, status: 'SCHEDULED', scheduledAt: now });
  d.emit('StepScheduled', { stepId, attempt, task, queue, input });
  d.tasks.push({
    v: 1,
    type: 'TaskDispatched',
    runId: d.state.runId,
    stepId,
    attempt,
    task,
    queue,
    input,
    idempotencyKey: `${d.state.runId}:${stepId}:${attempt}`,
    ...(def.timeoutMs === undefined ? {} : { timeoutMs: def.timeoutMs, deadlineAt: now + def.timeoutMs }),
    ...(def.heartbeatTimeoutMs === undefined ? {} : { heartbeatTimeoutMs: def.heartbeatTimeoutMs }),
    dispatchedAt: now,
    ...(d.state.priority === 1 || d.state.priority === 3 ? { priority: d.state.priority } : {}),
  });
}

/** Marks the current attempt started (idempotent) and arms its timeout and heartbeat timers. */
export function startAttempt(d: Draft, result: TaskResult): void {
  const started = beginAttempt(d, result, d.now);
  if (started === undefined) return;
  const def = stepDefinition(d, result.stepId);
  d.emit('StepStarted', { stepId: result.stepId, ...started });
  if (def.timeoutMs !== undefined) d.setTimer('timeout', result.stepId, started.attempt, d.now + def.timeoutMs);
  if (def.heartbeatTimeoutMs !== undefined) {
    d.setTimer('heartbeat', result.stepId, started.attempt, d.now + def.heartbeatTimeoutMs);
  }
}

/**
 * The start a worker reported only with its attempt's result: the attempt starts and ends in one
 * transition, so the event that ends it carries the start (`workerId`, `startedAt`) and no
 * StepStarted is written, nor a timer that the end would clear at once.
 */
export type ReportedStart = Pick<EventDataMap['StepSucceeded'], 'workerId' | 'startedAt'>;

export function startWithResult(d: Draft, result: TaskResult, startedAt: number): ReportedStart | undefined {
  const started = beginAttempt(d, result, startedAt);
  return started === undefined ? undefined : { workerId: started.workerId, startedAt };
}

/** A SCHEDULED attempt becomes RUNNING on `result.workerId` at `startedAt`; undefined when it was not SCHEDULED. */
function beginAttempt(d: Draft, result: TaskResult, startedAt: number): { attempt: number; workerId: string } | undefined {
  const step = d.step(result.stepId);
  const attempt = d.currentAttempt(result.stepId);
  if (!attempt || attempt.status !== 'SCHEDULED') return undefined;
  step.status = 'RUNNING';
  attempt.status = 'RUNNING';
  attempt.startedAt = startedAt;
  attempt.workerId = result.workerId;
  return { attempt: attempt.attempt, workerId: result.workerId };
}

/** A sign of life from the worker: pushes the heartbeat deadline out. */
export function heartbeat(d: Draft, stepId: string, attempt: number): void {
  const def = stepDefinition(d, stepId);
  if (def.heartbeatTimeoutMs !== undefined) d.setTimer('heartbeat', stepId, attempt, d.now + def.heartbeatTimeoutMs);
}

/** `started`: the start the worker reported with this result (see `startWithResult`). */
export function completeStep(d: Draft, stepId: string, output: unknown, started?: ReportedStart): void {
  const step = d.step(stepId);
  const attempt = d.currentAttempt(stepId);
  if (!attempt) return;
  step.status = 'SUCCEEDED';
  step.output = output;
  attempt.status = 'SUCCEEDED';
  attempt.endedAt = d.now;
  attempt.output = output;
  d.removeStepTimers(stepId);
  d.emit('StepSucceeded', { stepId, attempt: attempt.attempt, output, ...started });
}

/** A record's own numeric entry: step ids such as `constructor` must not hit the prototype. */
function ownNumber(record: Record<string, number> | undefined, key: string): number | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

export type FailureReason = EventDataMap['AttemptFailed']['reason'];

/** Fails the current attempt, then retries the step or fails it, per its retry policy. `started` as for `completeStep`. */
export function failAttempt(d: Draft, stepId: string, error: ErrorInfo, reason: FailureReason, started?: ReportedStart): void {
  const step = d.step(stepId);
  const attempt = d.currentAttempt(stepId);
  if (!attempt) return;
  const n = attempt.attempt;
  attempt.status = reason === 'error' ? 'FAILED' : 'TIMED_OUT';
  attempt.error = error;
  attempt.endedAt = d.now;
  d.removeStepTimers(stepId);
  d.emit('AttemptFailed', { stepId, attempt: n, error, reason, ...started });
  if (reason !== 'error') {
    d.control.push({ v: 1, type: 'CancelTask', runId: d.state.runId, stepId, attempt: n, reason, at: d.now });
  }

  const policy = resolveRetryPolicy(stepRetryPolicy(stepDefinition(d, stepId)));
  const epochAttempt = n - (ownNumber(d.state.attemptBase, stepId) ?? 0);
  if (error.nonRetryable === true || policy.nonRetryableErrors.includes(error.type) || epochAttempt >= policy.maxAttempts) {
    step.status = 'FAILED';
    step.error = error;
    d.emit('StepFailed', { stepId, attempts: epochAttempt, error });
    return;
  }

  const backoff = computeBackoff(policy, epochAttempt, ownNumber(d.state.lastDelayMs, stepId), d.ctx.random);
  const retryAfter = error.retryAfterMs !== undefined && error.retryAfterMs >= 0 ? Math.round(error.retryAfterMs) : undefined;
  const delayMs = retryAfter ?? backoff.delayMs;
  const retry: EventDataMap['RetryScheduled'] = {
    stepId,
    attempt: n,
    nextAttempt: n + 1,
    jitter: policy.jitter,
    baseDelayMs: retryAfter ?? backoff.baseDelayMs,
    jitterMs: retryAfter === undefined ? backoff.jitterMs : 0,
    delayMs,
    dueAt: d.now + delayMs,
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
  };
  d.state.lastDelayMs[stepId] = delayMs;
  step.status = 'RETRY_WAIT';
  step.nextRetryAt = retry.dueAt;
  attempt.retry = retry;
  // Even a zero delay goes through a timer: one path for every retry.
  d.setTimer('retry', stepId, n, retry.dueAt);
  d.emit('RetryScheduled', retry);
}

/** Ends the run when every step is terminal. */
export function finishIfDone(d: Draft): void {
  // Most transitions leave a step unfinished: they stop at the first, having built nothing.
  if (!d.everyStep((step) => TERMINAL_STEP_STATUSES.has(step.status))) return;
  const steps = d.stepIds().map((id): [string, StepView] => [id, d.peek(id)!]);
  d.state.timers = [];
  // Skipped steps are a branch not taken: a run succeeds when nothing failed or was cancelled.
  if (steps.every(([, s]) => s.status === 'SUCCEEDED' || s.status === 'SKIPPED')) {
    const scope = templateScope(d);
    const output =
      d.state.definition.output !== undefined
        ? resolveTemplates(d.state.definition.output, scope)
        : Object.fromEntries(sinkSteps(d.state.definition).map((id) => [id, d.peek(id)?.output]));
    d.state.status = 'SUCCEEDED';
    d.state.output = output;
    d.emit('RunSucceeded', { output });
    return;
  }
  const failedSteps = steps.filter(([, s]) => s.status === 'FAILED' || s.status === 'CANCELLED').map(([id]) => id);
  const first = failedSteps[0] === undefined ? undefined : d.peek(failedSteps[0])?.error;
  const error: ErrorInfo = {
    type: STEP_FAILED_ERROR_TYPE,
    message:
      `step${failedSteps.length === 1 ? '' : 's'} ${failedSteps.map((s) => `"${s}"`).join(', ')} failed` +
      (first ? `: ${first.message}` : ''),
    details: { failedSteps },
  };
  d.state.status = 'FAILED';
  d.state.error = error;
  d.emit('RunFailed', { error, failedSteps });
}

export { timerId };
