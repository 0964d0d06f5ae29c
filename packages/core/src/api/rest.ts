/**
 * The REST response shapes of the gateway's v1 API, declared once: the gateway's routes return
 * them and the UI's client reads them, so the two cannot drift. Types only (nothing to bundle).
 */
import type { ErrorInfo } from '../messages.js';
import type { RunEvent } from '../events.js';
import type { RunStatus, RunView } from '../run/types.js';

/** An item of GET /api/v1/runs. */
export interface RunSummary {
  runId: string;
  workflow: string;
  version: number;
  status: RunStatus;
  createdAt: number;
  updatedAt: number;
  /** The seq of the last event folded into the run (0 for a run submitted but not started yet). */
  lastSeq: number;
  error?: ErrorInfo;
}

/** GET /api/v1/runs */
export interface RunListResponse {
  items: RunSummary[];
  /** Pass as `?cursor=` for the next page; null on the last page. */
  nextCursor: string | null;
  /** Runs per status among those matching `workflow` (the status filter is not applied). */
  counts: Record<RunStatus, number>;
}

/** GET /api/v1/runs/{runId} */
export type RunResponse = RunView;

/** One item of GET /api/v1/runs/{runId}/events. */
export type RunEventItem = Pick<RunEvent, 'seq' | 'type' | 'at' | 'data'>;

/** GET /api/v1/runs/{runId}/events */
export interface RunEventsResponse {
  items: RunEventItem[];
}

/** POST /api/v1/runs: 202 for a new run, 200 when the idempotency key names an existing one. */
export interface StartRunResponse {
  runId: string;
  status: RunStatus;
}

/** POST /api/v1/runs/{runId}/cancel and /retry: 202. */
export interface RunCommandResponse {
  runId: string;
}

/** An item of GET /api/v1/workflows. */
export interface WorkflowSummary {
  name: string;
  version: number;
  description?: string;
  steps: number;
  registeredAt: number;
}

/** GET /api/v1/workflows */
export interface WorkflowListResponse {
  items: WorkflowSummary[];
}

/** A frame of GET /api/v1/stream: an event; frames of the all-runs stream carry the cursor to resume after it. */
export type StreamFrame = RunEvent & { cursor?: string };

/** Every error answer. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}
