/**
 * A whole engine in one process for the workflow-language tests: a gateway, an orchestrator and
 * a worker sharing one bus (embedded, or the real broker), driven over REST like a user would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import type { RunView } from '@orchestrator-lite/core';
import { startGateway } from '@orchestrator-lite/gateway';
import { startOrchestrator } from '@orchestrator-lite/orchestrator';
import { createEmbeddedTransport, createKafkaTransport } from '@orchestrator-lite/transport';
import type { Transport } from '@orchestrator-lite/transport';
import { randomPrefix, waitFor } from '@orchestrator-lite/testing';
import { defineTask, startWorker } from '@orchestrator-lite/worker';
import type { TaskDefinition } from '@orchestrator-lite/worker';

export interface Engine {
  url: string;
  /** The bus the engine runs on, and its topic prefix, to read a topic back. */
  transport: Transport;
  topicPrefix: string;
  partitions: number;
  /** Every input a task ran with, by task name. */
  ran: Record<string, unknown[]>;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  register(definition: unknown): Promise<void>;
  start(workflow: string, input: unknown): Promise<string>;
  run(runId: string): Promise<RunView>;
  until(runId: string, what: string, ok: (run: RunView) => boolean): Promise<RunView>;
}

export async function startEngine(t: TestContext, bus: { brokers?: string[] } = {}, extraTasks: readonly TaskDefinition[] = []): Promise<Engine> {
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-lang-'));
  const transport: Transport = bus.brokers
    ? createKafkaTransport({ brokers: bus.brokers, clientId: 'language-test' })
    : createEmbeddedTransport({ dataDir, pollIntervalMs: 10 });
  const topicPrefix = randomPrefix();
  const partitions = 3;
  const logger = pino({ level: process.env.LANG_TEST_LOG ?? 'silent' });
  const ran: Record<string, unknown[]> = {};
  const note = (task: string, input: unknown): void => {
    (ran[task] ??= []).push(input);
  };
  const tasks = [
    defineTask('lang.echo', async (input: unknown) => {
      note('lang.echo', input);
      return input;
    }),
    defineTask('lang.double', async (input: { n: number }) => {
      note('lang.double', input);
      return { n: input.n * 2 };
    }),
    ...extraTasks,
  ] as TaskDefinition[];
  const orchestrator = await startOrchestrator({ transport, topicPrefix, partitions, logger });
  const worker = await startWorker({ transport, tasks, topicPrefix, partitions, logger, shutdownGraceMs: 100 });
  const gateway = await startGateway({ transport, topicPrefix, partitions, host: '127.0.0.1', port: 0, logger });
  t.after(async () => {
    await gateway.close();
    await worker.close();
    await orchestrator.close();
    await transport.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  await waitFor(() => gateway.isReady(), { timeoutMs: 30_000, description: 'the gateway to be ready' });
  const url = gateway.url;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  const engine: Engine = {
    url,
    transport,
    topicPrefix,
    partitions,
    ran,
    call,
    async register(definition) {
      const name = (definition as { name: string }).name;
      const r = await call('PUT', `/api/v1/workflows/${name}`, definition);
      if (r.status !== 201 && r.status !== 200) throw new Error(`register ${name}: ${r.status} ${JSON.stringify(r.body)}`);
    },
    async start(workflow, input) {
      const r = await call('POST', '/api/v1/runs', { workflow, input });
      if (r.status !== 202) throw new Error(`start ${workflow}: ${r.status} ${JSON.stringify(r.body)}`);
      return (r.body as { runId: string }).runId;
    },
    async run(runId) {
      const r = await call('GET', `/api/v1/runs/${runId}`);
      return r.body as RunView;
    },
    async until(runId, what, ok) {
      let last: RunView | undefined;
      await waitFor(
        async () => {
          const r = await call('GET', `/api/v1/runs/${runId}`);
          if (r.status !== 200) return false;
          last = r.body as RunView;
          return ok(last);
        },
        { timeoutMs: 30_000, description: what },
      ).catch((error: unknown) => {
        throw new Error(`${what}: run is ${JSON.stringify(last?.status)}: ${JSON.stringify(last?.steps)}`, { cause: error });
      });
      return last as RunView;
    },
  };
  return engine;
}
