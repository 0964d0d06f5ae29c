/**
 * Traces end to end on the embedded bus: the REST request's span (a child of the caller's
 * traceparent) is the parent of one span per step attempt in the worker, the handler's own span
 * nests under its attempt, and results carry the attempt's context. Spans are read from the
 * SDK's in-memory exporter.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { pino } from 'pino';
import { startGateway } from '@orchestrator-lite/gateway';
import { startOrchestrator } from '@orchestrator-lite/orchestrator';
import { createEmbeddedTransport } from '@orchestrator-lite/transport';
import type { Transport } from '@orchestrator-lite/transport';
import { defineTask, startWorker } from '@orchestrator-lite/worker';
import type { WorkerOptions } from '@orchestrator-lite/worker';
import { waitFor } from '@orchestrator-lite/testing';
import { startTelemetry, tracingConfigured } from '../src/telemetry.js';
import { json, post, put } from './helpers.js';

const topicPrefix = 'trace.';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

void test('tracing is off unless an OTLP endpoint is configured', () => {
  assert.equal(tracingConfigured({}), false);
  assert.equal(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), true);
  assert.equal(tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }), true);
  assert.equal(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }), false);
  assert.equal(startTelemetry({ serviceName: 'off', env: {} }), undefined);
});

/** Every role on one embedded bus, tracing into an in-memory exporter; all closed when the test ends. */
async function tracedEngine(t: TestContext, tasks: WorkerOptions['tasks']): Promise<{ exporter: InMemorySpanExporter; transport: Transport; url: string }> {
  const exporter = new InMemorySpanExporter();
  const telemetry = startTelemetry({ serviceName: 'test', exporter })!;
  const dataDir = await mkdtemp(join(tmpdir(), 'orch-trace-'));
  const transport = createEmbeddedTransport({ dataDir, pollIntervalMs: 10 });
  // Cleanups run in order: what started last closes first, whatever failed to start.
  const closers: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await transport.close();
    await telemetry.shutdown();
    await rm(dataDir, { recursive: true, force: true });
  });
  const logger = pino({ level: 'silent' });
  const orchestrator = await startOrchestrator({ transport, topicPrefix, partitions: 2, logger });
  closers.push(() => orchestrator.close());
  const worker = await startWorker({ transport, topicPrefix, partitions: 2, tasks });
  closers.push(() => worker.close());
  const gateway = await startGateway({ transport, topicPrefix, host: '127.0.0.1', port: 0, partitions: 2, logger });
  closers.push(() => gateway.close());
  await waitFor(() => gateway.isReady(), { timeoutMs: 20_000, description: 'gateway ready' });
  return { exporter, transport, url: gateway.url };
}

const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;

