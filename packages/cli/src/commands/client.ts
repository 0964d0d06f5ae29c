import WebSocket from 'ws';
import type { ApiErrorBody } from '@orchestrator-lite/core';

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** Where the gateway is, and the bearer token to show it when it requires one. */
export interface GatewayTarget {
  url: string;
  token?: string;
}

const authHeader = (gateway: GatewayTarget): Record<string, string> => (gateway.token ? { authorization: `Bearer ${gateway.token}` } : {});

/**
 * Calls the gateway; any non-2xx answer becomes an error carrying the server's message. `T` and
 * `B` are the route's response and body types from core's REST schemas.
 */
export async function api<T, B = never>(gateway: GatewayTarget, method: string, path: string, body?: B): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { ...authHeader(gateway), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new Error(`cannot reach the gateway at ${gateway.url}: ${(error as Error).message} (is \`orch start\` running? set --gateway or ORCH_GATEWAY_URL)`);
  }
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const error = (parsed as Partial<ApiErrorBody> | undefined)?.error;
    const details = error?.details === undefined ? '' : `\n${JSON.stringify(error.details, null, 2)}`;
    throw new Error(`${response.status} ${error?.code ?? ''}: ${error?.message ?? text}${details}`);
  }
  return parsed as T;
}

interface Frame {
  seq: number;
  type: string;
  at: number;
  data: Record<string, unknown>;
}

const describeFrame = (frame: Frame): string => {
  const d = frame.data;
  const step = typeof d.stepId === 'string' ? ` ${d.stepId}` : '';
  const attempt = typeof d.attempt === 'number' ? ` #${d.attempt}` : '';
  let extra = '';
  if (frame.type === 'RetryScheduled') extra = ` in ${String(d.delayMs)} ms (base ${String(d.baseDelayMs)}, jitter ${String(d.jitterMs)})`;
  if (frame.type === 'AttemptFailed') extra = `: ${String((d.error as { message?: string } | undefined)?.message ?? '')}`;
  if (frame.type === 'StepProgress') extra = ` ${Math.round(Number(d.fraction) * 100)}%`;
  if (frame.type === 'StepLog') extra = `: ${String(d.message)}`;
  return `${new Date(frame.at).toISOString().slice(11, 23)}  ${String(frame.seq).padStart(4)}  ${frame.type}${step}${attempt}${extra}`;
};

/** Follows a run's live stream, printing each event, until it ends. Resumes after a drop with `since`. */
export async function follow(gateway: GatewayTarget, runId: string, print: (line: string) => void, timeoutMs: number): Promise<string> {
  const wsBase = gateway.url.replace(/^http/, 'ws');
  let since = 0;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const status = await new Promise<string | undefined>((resolve) => {
      const socket = new WebSocket(`${wsBase}/api/v1/stream?runId=${encodeURIComponent(runId)}&since=${since}`, { headers: authHeader(gateway) });
      const timer = setTimeout(() => socket.close(), Math.max(0, deadline - Date.now()));
      socket.on('message', (raw) => {
        const frame = JSON.parse(String(raw)) as Frame;
        if (typeof frame.seq !== 'number' || frame.seq <= since) return;
        since = frame.seq;
        print(describeFrame(frame));
        if (frame.type === 'RunSucceeded') resolve('SUCCEEDED');
        if (frame.type === 'RunFailed') resolve('FAILED');
        if (frame.type === 'RunCancelled') resolve('CANCELLED');
      });
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      socket.on('error', () => undefined);
    });
    if (status && TERMINAL.has(status)) return status;
    await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** attempt)));
  }
  throw new Error(`run ${runId} did not finish within ${timeoutMs} ms`);
}
