/**
 * The REST client: one function per endpoint of the gateway's v1 contract, each typed with the
 * request and response types core infers from the gateway's own route schemas. Errors come back
 * as `ApiError` carrying the server's `{error: {code, message}}`, so the UI can show the real reason.
 */
import type {
  ApiErrorBody,
  DlqPageResponse,
  RedriveBody,
  RedriveResponse,
  RerunBody,
  RerunResponse,
  RunCommandResponse,
  RunEvent,
  RunEventsResponse,
  RunListResponse,
  RunResponse,
  ScheduleBody,
  ScheduleItem,
  ScheduleListResponse,
  ScheduleTriggerResponse,
  SignalAccepted,
  SignalBody,
  StartRunBody,
  StartRunResponse,
  WorkflowListResponse,
  WorkflowResponse,
} from './types.ts';

/** What a thrown value says, for a message shown to the user. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const tokens = new Map<string, string>();
const tokenKey = (gateway: string): string => gateway.replace(/\/+$/, '');

/**
 * The bearer token to show a gateway that requires one (its `ORCH_API_TOKENS`): set from the
 * custom element's `token` attribute or the App's `token` prop. REST calls send it as
 * `Authorization: Bearer`; the stream, whose browser API cannot set headers, as `access_token`.
 */
export function setGatewayToken(gateway: string, token: string | undefined): void {
  if (token) tokens.set(tokenKey(gateway), token);
  else tokens.delete(tokenKey(gateway));
}

/** Joins a gateway base URL ('' for same origin) with an API path. */
export function apiUrl(gateway: string, path: string): string {
  return `${gateway.replace(/\/+$/, '')}${path}`;
}

/** The WebSocket URL of the stream for this gateway (same origin when `gateway` is empty). */
export function streamUrl(gateway: string, params: Record<string, string | undefined>): string {
  const base = gateway === '' ? window.location.origin : gateway.replace(/\/+$/, '');
  const url = new URL(`${base}/api/v1/stream`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') url.searchParams.set(k, v);
  const token = tokens.get(tokenKey(gateway));
  if (token !== undefined) url.searchParams.set('access_token', token);
  return url.toString();
}

/** One call: `T` is the route's response type, `B` its body type (none for a GET). */
async function request<T, B = never>(gateway: string, method: string, path: string, body?: B): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiUrl(gateway, path), {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headers: {
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(tokens.has(tokenKey(gateway)) ? { authorization: `Bearer ${tokens.get(tokenKey(gateway))}` } : {}),
      },
    });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `the gateway cannot be reached (${errorMessage(err)})`);
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!res.ok) {
    const e = (parsed as Partial<ApiErrorBody> | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? (text || res.statusText), e?.details);
  }
  return parsed as T;
}

export interface Api {
  listRuns(query?: { status?: string; workflow?: string; limit?: number; cursor?: string }): Promise<RunListResponse>;
  getRun(runId: string): Promise<RunResponse>;
  /** The run's events after `since`, as the stream carries them (with their runId). */
  getEvents(runId: string, since?: number): Promise<{ items: RunEvent[] }>;
  listWorkflows(): Promise<WorkflowListResponse>;
  getWorkflow(name: string): Promise<WorkflowResponse>;
  startRun(body: StartRunBody): Promise<StartRunResponse>;
  cancelRun(runId: string): Promise<RunCommandResponse>;
  retryRun(runId: string): Promise<RunCommandResponse>;
  rerun(runId: string, body: RerunBody): Promise<RerunResponse>;
  sendSignal(runId: string, name: string, payload: unknown): Promise<SignalAccepted>;
  listSchedules(): Promise<ScheduleListResponse>;
  putSchedule(name: string, body: ScheduleBody): Promise<ScheduleItem>;
  deleteSchedule(name: string): Promise<void>;
  triggerSchedule(name: string): Promise<ScheduleTriggerResponse>;
  listDeadLetters(query?: { limit?: number; cursor?: string }): Promise<DlqPageResponse>;
  redrive(body: RedriveBody): Promise<RedriveResponse>;
  /** The value a claim-check `{$payload: {ref, bytes, sha256}}` stands for. */
  getPayload(ref: string): Promise<unknown>;
}

function queryString(query: Record<string, string | number | undefined>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s === '' ? '' : `?${s}`;
}

export function createApi(gateway: string): Api {
  const enc = encodeURIComponent;
  const run = (runId: string): string => `/api/v1/runs/${enc(runId)}`;
  const schedule = (name: string): string => `/api/v1/schedules/${enc(name)}`;
  return {
    listRuns: (query = {}) => request(gateway, 'GET', `/api/v1/runs${queryString(query)}`),
    getRun: (runId) => request(gateway, 'GET', run(runId)),
    getEvents: async (runId, since = 0) => {
      const res = await request<RunEventsResponse>(gateway, 'GET', `${run(runId)}/events?since=${since}`);
      return { items: res.items.map((item) => ({ ...item, runId }) as RunEvent) };
    },
    listWorkflows: () => request(gateway, 'GET', '/api/v1/workflows'),
    getWorkflow: (name) => request(gateway, 'GET', `/api/v1/workflows/${enc(name)}`),
    startRun: (body) => request<StartRunResponse, StartRunBody>(gateway, 'POST', '/api/v1/runs', body),
    cancelRun: (runId) => request<RunCommandResponse, object>(gateway, 'POST', `${run(runId)}/cancel`, {}),
    retryRun: (runId) => request<RunCommandResponse, object>(gateway, 'POST', `${run(runId)}/retry`, {}),
    rerun: (runId, body) => request<RerunResponse, RerunBody>(gateway, 'POST', `${run(runId)}/rerun`, body),
    sendSignal: (runId, name, payload) =>
      request<SignalAccepted, NonNullable<SignalBody>>(gateway, 'POST', `${run(runId)}/signals/${enc(name)}`, payload === undefined ? {} : { payload }),
    listSchedules: () => request(gateway, 'GET', '/api/v1/schedules'),
    putSchedule: (name, body) => request<ScheduleItem, ScheduleBody>(gateway, 'PUT', schedule(name), body),
    deleteSchedule: (name) => request<void>(gateway, 'DELETE', schedule(name)),
    triggerSchedule: (name) => request<ScheduleTriggerResponse, object>(gateway, 'POST', `${schedule(name)}/trigger`, {}),
    listDeadLetters: (query = {}) => request(gateway, 'GET', `/api/v1/dlq${queryString(query)}`),
    redrive: (body) => request<RedriveResponse, RedriveBody>(gateway, 'POST', '/api/v1/dlq/redrive', body),
    getPayload: (ref) => request<unknown>(gateway, 'GET', `/api/v1/payloads/${enc(ref)}`),
  };
}
