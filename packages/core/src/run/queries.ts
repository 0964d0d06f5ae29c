/** Read-only questions about a run, shared by the orchestrator, the gateway and the UI. */
import { TERMINAL_RUN_STATUSES, TERMINAL_STEP_STATUSES } from './draft.js';
import type { RunStatus, RunView, StepStatus } from './types.js';

export function isTerminalRunStatus(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.has(status);
}

export function isTerminalStepStatus(status: StepStatus): boolean {
  return TERMINAL_STEP_STATUSES.has(status);
}

/** Steps that are PENDING with every dependency SUCCEEDED: the ones the reducer schedules next. */
export function readySteps(view: Pick<RunView, 'steps' | 'definition'>): string[] {
  return view.definition.steps
    .map((s) => s.id)
    .filter((id) => {
      const step = Object.hasOwn(view.steps, id) ? view.steps[id] : undefined;
      return step?.status === 'PENDING' && step.dependsOn.every((d) => view.steps[d]?.status === 'SUCCEEDED');
    });
}
