/**
 * A nesting limit for request bodies. JSON.parse copes with any depth, but the recursive walks
 * downstream (definition validation, template scanning, the orchestrator's template resolution)
 * do not: a body of 100k nested arrays would overflow their stack. It is refused up front as a
 * bad request, without recursion here either.
 */
import { ErrorCode, OrchError } from '@orchestrator-lite/core';

export const MAX_BODY_DEPTH = 64;

/** Depth of a parsed JSON value: a scalar is 0, `[]` and `{}` are 1. Stops counting past `limit`. */
export function nestingDepth(value: unknown, limit: number = MAX_BODY_DEPTH): number {
  let max = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === undefined || typeof item.value !== 'object' || item.value === null) continue;
    const depth = item.depth + 1;
    if (depth > max) max = depth;
    if (max > limit) return max;
    const children: unknown[] = Array.isArray(item.value) ? item.value : Object.values(item.value);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push({ value: child, depth });
  }
  return max;
}

/** Throws a 400 naming the body when `value` nests deeper than `limit`. */
export function assertBodyDepth(value: unknown, limit: number = MAX_BODY_DEPTH): void {
  if (nestingDepth(value, limit) > limit) {
    throw new OrchError(ErrorCode.BadRequest, `the body nests deeper than ${limit} levels`, { field: 'body', limit });
  }
}
