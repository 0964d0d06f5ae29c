/**
 * Turning a StartChildRun into the child's StartRun: the definition is looked up here, by the
 * child's owner, so the parent's reducer stays pure. A child whose workflow does not exist ends
 * at once: its parent gets a ChildRunEnded that fails the step with ORCH_NOT_FOUND.
 */
import { ErrorCode } from '@orchestrator-lite/core';
import type { ChildRunEnded, StartChildRun, StartRun } from '@orchestrator-lite/core';
import type { DefinitionCatalog } from './definition-catalog.js';

export async function childStart(catalog: DefinitionCatalog, cmd: StartChildRun): Promise<StartRun | ChildRunEnded> {
  const found = await catalog.resolve(cmd.workflow, cmd.version);
  if (found === undefined) {
    const which = cmd.version === undefined ? `workflow "${cmd.workflow}"` : `workflow "${cmd.workflow}" version ${cmd.version}`;
    return {
      v: 1,
      type: 'ChildRunEnded',
      runId: cmd.parentRunId,
      childRunId: cmd.runId,
      stepId: cmd.parentStepId,
      status: 'FAILED',
      error: { type: ErrorCode.NotFound, message: `${which} is not registered`, nonRetryable: true },
      at: cmd.at,
    };
  }
  return {
    v: 1,
    type: 'StartRun',
    runId: cmd.runId,
    workflow: found.name,
    version: found.version,
    definition: found.definition,
    input: cmd.input ?? {},
    parentRunId: cmd.parentRunId,
    parentStepId: cmd.parentStepId,
    at: cmd.at,
  };
}
