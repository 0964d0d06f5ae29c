/** @orchestrator-lite/core — the domain: definitions, templates, retries, the run reducer, the codec. */
export * from './definition/types.js';
export * from './messages.js';
export * from './events.js';
export * from './run/types.js';
export * from './topics.js';

export * from './errors.js';
export * from './definition/defaults.js';
export * from './definition/graph.js';
export * from './template.js';
export * from './random.js';
export * from './backoff.js';
export { reduceRun, type ReduceContext, type ReduceResult } from './run/reducer.js';
export { TERMINAL_RUN_STATUSES, TERMINAL_STEP_STATUSES, timerId } from './run/draft.js';
export { STEP_FAILED_ERROR_TYPE } from './run/transitions.js';
export * from './run/snapshot.js';
export { EXPRESSION_ERROR_TYPE } from './run/steps/scope.js';
export { MAX_KEPT_SIGNALS } from './run/steps/wait.js';
export { awaitsChild, childRunId } from './run/steps/child.js';
export * from './concurrency/gate.js';
export { findStep, itemId, parseItemId, ownerStepId } from './run/lookup.js';
export { stepLabel } from './definition/labels.js';
export { CEL_VARIABLES, evaluateCel, parseCel } from './expression/cel.js';
export { applyEvent, projectRun, toView } from './run/projection.js';
export { isTerminalRunStatus, isTerminalStepStatus, readySteps } from './run/queries.js';
export * from './codec.js';
export * from './payload.js';
export * from './definition/validate.js';
export * from './definition/yaml.js';
export * from './definition/builder.js';
export { RegisteredVersions, unregisteredMessage } from './definition/registered-versions.js';
export {
  RetryPolicySchema,
  StepDefinitionSchema,
  WorkflowDefinitionSchema,
  RegisteredWorkflowSchema,
  formatPath,
} from './definition/schema.js';
export * from './ids.js';
export { durationOption, functionOption, integerOption, objectOption, parseOptions, type OptionIssue } from './options.js';
export type { CountsFrame, RunResponse, SchedulesFrame, StreamFrame, WorkflowResponse } from './api/rest.js';
export * from './api/schemas/index.js';
export * from './duration.js';
export { ErrorInfoSchema, RunEventSchema, RunQueuedSchema, RunViewSchema } from './schemas.js';
