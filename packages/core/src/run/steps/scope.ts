/**
 * The variables CEL expressions see: `input`, `steps.<id>.status` and `.output` (of the steps
 * that succeeded), `run.id` and `run.workflow`. And the one way a step fails without an attempt.
 */
import { celReferences, evaluateCel, parseCel } from '../../expression/cel.js';
import { containsClaimCheck, resolveClaims } from '../../payload.js';
import { ErrorCode } from '../../errors.js';
import type { ErrorInfo } from '../../messages.js';
import type { Draft } from '../draft.js';

/** The `type` of a step failure caused by a CEL expression that failed or gave the wrong type. */
export const EXPRESSION_ERROR_TYPE = ErrorCode.Expression;

export function celVariables(d: Draft, source?: string): Record<string, unknown> {
  // Parsed only when a claim-check is there to load.
  let reads: ReturnType<typeof readsOf> | undefined;
  const readsStep = (id: string | undefined): boolean => {
    if (source === undefined) return true;
    reads ??= readsOf(source);
    return id === undefined ? reads.input : reads.allSteps || reads.steps.has(id);
  };
  const load = (v: unknown, id?: string): unknown => (containsClaimCheck(v) && readsStep(id) ? resolveClaims(v) : v);
  const steps: Record<string, { status: string; output?: unknown }> = {};
  for (const id of d.stepIds()) {
    const step = d.peek(id)!;
    steps[id] = step.status === 'SUCCEEDED' && step.output !== undefined ? { status: step.status, output: load(step.output, id) } : { status: step.status };
  }
  return { input: load(d.state.input ?? null), steps, run: { id: d.state.runId, workflow: d.state.workflow } };
}

/**
 * What an expression reads, so that only those claim-checked payloads are fetched. `steps` used
 * other than as `steps.<id>` (e.g. `steps[name]`) may read any step.
 */
function readsOf(source: string): { input: boolean; steps: ReadonlySet<string>; allSteps: boolean } {
  const parsed = parseCel(source);
  if (!parsed.ok) return { input: false, steps: new Set(), allSteps: false };
  const refs = celReferences(parsed.expr);
  return { input: refs.variables.has('input'), steps: refs.steps, allSteps: refs.variables.has('steps') && refs.steps.size === 0 };
}


export type Evaluated<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

function expressionError(stepId: string, field: string, message: string): ErrorInfo {
  return { type: EXPRESSION_ERROR_TYPE, message: `step "${stepId}" ${field}: ${message}`, nonRetryable: true };
}

/** Evaluates a step's expression and checks the type of its value. */
export function evaluateField<T>(
  d: Draft,
  stepId: string,
  field: 'if' | 'forEach' | 'until',
  source: string,
  check: (value: unknown) => T | undefined,
  expected: string,
): Evaluated<T> {
  const outcome = evaluateCel(source, celVariables(d, source));
  if (!outcome.ok) return { ok: false, error: expressionError(stepId, field, outcome.message) };
  const value = check(outcome.value);
  if (value === undefined) {
    return { ok: false, error: expressionError(stepId, field, `"${source}" gave ${JSON.stringify(outcome.value)}, not ${expected}`) };
  }
  return { ok: true, value };
}

/** Ends a step as FAILED before any attempt (an expression that could not be evaluated). */
export function failStepNow(d: Draft, stepId: string, error: ErrorInfo): void {
  const step = d.step(stepId);
  step.status = 'FAILED';
  step.error = error;
  d.emit('StepFailed', { stepId, attempts: 0, error });
}
