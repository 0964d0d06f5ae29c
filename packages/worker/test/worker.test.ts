import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { decodeRunInput, encodeMessage, reportsStart, topicNames } from '@orchestrator-lite/core';
import type { ClaimCheck, TaskDispatched, TaskFailed, TaskResult } from '@orchestrator-lite/core';
import { createEmbeddedTransport, DLQ_HEADERS, PayloadStore } from '@orchestrator-lite/transport';
import type { ConsumedRecord, Transport } from '@orchestrator-lite/transport';
import { defineTask, NonRetryableError, RetryAfterError, startWorker } from '../src/index.js';
import type { TaskDefinition } from '../src/index.js';

const names = topicNames('w.');

async function setup(t: TestContext, tasks: TaskDefinition[], concurrency = 4) {
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-worker-'));
  const transport = createEmbeddedTransport({ dataDir });
  const worker = await startWorker({ transport, tasks, concurrency, topicPrefix: 'w.', partitions: 2, heartbeatThrottleMs: 0 });
  const results: TaskResult[] = [];
  const dlq: ConsumedRecord[] = [];
  const listener = await transport.subscribe({
    groupId: 'test-listener',
    topics: [names.results, names.dlq],
    onBatch: async (records) => {
      for (const r of records) {
        if (r.topic === names.dlq) dlq.push(r);
        else results.push(decodeRunInput(r.value) as TaskResult);
      }
    },
  });
  t.after(async () => {
    await worker.close();
    await listener.close();
    await transport.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { transport, worker, results, dlq };
}

function dispatch(runId: string, task: string, input: unknown = {}, extra: Partial<TaskDispatched> = {}): TaskDispatched {
  return { v: 1, type: 'TaskDispatched', runId, stepId: 's', attempt: 1, task, queue: 'default', input, idempotencyKey: `${runId}:s:1`, dispatchedAt: Date.now(), ...extra };
}

async function send(transport: Transport, ...tasks: TaskDispatched[]): Promise<void> {
  await transport.produce(tasks.map((task) => ({ topic: names.tasks('default'), key: `${task.runId}:${task.stepId}`, value: encodeMessage(task) })));
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('runs at most `concurrency` handlers at once, and a long one does not hold back the rest', async (t) => {
  let running = 0;
  let peak = 0;
  let releaseLong: () => void = () => undefined;
  const long = defineTask('long', () => new Promise<string>((resolve) => (releaseLong = () => resolve('long done'))));
  const short = defineTask('short', async () => {
    running += 1;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 20));
    running -= 1;
    return 'ok';
  });
  const { transport, results } = await setup(t, [long, short], 3);
  await send(transport, dispatch('run-long', 'long'));
  await send(transport, ...Array.from({ length: 12 }, (_, i) => dispatch(`run-${i}`, 'short')));
  await until(() => results.filter((r) => r.type === 'TaskCompleted').length === 12);
  assert.ok(peak <= 2, `peak ${peak}: one permit is held by the long task, two remain`);
  assert.ok(!results.some((r) => r.type === 'TaskCompleted' && r.runId === 'run-long'));
  releaseLong();
  await until(() => results.some((r) => r.type === 'TaskCompleted' && r.runId === 'run-long'));
});

test('an undecodable record goes to the dead-letter topic with its reason, and the partition keeps flowing', async (t) => {
  const { transport, results, dlq } = await setup(t, [defineTask('echo', (input: unknown) => input)]);
  const key = 'poison:s';
  const partitionOf = (await transport.produce([{ topic: names.tasks('default'), key, value: Buffer.from('{not json') }]))[0]!.partition;
  await transport.produce([{ topic: names.tasks('default'), key, value: encodeMessage({ ...dispatch('poison', 'echo'), v: 99 }) }]);
  await transport.produce([{ topic: names.tasks('default'), key, value: encodeMessage(dispatch('poison', 'echo', { ok: true })) }]);
  await until(() => results.some((r) => r.type === 'TaskCompleted'));
  assert.equal(dlq.length, 2);
  assert.match(dlq[0]!.headers[DLQ_HEADERS.reason]!, /./);
  assert.match(dlq[1]!.headers[DLQ_HEADERS.reason]!, /version/i);
  assert.equal(dlq[0]!.headers[DLQ_HEADERS.source], `${names.tasks('default')}/${partitionOf}/0`);
  assert.deepEqual((results.find((r) => r.type === 'TaskCompleted') as { output: unknown }).output, { ok: true });
});

test('failures cross the bus typed: non-retryable, retry-after, unknown task, oversize output', async (t) => {
  const tasks = [
    defineTask('reject', () => {
      throw new NonRetryableError('declined', { type: 'CardDeclined', details: { code: 42 } });
    }),
    defineTask('later', () => {
      throw new RetryAfterError('rate limited', 1500);
    }),
    defineTask('huge', () => 'x'.repeat(10 * 1024 * 1024)),
  ];
  const { transport, results } = await setup(t, tasks);
  await send(transport, dispatch('r1', 'reject'), dispatch('r2', 'later'), dispatch('r3', 'nope'), dispatch('r4', 'huge'));
  await until(() => results.filter((r) => r.type === 'TaskFailed').length === 4);
  const failure = (runId: string) => (results.find((r) => r.type === 'TaskFailed' && r.runId === runId) as TaskFailed).error;
  assert.deepEqual(failure('r1'), { type: 'CardDeclined', message: 'declined', nonRetryable: true, details: { code: 42 } });
  assert.deepEqual(failure('r2'), { type: 'RetryAfterError', message: 'rate limited', retryAfterMs: 1500 });
  assert.equal(failure('r3').type, 'ORCH_TASK_NOT_FOUND');
  assert.equal(failure('r4').type, 'ORCH_PAYLOAD_TOO_LARGE');
  assert.equal(failure('r4').nonRetryable, true);
});

test('a cancel on the control topic aborts the handler through its AbortSignal; progress and logs are reported', async (t) => {
  const slow = defineTask('slow', async (_input: unknown, ctx) => {
    ctx.log('starting');
    ctx.progress(0.5, 'half');
    ctx.heartbeat();
    await new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
  });
  const { transport, results } = await setup(t, [slow]);
  await send(transport, dispatch('rc', 'slow'));
  await until(() => results.some((r) => r.type === 'TaskProgress'));
  await transport.produce([{ topic: names.control, key: 'rc', value: encodeMessage({ v: 1, type: 'CancelTask', runId: 'rc', reason: 'run cancelled', at: Date.now() }) }]);
  await until(() => results.some((r) => r.type === 'TaskFailed'));
  const types = results.filter((r) => r.runId === 'rc').map((r) => r.type);
  assert.deepEqual(types.filter((x) => x !== 'TaskHeartbeat'), ['TaskStarted', 'TaskLog', 'TaskProgress', 'TaskFailed']);
  assert.ok(types.includes('TaskHeartbeat'));
  assert.equal((results.at(-1) as { error: { type: string } }).error.type, 'ORCH_CANCELLED');
});

test('results of tasks that finish together on one partition are all sent (no result waits for a later task)', async (t) => {
  const { transport, results } = await setup(t, [defineTask('echo', (input: unknown) => input)], 32);
  for (let round = 0; round < 15; round++) {
    // Twenty tasks of one fan-out: same partition (the key's run and step are pinned), finishing in one burst.
    const tasks = Array.from({ length: 20 }, (_, i) => dispatch(`fan-${round}`, 'echo', { i }, { stepId: `s${i}`, idempotencyKey: `fan-${round}:s${i}:1` }));
    await transport.produce(tasks.map((task) => ({ topic: names.tasks('default'), key: 'one-key', value: encodeMessage(task) })));
    await until(() => results.filter((r) => r.type === 'TaskCompleted' && r.runId === `fan-${round}`).length === 20, 5000);
  }
});

test('claim-checks in a task input are resolved before the handler runs; an unreadable one fails the attempt for good, naming its ref', async (t) => {
  const seen: unknown[] = [];
  const { transport, results } = await setup(t, [defineTask('echo', (input: unknown) => (seen.push(input), input))]);
  await transport.ensureTopics([{ name: names.payloads, partitions: 1, compacted: true }]);
  const store = new PayloadStore(transport, { topic: names.payloads, inlineBytes: 16 });
  const value = { big: 'b'.repeat(100) };
  const claim = (await store.claim(value, 'p1')) as ClaimCheck;
  const corrupt: ClaimCheck = { $payload: { ...claim.$payload, sha256: '0'.repeat(64) } };
  await send(transport, dispatch('p1', 'echo', { x: claim }), dispatch('p2', 'echo', { x: corrupt }));
  await until(() => results.filter((r) => r.type === 'TaskCompleted' || r.type === 'TaskFailed').length === 2);
  assert.deepEqual(seen, [{ x: value }], 'the handler saw the value, never a claim-check');
  const failed = results.find((r) => r.type === 'TaskFailed' && r.runId === 'p2') as TaskFailed;
  assert.equal(failed.error.type, 'ORCH_PAYLOAD_UNREADABLE');
  assert.equal(failed.error.nonRetryable, true);
  assert.ok(failed.error.message.includes(claim.$payload.ref), failed.error.message);
});

test('an attempt that ends within startReportDelayMs says its start with its result; a longer one says TaskStarted first', async (t) => {
  const quick = defineTask('quick', (input: unknown) => input);
  const slow = defineTask('slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    return 'done';
  });
  const failing = defineTask('failing', () => {
    throw new Error('boom');
  });
  // Returns without waiting, past startReportDelayMs: no timer can fire before its result.
  const busy = defineTask('busy', () => {
    for (const end = Date.now() + 120; Date.now() < end; );
    return 'done';
  });
  const { transport, results } = await setup(t, [quick, slow, failing, busy]);
  const before = Date.now();
  await send(transport, dispatch('rq', 'quick'), dispatch('rs', 'slow'), dispatch('rf', 'failing'), dispatch('rb', 'busy'));
  await until(() => results.filter((r) => r.type === 'TaskCompleted' || r.type === 'TaskFailed').length === 4);
  const of = (runId: string) => results.filter((r) => r.runId === runId);
  assert.deepEqual(of('rq').map((r) => r.type), ['TaskCompleted']);
  const quickEnd = of('rq')[0] as TaskResult & { startedAt?: number };
  assert.ok(quickEnd.startedAt !== undefined && quickEnd.startedAt >= before && quickEnd.startedAt <= quickEnd.at, 'the result says when the attempt started');
  assert.deepEqual(of('rf').map((r) => r.type), ['TaskFailed']);
  assert.ok((of('rf')[0] as TaskFailed).startedAt !== undefined);
  assert.deepEqual(of('rs').map((r) => r.type), ['TaskStarted', 'TaskCompleted']);
  assert.equal((of('rs')[1] as TaskResult & { startedAt?: number }).startedAt, undefined, 'a start already said is not said again');
  assert.deepEqual(of('rb').map((r) => r.type), ['TaskCompleted'], 'a handler that never waits says its start with its result, however long it ran');
  assert.ok((of('rb')[0] as TaskResult & { startedAt?: number }).startedAt !== undefined);
  assert.equal(results.filter((r) => reportsStart(r)).length, 4, 'one start report per execution');
});

test('an attempt whose handler throws at once runs again when its record is delivered again', async (t) => {
  let calls = 0;
  const tasks = [
    defineTask('boom', () => {
      calls += 1;
      throw new Error(`boom ${calls}`);
    }),
  ];
  const { transport, results } = await setup(t, tasks);
  const failed = () => results.filter((r): r is TaskFailed => r.type === 'TaskFailed' && r.runId === 'again');
  await send(transport, dispatch('again', 'boom'));
  await until(() => failed().length === 1);
  // The same attempt once more, as after a rebalance or a failover of its orchestrator.
  await send(transport, dispatch('again', 'boom'));
  await until(() => failed().length === 2);
  assert.equal(calls, 2);
  assert.deepEqual(failed().map((r) => r.error.message), ['boom 1', 'boom 2']);
  assert.equal(results.filter((r) => r.runId === 'again' && reportsStart(r)).length, 2, 'one start report per execution');
});
