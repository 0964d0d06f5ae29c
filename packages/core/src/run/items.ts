/** The items of a forEach step, as both the reducer and the projection build them. */
import { TERMINAL_STEP_STATUSES } from './draft.js';
import type { StepView } from './types.js';

function newItem(task: string): StepView {
  return { status: 'PENDING', task, dependsOn: [], attempts: [] };
}

/**
 * The items of a (re)started forEach step. A step reopened by a retry of the run keeps the items
 * that succeeded, when its list has the same length, and reopens the others.
 */
export function expandItems(previous: StepView[] | undefined, count: number, task: string): StepView[] {
  if (previous?.length !== count) return Array.from({ length: count }, () => newItem(task));
  return previous.map((item) => {
    if (item.status === 'SUCCEEDED') return item;
    const reopened: StepView = { ...item, status: 'PENDING' };
    delete reopened.error;
    delete reopened.nextRetryAt;
    return reopened;
  });
}

/** Marks every item that has not ended CANCELLED (the step ended without them). */
export function closeItems(step: StepView): void {
  for (const item of step.items ?? []) {
    if (TERMINAL_STEP_STATUSES.has(item.status)) continue;
    item.status = 'CANCELLED';
    delete item.nextRetryAt;
  }
}

