/**
 * Comparing a run with its rerun, step by step: which steps the rerun reused (its StepReused
 * events), which ran again, and where status or output differ. Pure functions: the compare view
 * draws what they return.
 */
import { downstreamOf } from '@orchestrator-lite/core/projection';
import type { ErrorInfo, RunEvent, RunStatus, RunView, StepStatus, WorkflowDefinition } from '../api/types.ts';

/** JSON equality that ignores key order (and keys whose value is undefined, as JSON does). */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v as Record<string, unknown>).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** The steps whose outputs a run took from an earlier run instead of running them. */
export function reusedSteps(events: readonly RunEvent[]): Set<string> {
  const reused = new Set<string>();
  for (const e of events) if (e.type === 'StepReused') reused.add(e.data.stepId);
  return reused;
}

/** What a rerun from `fromStep` does: the steps that run again, and the ones whose outputs it keeps. */
export function rerunPlan(definition: Pick<WorkflowDefinition, 'steps'>, fromStep: string): { rerun: string[]; reuse: string[] } {
  const again = downstreamOf(definition, fromStep);
  const ids = definition.steps.map((s) => s.id);
  return { rerun: ids.filter((id) => again.has(id)), reuse: ids.filter((id) => !again.has(id)) };
}

export interface StepSide {
  status: StepStatus;
  output?: unknown;
  error?: ErrorInfo;
  attempts: number;
}

export interface StepComparison {
  stepId: string;
  base?: StepSide;
  rerun?: StepSide;
  /** The rerun reused this step's output from the base run. */
  reused: boolean;
  statusChanged: boolean;
  /** The output, or the error, differs. */
  outputChanged: boolean;
  changed: boolean;
}

export interface RunComparison {
  status: { base: RunStatus; rerun: RunStatus; changed: boolean };
  inputChanged: boolean;
  outputChanged: boolean;
  steps: StepComparison[];
  /** How many steps differ in status or output. */
  changedSteps: number;
}

function side(view: RunView, stepId: string): StepSide | undefined {
  const s = view.steps[stepId];
  if (s === undefined) return undefined;
  return { status: s.status, attempts: s.attempts.length, ...(s.output === undefined ? {} : { output: s.output }), ...(s.error === undefined ? {} : { error: s.error }) };
}

const errorKey = (e: ErrorInfo | undefined): unknown => (e === undefined ? undefined : { type: e.type, message: e.message });

/** The two runs, step by step, in the rerun's definition order (steps only the base has come last). */
export function compareRuns(base: RunView, rerun: RunView, reused: ReadonlySet<string>): RunComparison {
  const ids = [...rerun.definition.steps.map((s) => s.id)];
  for (const s of base.definition.steps) if (!ids.includes(s.id)) ids.push(s.id);
  const steps = ids.map((stepId): StepComparison => {
    const a = side(base, stepId);
    const b = side(rerun, stepId);
    const statusChanged = a?.status !== b?.status;
    const outputChanged = !sameJson(a?.output, b?.output) || !sameJson(errorKey(a?.error), errorKey(b?.error));
    return { stepId, base: a, rerun: b, reused: reused.has(stepId), statusChanged, outputChanged, changed: statusChanged || outputChanged };
  });
  return {
    status: { base: base.status, rerun: rerun.status, changed: base.status !== rerun.status },
    inputChanged: !sameJson(base.input, rerun.input),
    outputChanged: !sameJson(base.output, rerun.output),
    steps,
    changedSteps: steps.filter((s) => s.changed).length,
  };
}
