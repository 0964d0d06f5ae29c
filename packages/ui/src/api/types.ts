/**
 * The wire shapes the UI reads, as types only (erased at build time, so no core code is bundled):
 * the domain types from `@orchestrator-lite/core`, and the REST request and response types that
 * core infers from the gateway's route schemas, from `@orchestrator-lite/core/projection`.
 */
import type { RunStatus as CoreRunStatus, StepStatus as CoreStepStatus } from '@orchestrator-lite/core';
import type { RunSummary as RestRunSummary } from '@orchestrator-lite/core/projection';
export type {
  ApiErrorBody,
  DeadLetterItem,
  DlqPageResponse,
  RedriveBody,
  RedriveResponse,
  RerunBody,
  RerunResponse,
  RunCommandResponse,
  RunEventsResponse,
  RunListResponse,
  RunResponse,
  ScheduleBody,
  ScheduleItem,
  ScheduleLastRun,
  ScheduleListResponse,
  ScheduleTriggerResponse,
  SignalAccepted,
  SignalBody,
  StartRunBody,
  StartRunResponse,
  CountsFrame,
  SchedulesFrame,
  StreamFrame,
  WorkflowListResponse,
  WorkflowResponse,
  WorkflowSummary,
} from '@orchestrator-lite/core/projection';

export type {
  AttemptStatus,
  AttemptView,
  ErrorInfo,
  EventDataMap,
  JitterStrategy,
  RetryPolicy,
  RunEvent,
  RunEventOf,
  RunEventType,
  RunView,
  StepDefinition,
  StepView,
  WorkflowDefinition,
} from '@orchestrator-lite/core';

export type RunStatus = CoreRunStatus;
export type StepStatus = CoreStepStatus;

export const RUN_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const satisfies readonly RunStatus[];

export const STEP_STATUSES = [
  'PENDING',
  'SCHEDULED',
  'RUNNING',
  'RETRY_WAIT',
  'SUCCEEDED',
  'FAILED',
  'SKIPPED',
  'CANCELLED',
] as const satisfies readonly StepStatus[];

/** A row of the run list: what GET /api/v1/runs returns for each run (a RunView or a summary of one). */
export type RunSummary = Omit<RestRunSummary, 'version' | 'lastSeq'> & {
  /** Absent on a row made from a live event before the list was loaded. */
  version?: number;
  lastSeq?: number;
  /** When the run finished, from its terminal event; feeds the latency chart. */
  endedAt?: number;
};
