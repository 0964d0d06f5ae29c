import { spawn } from 'node:child_process';
import { request } from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url));

export function tempDir(t: TestContext, prefix = 'orch-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export { freePort } from '@orchestrator-lite/testing';

export interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts `orch start` as its own OS process and waits, by polling /readyz with a bound, until it serves. */
export async function startOrch(t: TestContext, options: { dataDir: string; port: number; args?: string[]; env?: NodeJS.ProcessEnv }): Promise<Started> {
  const child = spawn(process.execPath, [BIN, 'start', '--port', String(options.port), '--data-dir', options.dataDir, ...(options.args ?? [])], {
    env: { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'info', KAFKA_BROKERS: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const url = `http://127.0.0.1:${options.port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`orch start exited with ${child.exitCode}:\n${log}`);
    const response = await fetch(`${url}/readyz`).catch(() => undefined);
    return response?.status === 200;
  }, 30_000, () => `orch start did not become ready:\n${log}`);
  // The demo workflows are registered right after the gateway is up; then it says it is ready.
  await waitFor(() => log.includes('Orchestrator-lite is ready'), 15_000, () => `orch start never said it was ready:\n${log}`);
  return { child, url, output: () => log };
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, message: () => string = () => 'condition not met'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function json<T = unknown>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export const post = (url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> =>
  json(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

export const put = (url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> =>
  json(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export async function waitForStatus(url: string, runId: string, statuses: string[], timeoutMs: number): Promise<RunBody> {
  let last: RunBody | undefined;
  await waitFor(async () => {
    const { status, body } = await json<RunBody>(`${url}/api/v1/runs/${runId}`);
    last = body;
    return status === 200 && statuses.includes(body.status);
  }, timeoutMs, () => `run ${runId} never reached ${statuses.join('|')}; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
  return last!;
}

export interface AttemptBody {
  attempt: number;
  status: string;
  error?: { type: string; message: string };
  retry?: { baseDelayMs: number; jitterMs: number; delayMs: number; dueAt: number };
}
export interface RunBody {
  runId: string;
  status: string;
  output?: unknown;
  error?: { type: string; message: string };
  steps: Record<string, { status: string; attempts: AttemptBody[]; output?: unknown }>;
}

/**
 * POSTs a large body the way curl does, with `Expect: 100-continue`: a server that refuses the
 * body by its length answers at once and the body is never sent. (Sent blindly, a refused upload
 * ends in a connection reset that can swallow the answer.)
 */
export function rawPost(url: string, body: string, timeoutMs = 15_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', timeout: timeoutMs, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('continue', () => req.end(body));
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.flushHeaders();
  });
}
