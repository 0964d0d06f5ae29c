/**
 * The attempt span: shared and inert while nothing traces, the provider's own once one is
 * registered. (The traced path end to end, with the SDK, is in the CLI's telemetry test.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TraceFlags, trace } from '@opentelemetry/api';
import type { Span, Tracer, TracerProvider } from '@opentelemetry/api';
import type { TaskDispatched } from '@orchestrator-lite/core';
import { startAttemptSpan } from '../src/tracing.js';

const task = (attempt: number): TaskDispatched =>
  ({ v: 1, runId: 'r1', stepId: 's1', attempt, task: 'work', queue: 'default', idempotencyKey: `r1/s1/${attempt}` }) as unknown as TaskDispatched;

void test('with no tracer provider and no trace context, every attempt shares one inert span', () => {
  const a = startAttemptSpan(task(1), {}, 'w1');
  const b = startAttemptSpan(task(2), {}, 'w1');
  assert.equal(a, b);
  assert.equal(a.span.isRecording(), false);
  assert.equal(a.headers, undefined);
  assert.equal(trace.getSpan(a.context), a.span);
  assert.equal(
    a.run(() => 42),
    42,
  );
  a.end({ type: 'Error', message: 'boom' } as never);
});

void test('a trace context in the record takes the API path, even with no provider', () => {
  const headers = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
  const a = startAttemptSpan(task(1), headers, 'w1');
  const b = startAttemptSpan(task(2), headers, 'w1');
  assert.notEqual(a.span, b.span);
});

void test('with a tracer provider registered, each attempt starts a span of its own', () => {
  const started: string[] = [];
  const tracer = {
    startSpan(name: string): Span {
      started.push(name);
      return trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: `00f067aa0ba902b${started.length}`, traceFlags: TraceFlags.SAMPLED });
    },
  } as unknown as Tracer;
  const provider: TracerProvider = { getTracer: () => tracer };
  assert.equal(trace.setGlobalTracerProvider(provider), true);
  try {
    const a = startAttemptSpan(task(1), {}, 'w1');
    const b = startAttemptSpan(task(2), {}, 'w1');
    assert.deepEqual(started, ['task work', 'task work']);
    assert.notEqual(a.span, b.span);
    assert.equal(trace.getSpan(a.context), a.span);
  } finally {
    trace.disable();
  }
  assert.equal(startAttemptSpan(task(3), {}, 'w1'), startAttemptSpan(task(4), {}, 'w1'));
});
