/**
 * Sleep steps: a durable timer in the snapshot. `durationMs` counts from the moment the step
 * starts; `until` is a CEL expression giving a timestamp (or an RFC 3339 string), and a time in
 * the past wakes the step at once. The firing is a TimerFired command like any other.
 */
import type { StepDefinition } from '../../definition/types.js';
import type { Draft } from '../draft.js';
import type { Timer } from '../types.js';
import { completeStep } from '../transitions.js';
import { evaluateField, failStepNow } from './scope.js';

function toEpochMs(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : undefined;
}

export function startSleep(d: Draft, def: StepDefinition, attempt: number): void {
  let until = d.now + (def.durationMs ?? 0);
  if (def.until !== undefined) {
    const at = evaluateField(d, def.id, 'until', def.until, toEpochMs, 'a timestamp');
    if (!at.ok) return failStepNow(d, def.id, at.error);
    until = Math.max(d.now, at.value);
  }
  const step = d.step(def.id);
  step.status = 'RUNNING';
  delete step.nextRetryAt;
  step.wakeAt = until;
  step.attempts.push({ attempt, status: 'RUNNING', scheduledAt: d.now, startedAt: d.now });
  d.setTimer('sleep', def.id, attempt, until);
  d.emit('StepSleeping', { stepId: def.id, attempt, until });
}

/** The sleep is over: the step succeeds with `{sleptUntil}`. */
export function wakeUp(d: Draft, timer: Timer): void {
  const step = d.step(timer.stepId);
  if (step.status !== 'RUNNING') return;
  delete step.wakeAt;
  completeStep(d, timer.stepId, { sleptUntil: new Date(timer.dueAt).toISOString() });
}
