/** Cancelling what a step holds open (items of a forEach, a sleep, a wait) along with the step. */
import type { Draft } from '../draft.js';
import { itemId } from '../lookup.js';
import { closeItems } from '../items.js';

export function cancelItems(d: Draft, stepId: string, reason: string): void {
  const step = d.state.steps[stepId];
  if (!step) return;
  delete step.wakeAt;
  delete step.waitingFor;
  if (!step.items) return;
  step.items.forEach((item, i) => {
    if (item.status !== 'SCHEDULED' && item.status !== 'RUNNING' && item.status !== 'RETRY_WAIT') return;
    const attempt = item.attempts[item.attempts.length - 1];
    const inFlight = attempt !== undefined && (attempt.status === 'SCHEDULED' || attempt.status === 'RUNNING');
    item.status = 'CANCELLED';
    delete item.nextRetryAt;
    if (inFlight) {
      attempt.status = 'CANCELLED';
      attempt.endedAt = d.now;
      d.emit('StepCancelled', { stepId: itemId(stepId, i), attempt: attempt.attempt, reason });
    } else {
      d.emit('StepCancelled', { stepId: itemId(stepId, i), reason });
    }
  });
  closeItems(step);
}
