/**
 * Addressing steps and forEach items. An item of step `s` is addressed as `s[3]`: its attempts,
 * timers and task results use that id, so the task and retry machinery serves items unchanged.
 * Step ids never hold `[`, so the two can't collide.
 */
import type { RunView, StepView } from './types.js';

const ITEM_ID = /^(.+)\[(\d+)\]$/;

export function itemId(stepId: string, index: number): string {
  return `${stepId}[${index}]`;
}

/** `{stepId, index}` for an item id, undefined for a step id. */
export function parseItemId(id: string): { stepId: string; index: number } | undefined {
  const m = ITEM_ID.exec(id);
  if (!m) return undefined;
  return { stepId: m[1] as string, index: Number(m[2]) };
}

/** The step an id names, or the item; undefined when there is none (never a prototype key). */
export function findStep(view: Pick<RunView, 'steps'>, id: string): StepView | undefined {
  if (Object.hasOwn(view.steps, id)) return view.steps[id];
  const item = parseItemId(id);
  if (!item || !Object.hasOwn(view.steps, item.stepId)) return undefined;
  return view.steps[item.stepId]?.items?.[item.index];
}

/** The id of the step an id belongs to: itself, or the forEach step of an item. */
export function ownerStepId(id: string): string {
  return parseItemId(id)?.stepId ?? id;
}
