/**
 * Test factories: a gateway on the embedded transport in a temp folder, bound to 127.0.0.1 on
 * a free port, with cleanup registered on the test context; RunEvent builders; a WebSocket client
 * that records frames.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import WebSocket from 'ws';
import { encodeMessage, topicNames } from '@orchestrator-lite/core';
import type { RunEvent, TopicNames, WorkflowDefinition } from '@orchestrator-lite/core';
import { createEmbeddedTransport } from '@orchestrator-lite/transport';
import type { EmbeddedTransport, RecordMetadata } from '@orchestrator-lite/transport';
import { startGateway } from '../src/index.js';
import type { GatewayHandle, GatewayOptions } from '../src/index.js';

export interface CleanupContext {
  after(fn: () => Promise<void> | void): void;
}

/** Polls `predicate` every 10 ms; fails after `timeoutMs` naming what it waited for. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface TestGateway {
  gateway: GatewayHandle;
  transport: EmbeddedTransport;
  names: TopicNames;
  url: string;
  dataDir: string;
}

export async function startTestGateway(t: CleanupContext, overrides: Partial<GatewayOptions> = {}): Promise<TestGateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'orch-gateway-'));
  const transport = createEmbeddedTransport({ dataDir, synchronous: 'normal', pollIntervalMs: 20 });
  const topicPrefix = `t${randomUUID().slice(0, 8)}.`;
  const gateway = await startGateway({
    transport,
    topicPrefix,
    host: '127.0.0.1',
    port: 0,
    partitions: 3,
    logger: pino({ level: 'silent' }),
    ...overrides,
  });
  t.after(async () => {
    await gateway.close();
    await transport.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  await waitFor(() => gateway.isReady(), 'the gateway to be ready');
  return { gateway, transport, names: topicNames(topicPrefix), url: gateway.url, dataDir };
}

export const DEFINITION: WorkflowDefinition = {
  name: 'orders',
  description: 'two steps',
  steps: [
    { id: 'charge', task: 'charge-card', input: { amount: '${input.amount}' } },
    { id: 'ship', task: 'ship-parcel', dependsOn: ['charge'] },
  ],
};

export function runStarted(runId: string, at = 1_000, workflow = 'orders', version = 1): RunEvent {
  return { runId, seq: 1, type: 'RunStarted', at, data: { workflow, version, input: { amount: 5 }, definition: { ...DEFINITION, name: workflow } } };
}

export function stepLog(runId: string, seq: number, message = `log ${seq}`): RunEvent {
  return { runId, seq, type: 'StepLog', at: 1_000 + seq, data: { stepId: 'charge', attempt: 1, level: 'info', message } };
}

export function runFailed(runId: string, seq: number): RunEvent {
  return { runId, seq, type: 'RunFailed', at: 1_000 + seq, data: { error: { type: 'Boom', message: 'boom' }, failedSteps: ['charge'] } };
}

export function runSucceeded(runId: string, seq: number): RunEvent {
  return { runId, seq, type: 'RunSucceeded', at: 1_000 + seq, data: { output: { ok: true } } };
}

/** Plays the orchestrator: writes events to `events`, keyed by runId. */
export async function produceEvents(transport: EmbeddedTransport, names: TopicNames, events: RunEvent[]): Promise<RecordMetadata[]> {
  return transport.produce(events.map((e) => ({ topic: names.events, key: e.runId, value: encodeMessage(e) })));
}

export async function http(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' || Buffer.isBuffer(body) ? (body as string) : JSON.stringify(body);
    if (!('content-type' in headers)) (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(url + path, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export interface StreamClient {
  socket: WebSocket;
  frames: Record<string, unknown>[];
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  /** Waits until at least `n` frames arrived. */
  waitForFrames(n: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
}

export function openStream(t: CleanupContext, baseUrl: string, query: string): StreamClient {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/v1/stream${query}`);
  const frames: Record<string, unknown>[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  // A rejected `opened` that a test does not await must not become an unhandled rejection.
  opened.catch(() => undefined);
  t.after(() => {
    if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.terminate();
  });
  return {
    socket,
    frames,
    opened,
    closed,
    waitForFrames: async (n, timeoutMs = 10_000) => {
      await waitFor(() => frames.length >= n, `${n} stream frames (have ${frames.length})`, timeoutMs);
      return frames;
    },
  };
}
