import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { decodeEvent, encodeMessage, projectRun, topicNames } from '@orchestrator-lite/core';
import type { RunEvent, RunView, StartRun, WorkflowDefinition } from '@orchestrator-lite/core';
import { startOrchestrator } from '@orchestrator-lite/orchestrator';
import { createEmbeddedTransport } from '@orchestrator-lite/transport';
import { defineTask, startWorker } from '@orchestrator-lite/worker';
import { tempDir, waitFor } from './helpers.js';

const prefix = 'to.';

/** An orchestrator and two workers on one embedded bus; the handlers misbehave on their first attempt. */
async function engine(t: TestContext) {
  const transport = createEmbeddedTransport({ dataDir: tempDir(t) });
  let release: () => void = () => undefined;
  const stuck = new Promise<void>((resolve) => (release = resolve));
  const ranOn: Record<string, string[]> = {};
  const record = (key: string, worker: string): void => {
    (ranOn[key] ??= []).push(worker);
  };
  const tasks = (worker: string) => [
    // Ignores its AbortSignal on the first attempt: a handler that hangs.
    defineTask('test.hang', async (_input: unknown, ctx) => {
      record(`hang#${ctx.attempt}`, worker);
      if (ctx.attempt === 1) await stuck;
      return { attempt: ctx.attempt };
    }),
    // Heartbeats twice, then goes silent on the first attempt.
    defineTask('test.silent', async (_input: unknown, ctx) => {
      record(`silent#${ctx.attempt}`, worker);
      if (ctx.attempt === 1) {
        ctx.heartbeat();
        await new Promise((r) => setTimeout(r, 150));
        ctx.heartbeat();
        await stuck;
      }
      return { attempt: ctx.attempt };
    }),
  ];
  const orchestrator = await startOrchestrator({ transport, topicPrefix: prefix, partitions: 4 });
  const workers = await Promise.all(['w1', 'w2'].map((id) => startWorker({ transport, tasks: tasks(id), workerId: id, topicPrefix: prefix, partitions: 4, heartbeatThrottleMs: 0, shutdownGraceMs: 100 })));
  // The orchestrator lets a run go once it ends: the runs are read from their events, as the gateway does.
  const events: RunEvent[] = [];
  const listener = await transport.subscribe({
    groupId: 'events',
    topics: [topicNames(prefix).events],
    onBatch: async (records) => {
      for (const r of records) events.push(decodeEvent(r.value));
    },
  });
  const view = (runId: string): RunView | undefined => {
    const own = events.filter((e) => e.runId === runId);
    return own.length === 0 ? undefined : projectRun(own);
  };
  t.after(async () => {
    release();
    await listener.close();
    await Promise.all(workers.map((w) => w.close()));
    await orchestrator.close();
    await transport.close();
  });
  const start = async (runId: string, definition: WorkflowDefinition): Promise<void> => {
    const command: StartRun = { v: 1, type: 'StartRun', runId, workflow: definition.name, version: 1, definition, input: {}, at: Date.now() };
    await transport.produce([{ topic: topicNames(prefix).commands, key: runId, value: encodeMessage(command) }]);
  };
  const finished = async (runId: string): Promise<RunView> => {
    await waitFor(() => ['SUCCEEDED', 'FAILED'].includes(view(runId)?.status ?? ''), 15_000, () => JSON.stringify(view(runId)?.steps));
    return view(runId)!;
  };
  return { start, finished, ranOn };
}

test('a handler that hangs past its timeout fails that attempt, and the step is retried', { timeout: 180_000 }, async (t) => {
  const e = await engine(t);
  await e.start('hang-run', { name: 'hang', steps: [{ id: 'h', task: 'test.hang', timeoutMs: 400, retry: { maxAttempts: 2, initialIntervalMs: 10, jitter: 'none' } }] });
  const run = await e.finished('hang-run');
  assert.equal(run.status, 'SUCCEEDED');
  const [first, second] = run.steps.h!.attempts;
  assert.equal(first!.status, 'TIMED_OUT');
  assert.equal(first!.error?.type, 'ORCH_TIMEOUT');
  assert.equal(second!.status, 'SUCCEEDED');
  assert.deepEqual(run.steps.h!.output, { attempt: 2 });
  assert.equal(e.ranOn['hang#2']?.length, 1);
});

test('a handler that stops heartbeating fails that attempt, and the step is retried', { timeout: 180_000 }, async (t) => {
  const e = await engine(t);
  await e.start('silent-run', { name: 'silent', steps: [{ id: 's', task: 'test.silent', heartbeatTimeoutMs: 500, timeoutMs: 30_000, retry: { maxAttempts: 2, initialIntervalMs: 10, jitter: 'none' } }] });
  const run = await e.finished('silent-run');
  assert.equal(run.status, 'SUCCEEDED');
  const [first] = run.steps.s!.attempts;
  assert.equal(first!.status, 'TIMED_OUT');
  assert.equal(first!.error?.type, 'ORCH_HEARTBEAT_TIMEOUT');
  // Silence ended it no sooner than the heartbeat timeout after its last sign of life. Both
  // heartbeats may reach the orchestrator in one batch (a busy machine), so the start and the
  // last heartbeat can be one moment: the bound is the timeout, not the timeout plus their gap.
  assert.ok(first!.endedAt! - first!.startedAt! >= 500, `ended after ${first!.endedAt! - first!.startedAt!} ms`);
  assert.deepEqual(run.steps.s!.output, { attempt: 2 });
});
