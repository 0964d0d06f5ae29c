/**
 * The REST client: one function per endpoint of the gateway's v1 contract. Errors come back as
 * `ApiError` carrying the server's `{error: {code, message}}`, so the UI can show the real reason.
 */
import type { RunEvent, RunListResponse, RunView, StartRunResponse, WorkflowDefinition, WorkflowSummary } from './types.ts';

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

async function request<T>(gateway: string, path: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiUrl(gateway, path), {
      ...init,
      headers: {
        accept: 'application/json',
        ...(init?.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(tokens.has(tokenKey(gateway)) ? { authorization: `Bearer ${tokens.get(tokenKey(gateway))}` } : {}),
      },
    });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `the gateway cannot be reached (${err instanceof Error ? err.message : String(err)})`);
  }
  const text = await res.text();
  let body: unknown = undefined;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? (text || res.statusText), e?.details);
  }
  return body as T;
}

export interface Api {
  listRuns(query?: { status?: string; workflow?: string; limit?: number; cursor?: string }): Promise<RunListResponse>;
  getRun(runId: string): Promise<RunView>;
  getEvents(runId: string, since?: number): Promise<{ items: RunEvent[] }>;
  listWorkflows(): Promise<{ items: WorkflowSummary[] }>;
  getWorkflow(name: string): Promise<WorkflowSummary & { definition?: WorkflowDefinition }>;
  startRun(body: { workflow: string; version?: number; input?: unknown; idempotencyKey?: string }): Promise<StartRunResponse>;
  cancelRun(runId: string): Promise<unknown>;
  retryRun(runId: string): Promise<unknown>;
  sendSignal(runId: string, name: string, payload: unknown): Promise<unknown>;
  /** The value a claim-check `{$payload: {ref, bytes, sha256}}` stands for. */
  getPayload(ref: string): Promise<unknown>;
}

export function createApi(gateway: string): Api {
  const enc = encodeURIComponent;
  return {
    listRuns(query = {}) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, String(v));
      const s = qs.toString();
      return request(gateway, `/api/v1/runs${s ? `?${s}` : ''}`);
    },
    getRun: (runId) => request(gateway, `/api/v1/runs/${enc(runId)}`),
    getEvents: (runId, since = 0) => request(gateway, `/api/v1/runs/${enc(runId)}/events?since=${since}`),
    listWorkflows: () => request(gateway, '/api/v1/workflows'),
    getWorkflow: (name) => request(gateway, `/api/v1/workflows/${enc(name)}`),
    startRun: (body) => request(gateway, '/api/v1/runs', { method: 'POST', body: JSON.stringify(body) }),
    cancelRun: (runId) => request(gateway, `/api/v1/runs/${enc(runId)}/cancel`, { method: 'POST', body: '{}' }),
    retryRun: (runId) => request(gateway, `/api/v1/runs/${enc(runId)}/retry`, { method: 'POST', body: '{}' }),
    sendSignal: (runId, name, payload) =>
      request(gateway, `/api/v1/runs/${enc(runId)}/signals/${enc(name)}`, { method: 'POST', body: JSON.stringify(payload === undefined ? {} : { payload }) }),
    getPayload: (ref) => request(gateway, `/api/v1/payloads/${enc(ref)}`),
  };
}
