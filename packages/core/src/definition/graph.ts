/** DAG helpers over a workflow's steps. They tolerate invalid graphs (unknown ids, cycles). */
import type { StepDefinition, WorkflowDefinition } from './types.js';

/**
 * Step ids in an order where every step comes after its dependencies (Kahn's algorithm; ties
 * keep definition order). Steps on a cycle, which have no such order, are left out.
 */
export function topologicalOrder(def: Pick<WorkflowDefinition, 'steps'>): string[] {
  const ids = new Set(def.steps.map((s) => s.id));
  const remaining = new Map<string, number>();
  const dependents = dependentsOf(def);
  for (const s of def.steps) {
    if (remaining.has(s.id)) continue;
    remaining.set(s.id, new Set((s.dependsOn ?? []).filter((d) => ids.has(d))).size);
  }
  const order: string[] = [];
  const queue = [...remaining].filter(([, n]) => n === 0).map(([id]) => id);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    order.push(id);
    for (const dep of dependents.get(id) ?? []) {
      const n = (remaining.get(dep) ?? 0) - 1;
      remaining.set(dep, n);
      if (n === 0) queue.push(dep);
    }
  }
  return order;
}

/** For each step id, the ids of the steps that depend on it directly. */
export function dependentsOf(def: Pick<WorkflowDefinition, 'steps'>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of def.steps) out.set(s.id, out.get(s.id) ?? []);
  for (const s of def.steps) {
    for (const d of new Set(s.dependsOn ?? [])) out.get(d)?.push(s.id);
  }
  return out;
}

/** Every step `id` depends on, directly or transitively (never `id` itself unless on a cycle). */
/** `id` and every step that depends on it, directly or not. */
export function downstreamOf(def: Pick<WorkflowDefinition, 'steps'>, id: string): Set<string> {
  const dependents = dependentsOf(def);
  const seen = new Set<string>([id]);
  const stack = [id];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    for (const d of dependents.get(next) ?? []) {
      if (!seen.has(d)) {
        seen.add(d);
        stack.push(d);
      }
    }
  }
  return seen;
}

export function ancestorsOf(def: Pick<WorkflowDefinition, 'steps'>, id: string): Set<string> {
  const byId = new Map<string, StepDefinition>();
  for (const s of def.steps) if (!byId.has(s.id)) byId.set(s.id, s);
  const seen = new Set<string>();
  const stack = [...(byId.get(id)?.dependsOn ?? [])];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(byId.get(next)?.dependsOn ?? []));
  }
  return seen;
}

const sinksOf = new WeakMap<Pick<WorkflowDefinition, 'steps'>, readonly string[]>();

/**
 * Steps that no other step depends on: their outputs form a run's default output. Found once per
 * definition object: the runs of a workflow share theirs, and each run asks as it ends.
 */
export function sinkSteps(def: Pick<WorkflowDefinition, 'steps'>): readonly string[] {
  let sinks = sinksOf.get(def);
  if (sinks === undefined) {
    const dependents = dependentsOf(def);
    sinks = Object.freeze(def.steps.filter((s) => (dependents.get(s.id) ?? []).length === 0).map((s) => s.id));
    sinksOf.set(def, sinks);
  }
  return sinks;
}

/**
 * Every elementary cycle found by a depth-first search, each as a closed walk (`['a','b','a']`),
 * reported once. Self-dependencies are left to the caller.
 */
export function findCycles(def: Pick<WorkflowDefinition, 'steps'>): string[][] {
  const deps = new Map<string, string[]>();
  for (const s of def.steps) {
    if (!deps.has(s.id)) deps.set(s.id, (s.dependsOn ?? []).filter((d) => d !== s.id));
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seenKeys = new Set<string>();
  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const d of deps.get(id) ?? []) {
      if (!deps.has(d)) continue;
      const st = state.get(d);
      if (st === 'visiting') {
        const cycle = stack.slice(stack.indexOf(d));
        const key = [...cycle].sort().join('\u0000');
        if (!seenKeys.has(key)) {
          seenKeys.add(key);
          // A step lists what it depends on; read the cycle in execution order: a -> b means b needs a.
          cycles.push([...cycle, d].reverse());
        }
      } else if (st === undefined) {
        visit(d);
      }
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of deps.keys()) if (!state.has(id)) visit(id);
  return cycles;
}
