/**
 * forEach: a task step that runs once per element of a list computed at run time. Each item is
 * addressed as `<id>[<index>]` and goes through the ordinary task machinery (dispatch, results,
 * timeouts, its own retries). At most `maxParallel` items are in flight; the step's output is
 * the list of the items' outputs, in order. The first item that fails for good fails the step
 * and cancels the rest.
 */
import { DEFINITION_LIMITS } from '../../definition/defaults.js';
import type { StepDefinition } from '../../definition/types.js';
import type { Draft } from '../draft.js';
import { itemId } from '../lookup.js';
import { closeItems, expandItems } from '../items.js';
import type { StepView } from '../types.js';
import { scheduleStep, templateScope } from '../transitions.js';
import { EXPRESSION_ERROR_TYPE, evaluateField, failStepNow } from './scope.js';

const IN_FLIGHT: ReadonlySet<string> = new Set(['SCHEDULED', 'RUNNING', 'RETRY_WAIT']);

export function startForEach(d: Draft, def: StepDefinition): void {
  const max = DEFINITION_LIMITS.maxForEachItems;
  const list = evaluateField(d, def.id, 'forEach', def.forEach ?? '[]', (v) => (Array.isArray(v) ? v : undefined), 'a list');
  if (!list.ok) return failStepNow(d, def.id, list.error);
  if (list.value.length > max) {
    return failStepNow(d, def.id, {
      type: EXPRESSION_ERROR_TYPE,
      message: `step "${def.id}" forEach: the list holds ${list.value.length} elements, more than the limit of ${max}`,
      nonRetryable: true,
    });
  }
  const step = d.step(def.id);
  const items = expandItems(step.items, list.value.length, def.task ?? '');
  const base = { ...(d.state.attemptBase ?? {}) };
  items.forEach((item, i) => {
    if (item.status === 'PENDING' && item.attempts.length > 0) base[itemId(def.id, i)] = item.attempts.length;
  });
  if (Object.keys(base).length > 0) d.state.attemptBase = base;
  step.items = items;
  step.status = 'RUNNING';
  delete step.nextRetryAt;
  d.state.forEachLists = { ...d.state.forEachLists, [def.id]: list.value };
  d.emit('ForEachExpanded', { stepId: def.id, count: items.length });
  pumpForEach(d, def);
}

function failForEach(d: Draft, def: StepDefinition, step: StepView, failed: number): void {
  const reason = `item ${failed} of step "${def.id}" failed`;
  (step.items ?? []).forEach((item, i) => {
    if (!IN_FLIGHT.has(item.status)) return;
    const id = itemId(def.id, i);
    const attempt = item.attempts[item.attempts.length - 1];
    d.removeStepTimers(id);
    if (attempt && (attempt.status === 'SCHEDULED' || attempt.status === 'RUNNING')) {
      attempt.status = 'CANCELLED';
      attempt.endedAt = d.now;
      d.control.push({ v: 1, type: 'CancelTask', runId: d.state.runId, stepId: id, attempt: attempt.attempt, reason, at: d.now });
      item.status = 'CANCELLED';
      d.emit('StepCancelled', { stepId: id, attempt: attempt.attempt, reason });
    } else {
      item.status = 'CANCELLED';
      delete item.nextRetryAt;
      d.emit('StepCancelled', { stepId: id, reason });
    }
  });
  closeItems(step);
  const cause = step.items?.[failed]?.error;
  const error = {
    type: cause?.type ?? 'ORCH_STEP_FAILED',
    message: `${reason}${cause ? `: ${cause.message}` : ''}`,
    details: { item: failed },
  };
  step.status = 'FAILED';
  step.error = error;
  dropList(d, def.id);
  d.emit('StepFailed', { stepId: def.id, attempts: 0, error });
}

function dropList(d: Draft, stepId: string): void {
  if (d.state.forEachLists === undefined || !Object.hasOwn(d.state.forEachLists, stepId)) return;
  const { [stepId]: _dropped, ...rest } = d.state.forEachLists;
  d.state.forEachLists = rest;
}

/** Ends the step when its items have, else dispatches PENDING items up to maxParallel. */
export function pumpForEach(d: Draft, def: StepDefinition): void {
  const step = d.step(def.id);
  const items = step.items ?? [];
  const failed = items.findIndex((item) => item.status === 'FAILED');
  if (failed >= 0) return failForEach(d, def, step, failed);
  if (items.every((item) => item.status === 'SUCCEEDED')) {
    const output = items.map((item) => item.output ?? null);
    step.status = 'SUCCEEDED';
    step.output = output;
    dropList(d, def.id);
    d.emit('StepSucceeded', { stepId: def.id, attempt: 0, output });
    return;
  }
  let inFlight = items.filter((item) => IN_FLIGHT.has(item.status)).length;
  const limit = def.maxParallel ?? Number.POSITIVE_INFINITY;
  const list = d.state.forEachLists?.[def.id] ?? [];
  let scope: ReturnType<typeof templateScope> | undefined;
  for (let i = 0; i < items.length && inFlight < limit; i++) {
    const item = items[i] as StepView;
    if (item.status !== 'PENDING') continue;
    scope ??= templateScope(d);
    scheduleStep(d, itemId(def.id, i), item.attempts.length + 1, { ...scope, item: list[i] ?? null, index: i });
    inFlight++;
  }
}
