/** The worker counts its task metrics where the work happens: run times by outcome, dispatch latency, retries. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeMessage, topicNames } from '@orchestrator-lite/core';
import type { TaskDispatched } from '@orchestrator-lite/core';
import { createEmbeddedTransport } from '@orchestrator-lite/transport';
import { defineTask, startWorker } from '../src/index.js';
import { outcomeOf } from '../src/metrics.js';

const names = topicNames('wm.');

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

void test('a worker reports run time by task and outcome, dispatch latency by queue, and retry attempts', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-worker-metrics-'));
  const transport = createEmbeddedTransport({ dataDir });
  const tasks = [
    defineTask('ok', async () => ({ done: true })),
    defineTask('boom', async () => {
      throw new Error('boom');
    }),
  ];
  const worker = await startWorker({ transport, tasks, topicPrefix: 'wm.', partitions: 1 });
  t.after(async () => {
    await worker.close();
    await transport.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const now = Date.now();
  const dispatch = (runId: string, task: string, attempt: number): TaskDispatched => ({
    v: 1,
    type: 'TaskDispatched',
    runId,
    stepId: 's',
    attempt,
    task,
    queue: 'default',
    input: {},
    idempotencyKey: `${runId}:s:${attempt}`,
    dispatchedAt: now - 2_000,
  });
  await transport.produce(
    [dispatch('r1', 'ok', 1), dispatch('r2', 'boom', 1), dispatch('r3', 'ok', 2)].map((task) => ({ topic: names.tasks('default'), key: `${task.runId}:s`, value: encodeMessage(task) })),
  );
  let text = '';
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
    text = await worker.metrics.metrics();
    if ((sample(text, 'orch_task_run_seconds_count{task="ok",outcome="succeeded"}') ?? 0) >= 2 && sample(text, 'orch_task_run_seconds_count{task="boom",outcome="failed"}') === 1) break;
  }
  assert.equal(sample(text, 'orch_task_run_seconds_count{task="ok",outcome="succeeded"}'), 2);
  assert.equal(sample(text, 'orch_task_run_seconds_count{task="boom",outcome="failed"}'), 1);
  assert.equal(sample(text, 'orch_task_dispatch_latency_seconds_count{queue="default"}'), 3);
  // Dispatched two seconds before: every start waited at least that long.
  assert.equal(sample(text, 'orch_task_dispatch_latency_seconds_bucket{le="1",queue="default"}'), 0);
  assert.equal(sample(text, 'orch_task_retries_total{task="ok"}'), 1);
  assert.equal(sample(text, 'orch_task_retries_total{task="boom"}'), undefined);
});

void test('outcomeOf names timeouts and cancellations apart from failures', () => {
  assert.equal(outcomeOf(undefined), 'succeeded');
  assert.equal(outcomeOf({ type: 'ORCH_TIMEOUT' }), 'timeout');
  assert.equal(outcomeOf({ type: 'ORCH_HEARTBEAT_TIMEOUT' }), 'timeout');
  assert.equal(outcomeOf({ type: 'ORCH_CANCELLED' }), 'cancelled');
  assert.equal(outcomeOf({ type: 'Error' }), 'failed');
});
