import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeMessage, topicNames } from '@orchestrator-lite/core';
import type { TaskDispatched } from '@orchestrator-lite/core';
import { createEmbeddedTransport } from '@orchestrator-lite/transport';
import { defineTask, startWorker } from '../src/index.js';

const names = topicNames('p.');

function dispatch(runId: string, priority?: 1 | 3): TaskDispatched {
  return { v: 1, type: 'TaskDispatched', runId, stepId: 's', attempt: 1, task: 'work', queue: 'default', input: {}, idempotencyKey: `${runId}:s:1`, dispatchedAt: Date.now(), ...(priority === undefined ? {} : { priority }) };
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('with low-priority tasks waiting, a high-priority task is taken next', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-priority-'));
  const transport = createEmbeddedTransport({ dataDir, pollIntervalMs: 10 });
  // A flood of low-priority tasks, then one normal and one high, all on the bus before the worker starts.
  const lows = Array.from({ length: 5 }, (_, i) => dispatch(`low-${i}`, 3));
  const normal = dispatch('normal');
  const high = dispatch('high', 1);
  await transport.ensureTopics([1, 2, 3].map((p) => ({ name: names.tasks('default', p), partitions: 1 })));
  await transport.produce([
    ...lows.map((task) => ({ topic: names.tasks('default', 3), key: task.idempotencyKey, value: encodeMessage(task) })),
    { topic: names.tasks('default'), key: normal.idempotencyKey, value: encodeMessage(normal) },
    { topic: names.tasks('default', 1), key: high.idempotencyKey, value: encodeMessage(high) },
  ]);
  const started: string[] = [];
  const gates: (() => void)[] = [];
  const worker = await startWorker({
    transport,
    topicPrefix: 'p.',
    partitions: 1,
    concurrency: 1,
    tasks: [
      defineTask('work', async (_input, ctx) => {
        started.push(ctx.runId);
        await new Promise<void>((resolve) => gates.push(resolve));
      }),
    ],
  });
  t.after(async () => {
    for (const open of gates) open();
    await worker.close();
    await transport.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // One task runs; the head of each of the three topics (after the running one) waits for the permit.
  await until(() => started.length === 1 && worker.waiting() === ((started[0] ?? '').startsWith('low-') ? 3 : 2));
  for (let n = 1; n < 7; n += 1) {
    gates[n - 1]?.();
    await until(() => started.length === n + 1);
  }
  const rest = started.slice(1);
  const position = (id: string): number => (started[0] === id ? -1 : rest.indexOf(id));
  const firstLow = Math.min(...lows.map((l) => position(l.runId)).filter((p) => p >= 0));
  assert.ok(position('high') < position('normal') || position('high') === -1, `high before normal: ${started.join(', ')}`);
  assert.ok(position('normal') < firstLow || position('normal') === -1, `normal before the waiting lows: ${started.join(', ')}`);
  assert.deepEqual(started.filter((id) => id.startsWith('low-')), lows.map((l) => l.runId), 'lows in order');
});
