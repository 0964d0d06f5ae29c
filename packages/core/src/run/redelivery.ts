/**
 * A redelivered attempt: the worker running it died (kill -9, a lost partition) and the task was
 * delivered again, to another worker, which says TaskStarted for an attempt already RUNNING.
 * The attempt is not a new one (its idempotency key is the same), but it started again: it takes
 * the new worker and start time, its timeout and heartbeat timers count from the new start, and a
 * StepStarted event with `redelivery` records the move, naming the worker it replaces (the
 * replaced start time is in that worker's earlier StepStarted).
 */
import type { TaskResult } from '../messages.js';
import type { Draft } from './draft.js';
import { stepDefinition } from './transitions.js';

/** Applies a TaskStarted from another worker to a RUNNING attempt; false when it is not one. */
export function redeliverAttempt(d: Draft, result: TaskResult): boolean {
  const attempt = d.currentAttempt(result.stepId);
  if (attempt?.status !== 'RUNNING' || attempt.workerId === undefined || attempt.workerId === result.workerId) return false;
  const redelivery = { previousWorkerId: attempt.workerId };
  attempt.redeliveries = [...(attempt.redeliveries ?? []), { at: d.now, fromWorkerId: attempt.workerId, toWorkerId: result.workerId, previousStartedAt: attempt.startedAt ?? d.now }];
  attempt.startedAt = d.now;
  attempt.workerId = result.workerId;
  d.emit('StepStarted', { stepId: result.stepId, attempt: attempt.attempt, workerId: result.workerId, redelivery });
  const def = stepDefinition(d, result.stepId);
  if (def.timeoutMs !== undefined) d.setTimer('timeout', result.stepId, attempt.attempt, d.now + def.timeoutMs);
  if (def.heartbeatTimeoutMs !== undefined) d.setTimer('heartbeat', result.stepId, attempt.attempt, d.now + def.heartbeatTimeoutMs);
  return true;
}
