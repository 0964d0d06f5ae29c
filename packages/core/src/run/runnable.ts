import { findCycles } from '../definition/graph.js';
import type { WorkflowDefinition } from '../definition/types.js';
import type { ErrorInfo } from '../messages.js';

/**
 * The answers for frozen definitions, which cannot change: the codec freezes a decoded one whole,
 * and the orchestrator shares it between the runs of a workflow, whose every start walked its
 * graph again.
 */
const checked = new WeakMap<WorkflowDefinition, ErrorInfo | null>();

/**
 * The graph problems that would leave a run stuck forever (duplicate or unknown ids, cycles).
 * Definitions are validated before they reach the bus; this guards the reducer regardless.
 */
export function checkRunnable(def: WorkflowDefinition): ErrorInfo | undefined {
  if (!Object.isFrozen(def) || !Object.isFrozen(def.steps)) return graphProblems(def);
  let known = checked.get(def);
  if (known === undefined) {
    known = graphProblems(def) ?? null;
    checked.set(def, known);
  }
  return known ?? undefined;
}

function graphProblems(def: WorkflowDefinition): ErrorInfo | undefined {
  const ids = new Set<string>();
  const problems: string[] = [];
  for (const s of def.steps) {
    if (ids.has(s.id)) problems.push(`duplicate step id "${s.id}"`);
    ids.add(s.id);
  }
  for (const s of def.steps) {
    for (const dep of s.dependsOn ?? []) {
      if (!ids.has(dep)) problems.push(`step "${s.id}" depends on unknown step "${dep}"`);
      else if (dep === s.id) problems.push(`step "${s.id}" depends on itself`);
    }
  }
  for (const cycle of findCycles(def)) problems.push(`cycle: ${cycle.join(' -> ')}`);
  if (def.steps.length === 0) problems.push('the workflow has no steps');
  if (problems.length === 0) return undefined;
  return { type: 'ORCH_INVALID_DEFINITION', message: `the definition cannot run: ${problems.join('; ')}`, details: { problems } };
}