void test('one run is one trace: the request span (child of the incoming traceparent) parents a span per step attempt; a handler adds its own', { timeout: 60_000 }, async (t) => {
  let failuresLeft = 1;
  const { exporter, transport, url } = await tracedEngine(t, [
    defineTask('fetch', async (input: { n: number }) => {
      // The attempt span is active: this span is its child without passing anything.
      const own = trace.getTracer('handler').startSpan('fetch.lookup');
      own.end();
      return { n: input.n };
    }),
    defineTask('flaky', (_input, ctx) => {
      assert.equal(trace.getSpan(ctx.traceContext), ctx.span);
      if (failuresLeft-- > 0) throw new Error('first attempt fails');
      return { ok: true };
    }),
  ]);

  const definition = {
    steps: [
      { id: 'a', task: 'fetch', input: { n: 7 } },
      { id: 'b', task: 'flaky', dependsOn: ['a'], retry: { maxAttempts: 3, initialIntervalMs: 10, jitter: 'none' } },
    ],
  };
  assert.equal((await put(`${url}/api/v1/workflows/traced`, definition)).status, 201);
  const started = await post(`${url}/api/v1/runs`, { workflow: 'traced' }, { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` });
  assert.equal(started.status, 202);
  const runId = String(started.body.runId);
  await waitFor(async () => (await json<{ status: string }>(`${url}/api/v1/runs/${runId}`)).body.status === 'SUCCEEDED', { timeoutMs: 30_000, description: 'the run succeeded' });
  await waitFor(() => exporter.getFinishedSpans().filter((s) => s.name.startsWith('task ')).length >= 3, { timeoutMs: 10_000, description: 'three attempt spans' });

  const spans = exporter.getFinishedSpans();
  const request = spans.find((s) => s.name === 'POST /api/v1/runs');
  assert.ok(request, `the request span: ${spans.map((s) => s.name).join(', ')}`);
  assert.equal(request.spanContext().traceId, TRACE_ID, 'the incoming traceparent is honoured');
  assert.equal(parentOf(request), CALLER_SPAN);

  const attempts = spans.filter((s) => s.name.startsWith('task ') && s.attributes['orch.run_id'] === runId);
  const summary = attempts.map((s) => `${String(s.attributes['orch.step_id'])}#${String(s.attributes['orch.attempt'])}`).sort();
  assert.deepEqual(summary, ['a#1', 'b#1', 'b#2'], 'a span per step attempt');
  for (const span of attempts) {
    assert.equal(span.spanContext().traceId, TRACE_ID, `${span.name} is in the run's trace`);
    assert.equal(parentOf(span), request.spanContext().spanId, `${span.name} is a child of the request span`);
  }
  const failed = attempts.find((s) => s.attributes['orch.step_id'] === 'b' && s.attributes['orch.attempt'] === 1)!;
  assert.equal(failed.status.code, 2, 'the failed attempt is an error span');
  const own = spans.find((s) => s.name === 'fetch.lookup');
  const fetchSpan = attempts.find((s) => s.attributes['orch.step_id'] === 'a')!;
  assert.ok(own, 'the handler span was exported');
  assert.equal(own.spanContext().traceId, TRACE_ID);
  assert.equal(parentOf(own), fetchSpan.spanContext().spanId, "the handler's span is a child of its attempt");

  // Results carry the attempt's context as record headers.
  let headers: string[] = [];
  for (let p = 0; p < 2; p++) {
    for await (const batch of transport.readPartition(`${topicPrefix}results`, p)) {
      headers = headers.concat(batch.filter((r) => r.key === runId).map((r) => r.headers.traceparent ?? ''));
    }
  }
  assert.ok(headers.length > 0 && headers.every((h) => h.startsWith(`00-${TRACE_ID}-`)), `results carry the trace: ${headers.join(' ')}`);
});

void test("a child run is in its parent's trace: its attempts' spans hang under the span of the parent's workflow step", { timeout: 60_000 }, async (t) => {
  const { exporter, url } = await tracedEngine(t, [defineTask('fetch', (input: { n: number }) => ({ n: input.n }))]);
  const child = { steps: [{ id: 'c1', task: 'fetch', input: { n: '${input.n}' } }, { id: 'c2', task: 'fetch', dependsOn: ['c1'], input: { n: 2 } }], output: '${steps.c1.output}' };
  const parent = {
    steps: [
      { id: 'first', task: 'fetch', input: { n: 1 } },
      { id: 'sub', type: 'workflow', workflow: 'traced-child', dependsOn: ['first'], input: { n: 7 } },
    ],
    output: '${steps.sub.output}',
  };
  assert.equal((await put(`${url}/api/v1/workflows/traced-child`, child)).status, 201);
  assert.equal((await put(`${url}/api/v1/workflows/traced-parent`, parent)).status, 201);
  const started = await post(`${url}/api/v1/runs`, { workflow: 'traced-parent' }, { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` });
  assert.equal(started.status, 202);
  const runId = String(started.body.runId);
  const run = await waitFor(async () => {
    const { body } = await json<{ status: string; output: unknown; steps: Record<string, { childRunId?: string }> }>(`${url}/api/v1/runs/${runId}`);
    return body.status === 'SUCCEEDED' ? body : undefined;
  }, { timeoutMs: 30_000, description: 'the parent run succeeded' });
  assert.deepEqual(run.output, { n: 7 });
  const childRunId = run.steps.sub?.childRunId;
  assert.ok(childRunId, 'the workflow step names its child run');
  await waitFor(() => exporter.getFinishedSpans().some((s) => s.name === 'workflow traced-child'), { timeoutMs: 10_000, description: "the workflow step's span ended" });

  const spans = exporter.getFinishedSpans();
  const request = spans.find((s) => s.name === 'POST /api/v1/runs');
  assert.ok(request, `the request span: ${spans.map((s) => s.name).join(', ')}`);
  const step = spans.find((s) => s.name === 'workflow traced-child')!;
  assert.equal(step.spanContext().traceId, TRACE_ID, "the step's span is in the parent's trace");
  assert.equal(parentOf(step), request.spanContext().spanId, "the step's span is a child of the parent run's context");
  assert.equal(step.attributes['orch.run_id'], runId);
  assert.equal(step.attributes['orch.step_id'], 'sub');
  assert.equal(step.attributes['orch.child_run_id'], childRunId);
  assert.equal(step.attributes['orch.child_status'], 'SUCCEEDED');
  assert.notEqual(step.attributes['orch.step.handed_over'], true, 'ended by the child\'s outcome');

  const own = spans.filter((s) => s.name.startsWith('task ') && s.attributes['orch.run_id'] === runId);
  assert.deepEqual(own.map((s) => s.attributes['orch.step_id']), ['first'], "the parent's own attempt");
  assert.equal(parentOf(own[0]!), request.spanContext().spanId);
  const children = spans.filter((s) => s.name.startsWith('task ') && s.attributes['orch.run_id'] === childRunId);
  assert.deepEqual(children.map((s) => String(s.attributes['orch.step_id'])).sort(), ['c1', 'c2'], "a span per attempt of the child's steps");
  for (const span of children) {
    assert.equal(span.spanContext().traceId, TRACE_ID, `${span.name} of the child is in the parent's trace`);
    assert.equal(parentOf(span), step.spanContext().spanId, `${span.name} of the child hangs under the workflow step's span`);
  }
  assert.ok(step.startTime[0] * 1e9 + step.startTime[1] <= Math.min(...children.map((s) => s.startTime[0] * 1e9 + s.startTime[1])), 'the step started before its child');
  assert.ok(step.endTime[0] * 1e9 + step.endTime[1] >= Math.max(...children.map((s) => s.endTime[0] * 1e9 + s.endTime[1])), 'the step ended after its child');
});
