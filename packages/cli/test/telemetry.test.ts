/**
 * Traces end to end on the embedded bus: the REST request's span (a child of the caller's
 * traceparent) is the parent of one span per step attempt in the worker, the handler's own span
 * nests under its attempt, and results carry the attempt's context. Spans are read from the
 * SDK's in-memory exporter.
 */
import { test } from 'node:test';
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
import { defineTask, startWorker } from '@orchestrator-lite/worker';
import { waitFor } from '@orchestrator-lite/testing';
import { startTelemetry, tracingConfigured } from '../src/telemetry.js';
import { json, post, put } from './helpers.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

void test('tracing is off unless an OTLP endpoint is configured', () => {
  assert.equal(tracingConfigured({}), false);
  assert.equal(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), true);
  assert.equal(tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }), true);
  assert.equal(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }), false);
  assert.equal(startTelemetry({ serviceName: 'off', env: {} }), undefined);
});

void test('one run is one trace: the request span (child of the incoming traceparent) parents a span per step attempt; a handler adds its own', { timeout: 60_000 }, async (t) => {
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
  const topicPrefix = 'trace.';
  const orchestrator = await startOrchestrator({ transport, topicPrefix, partitions: 2, logger });
  closers.push(() => orchestrator.close());
  let failuresLeft = 1;
  const worker = await startWorker({
    transport,
    topicPrefix,
    partitions: 2,
    tasks: [
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
    ],
  });
  closers.push(() => worker.close());
  const gateway = await startGateway({ transport, topicPrefix, host: '127.0.0.1', port: 0, partitions: 2, logger });
  closers.push(() => gateway.close());
  await waitFor(() => gateway.isReady(), { timeoutMs: 20_000, description: 'gateway ready' });

  const definition = {
    steps: [
      { id: 'a', task: 'fetch', input: { n: 7 } },
      { id: 'b', task: 'flaky', dependsOn: ['a'], retry: { maxAttempts: 3, initialIntervalMs: 10, jitter: 'none' } },
    ],
  };
  assert.equal((await put(`${gateway.url}/api/v1/workflows/traced`, definition)).status, 201);
  const started = await post(`${gateway.url}/api/v1/runs`, { workflow: 'traced' }, { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` });
  assert.equal(started.status, 202);
  const runId = String(started.body.runId);
  await waitFor(async () => (await json<{ status: string }>(`${gateway.url}/api/v1/runs/${runId}`)).body.status === 'SUCCEEDED', { timeoutMs: 30_000, description: 'the run succeeded' });
  await waitFor(() => exporter.getFinishedSpans().filter((s) => s.name.startsWith('task ')).length >= 3, { timeoutMs: 10_000, description: 'three attempt spans' });

  const spans = exporter.getFinishedSpans();
  const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;
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
