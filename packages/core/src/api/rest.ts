/**
 * The REST shapes of the gateway's v1 API as types. Each comes from its zod schema in
 * `./schemas` (`z.infer`), the one the gateway validates with and documents in OpenAPI, so the
 * gateway, the UI and the CLI cannot drift. Types only: this module bundles nothing.
 */
import type { RegisteredWorkflow } from '../definition/types.js';
import type { RunEvent } from '../events.js';
import type { RunStatus, RunView } from '../run/types.js';

export type {
  ApiErrorBody,
  CancelBody,
  DeadLetterItem,
  DlqPageResponse,
  RedriveBody,
  RedriveResponse,
  RegisteredResponse,
  RerunBody,
  RerunResponse,
  RunCommandResponse,
  RunEventItem,
  RunEventsResponse,
  RunListResponse,
  RunSummary,
  ScheduleBody,
  ScheduleItem,
  ScheduleLastRun,
  ScheduleListResponse,
  ScheduleTriggerResponse,
  SignalAccepted,
  SignalBody,
  StartRunBody,
  StartRunResponse,
  StartRunsBody,
  StartRunsItem,
  StartRunsResponse,
  WorkflowListResponse,
  WorkflowSummary,
  OverlapPolicy,
  CatchupPolicy,
} from './schemas/index.js';

/** GET /api/v1/runs/{runId} */
export type RunResponse = RunView;

/** GET /api/v1/workflows/{name} */
export type WorkflowResponse = Omit<RegisteredWorkflow, 'claim'>;

/** A frame of GET /api/v1/stream: an event; frames of the all-runs stream carry the cursor to resume after it. */
export type StreamFrame = RunEvent & { cursor?: string };

/**
 * A frame of the all-runs stream opened with `counts=true`: the runs in the read store by workflow
 * and status (every status present), sent on connecting and then whenever they change, at most
 * about once a second. It has no runId and no seq: it is not an event.
 */
export interface CountsFrame {
  type: 'counts';
  at: number;
  counts: Record<string, Record<RunStatus, number>>;
}

/**
 * A frame of the all-runs stream opened with `schedules=true`: the schedules changed (one was
 * written, paused, deleted or fired), at most one a second; read them again (`GET /api/v1/schedules`).
 */
export interface SchedulesFrame {
  type: 'schedules';
  at: number;
}
