/**
 * Workflow steps: a child run per attempt. The child's runId derives from (parent run, step,
 * attempt), so a replayed start starts nothing new. The parent produces a StartChildRun command
 * keyed by the child's id (its owner looks up the definition); the child, when it ends, produces
 * ChildRunEnded keyed by the parent's id. Cancelling a parent cancels its running children.
 */
import type { StepDefinition } from '../../definition/types.js';
import { runIdForIdempotencyKey } from '../../ids.js';
import type { ChildRunEnded } from '../../messages.js';
import { resolveTemplates } from '../../template.js';
import { TERMINAL_RUN_STATUSES, type Draft } from '../draft.js';
import type { RunState, RunStatus } from '../types.js';
import { completeStep, failAttempt, templateScope } from '../transitions.js';

export function childRunId(parentRunId: string, stepId: string, attempt: number, workflow: string): string {
  return runIdForIdempotencyKey(workflow, `child:${parentRunId}:${stepId}:${attempt}`);
}

export function startChild(d: Draft, def: StepDefinition, attempt: number): void {
  const workflow = def.workflow ?? '';
  const runId = childRunId(d.state.runId, def.id, attempt, workflow);
  const step = d.step(def.id);
  step.status = 'RUNNING';
  delete step.nextRetryAt;
  step.childRunId = runId;
  step.attempts.push({ attempt, status: 'RUNNING', scheduledAt: d.now, startedAt: d.now });
  const version = def.version;
  d.emit('ChildRunStarted', { stepId: def.id, attempt, childRunId: runId, workflow, ...(version === undefined ? {} : { version }) });
  const input = resolveTemplates(def.input, templateScope(d));
  d.commands.push({
    v: 1,
    type: 'StartChildRun',
    runId,
    workflow,
    ...(version === undefined ? {} : { version }),
    ...(input === undefined ? {} : { input }),
    parentRunId: d.state.runId,
    parentStepId: def.id,
    at: d.now,
  });
}

/**
 * Whether the run still waits on this child: an outcome for an earlier attempt's child, a
 * duplicate, or one for a run that has ended changes nothing.
 */
export function awaitsChild(state: RunState, cmd: Pick<ChildRunEnded, 'stepId' | 'childRunId'>): boolean {
  if (TERMINAL_RUN_STATUSES.has(state.status) || !Object.hasOwn(state.steps, cmd.stepId)) return false;
  const step = state.steps[cmd.stepId]!;
  return step.status === 'RUNNING' && step.childRunId === cmd.childRunId && step.attempts.at(-1)?.status === 'RUNNING';
}

/** The child's outcome reaches the parent: the step succeeds with its output, or the attempt fails. */
export function childEnded(d: Draft, cmd: ChildRunEnded): void {
  if (!awaitsChild(d.state, cmd)) return;
  if (cmd.status === 'SUCCEEDED') {
    completeStep(d, cmd.stepId, cmd.output ?? null);
    return;
  }
  const error = cmd.error ?? { type: cmd.status === 'CANCELLED' ? 'ORCH_CANCELLED' : 'ORCH_STEP_FAILED', message: `child run ${cmd.childRunId} ${cmd.status.toLowerCase()}` };
  failAttempt(d, cmd.stepId, { ...error, message: `child run ${cmd.childRunId} ${cmd.status.toLowerCase()}: ${error.message}`, ...(cmd.status === 'CANCELLED' ? { nonRetryable: true } : {}) }, 'error');
}

/** CancelRun commands for the children of the steps still running. */
export function cancelChildren(d: Draft, reason: string): void {
  for (const def of d.state.definition.steps) {
    const step = d.peek(def.id);
    if (def.type !== 'workflow' || step?.status !== 'RUNNING' || step.childRunId === undefined) continue;
    d.commands.push({ v: 1, type: 'CancelRun', runId: step.childRunId, reason: `parent run ${d.state.runId} cancelled: ${reason}`, at: d.now });
  }
}

/** When a child run has just ended, tells its parent. */
export function notifyParent(d: Draft, before: RunStatus): void {
  const { parentRunId, parentStepId, status } = d.state;
  if (parentRunId === undefined || parentStepId === undefined) return;
  if (TERMINAL_RUN_STATUSES.has(before) || !TERMINAL_RUN_STATUSES.has(status)) return;
  d.commands.push({
    v: 1,
    type: 'ChildRunEnded',
    runId: parentRunId,
    childRunId: d.state.runId,
    stepId: parentStepId,
    status: status as ChildRunEnded['status'],
    ...(status === 'SUCCEEDED' ? { output: d.state.output ?? null } : {}),
    ...(d.state.error === undefined ? {} : { error: d.state.error }),
    at: d.now,
  });
}
