/**
 * Wait steps and signals. A signal for a step that waits for it ends the step with the signal's
 * payload as output. A signal that no step waits for yet is kept in the snapshot, in arrival
 * order, and consumed by the first step that waits for its name. A wait with `timeoutMs` fails
 * with ORCH_TIMEOUT when no signal came in time; it is not retried.
 */
import type { StepDefinition } from '../../definition/types.js';
import type { Signal } from '../../messages.js';
import { TERMINAL_RUN_STATUSES, type Draft } from '../draft.js';
import type { Timer } from '../types.js';
import { completeStep } from '../transitions.js';

/** How many early signals a run keeps; more are refused (they change nothing). */
export const MAX_KEPT_SIGNALS = 100;

export function startWait(d: Draft, def: StepDefinition, attempt: number): void {
  const signal = def.signal ?? '';
  const step = d.step(def.id);
  step.status = 'RUNNING';
  delete step.nextRetryAt;
  step.attempts.push({ attempt, status: 'RUNNING', scheduledAt: d.now, startedAt: d.now });
  const timeoutAt = def.timeoutMs === undefined ? undefined : d.now + def.timeoutMs;
  step.waitingFor = timeoutAt === undefined ? { signal } : { signal, timeoutAt };
  d.emit('StepWaiting', { stepId: def.id, attempt, signal, ...(timeoutAt === undefined ? {} : { timeoutAt }) });
  const kept = d.state.signals?.findIndex((s) => s.name === signal) ?? -1;
  if (kept >= 0) {
    const signals = [...(d.state.signals ?? [])];
    const [early] = signals.splice(kept, 1);
    d.state.signals = signals;
    delete step.waitingFor;
    completeStep(d, def.id, early?.payload ?? null);
    return;
  }
  if (timeoutAt !== undefined) d.setTimer('signal', def.id, attempt, timeoutAt);
}

/** A Signal command: ends the first step waiting for it, or is kept for a later one. */
export function receiveSignal(d: Draft, cmd: Signal): void {
  if (TERMINAL_RUN_STATUSES.has(d.state.status)) return;
  const payload = cmd.payload ?? null;
  const waiting = d.state.definition.steps.find((def) => {
    const step = d.peek(def.id);
    return def.type === 'wait' && step?.status === 'RUNNING' && step.waitingFor?.signal === cmd.name;
  });
  if (waiting) {
    d.emit('SignalReceived', { name: cmd.name, payload, stepId: waiting.id });
    delete d.step(waiting.id).waitingFor;
    completeStep(d, waiting.id, payload);
    return;
  }
  const kept = d.state.signals ?? [];
  if (kept.length >= MAX_KEPT_SIGNALS) return;
  d.state.signals = [...kept, { name: cmd.name, payload, at: d.now }];
  d.emit('SignalReceived', { name: cmd.name, payload });
}

/** No signal came in time: the step fails with ORCH_TIMEOUT, without a retry. */
export function waitTimedOut(d: Draft, timer: Timer, timeoutMs: number | undefined): void {
  const step = d.step(timer.stepId);
  const attempt = step.attempts[step.attempts.length - 1];
  if (step.status !== 'RUNNING' || !attempt) return;
  const signal = step.waitingFor?.signal ?? '';
  const error = {
    type: 'ORCH_TIMEOUT',
    message: `step "${timer.stepId}" received no signal "${signal}" within ${String(timeoutMs)} ms`,
    nonRetryable: true,
  };
  attempt.status = 'TIMED_OUT';
  attempt.error = error;
  attempt.endedAt = d.now;
  delete step.waitingFor;
  step.status = 'FAILED';
  step.error = error;
  d.emit('AttemptFailed', { stepId: timer.stepId, attempt: attempt.attempt, error, reason: 'timeout' });
  d.emit('StepFailed', { stepId: timer.stepId, attempts: attempt.attempt, error });
}
