/**
 * `@orchestrator-lite/core/projection`: what a browser needs to fold a run's events into its
 * view, which steps a rerun from a step runs again (as the gateway decides it), and the REST
 * shapes (types only). It imports no zod and no yaml, so a bundle that uses it carries only
 * the projector itself; the gateway and the UI fold events with this one projector.
 */
export { applyEvent, projectRun } from './run/projection.js';
export { isTerminalRunStatus, isTerminalStepStatus, readySteps } from './run/queries.js';
export { downstreamOf } from './definition/graph.js';
export { RUN_STATUSES, STEP_STATUSES, RunStatus, StepStatus, AttemptStatus } from './run/types.js';
export type { AttemptView, RunView, StepView } from './run/types.js';
export type { RunEvent, RunEventOf, RunEventType, EventDataMap } from './events.js';
export type { ErrorInfo } from './messages.js';
export type { JitterStrategy, RetryPolicy, StepDefinition, WorkflowDefinition } from './definition/types.js';
export type * from './api/rest.js';
