/**
 * One OpenTelemetry span per task attempt. Only the API is used here: without a registered SDK
 * every call is a no-op (no span is recorded, no header is written).
 */
import { INVALID_SPAN_CONTEXT, ProxyTracerProvider, ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import type { ErrorInfo, TaskDispatched } from '@orchestrator-lite/core';

const TRACER_NAME = '@orchestrator-lite/worker';

// Looked up per span: a tracer bound once would keep a provider that was replaced (tests).
const tracer = () => trace.getTracer(TRACER_NAME);

export interface AttemptSpan {
  span: Span;
  /** The context holding `span`. */
  context: Context;
  /** The span's W3C trace context as record headers (undefined when tracing is off). */
  headers: Record<string, string> | undefined;
  /** Runs `fn` with the span active. */
  run<T>(fn: () => T): T;
  /** Ends the span: an error when the attempt failed. */
  end(failure?: ErrorInfo): void;
}

/**
 * What every attempt gets while nothing traces: the API's own no-op span, shared. The API made
 * one of these per attempt (a span, a context, its attributes, closures), each living as long as
 * the attempt, and at saturation they were about a tenth of what outlived the event loop's young
 * generation.
 */
const UNTRACED_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
const UNTRACED_CONTEXT = trace.setSpan(ROOT_CONTEXT, UNTRACED_SPAN);
const UNTRACED: AttemptSpan = {
  span: UNTRACED_SPAN,
  context: UNTRACED_CONTEXT,
  headers: undefined,
  run: (fn) => context.with(UNTRACED_CONTEXT, fn),
  end: () => undefined,
};

/**
 * True when no tracer provider is registered and the record carries no trace context: the
 * attempt's span would record nothing and pass nothing on. (A trace context in the headers still
 * goes the long way: a propagator registered without an SDK passes it through.)
 */
function untraced(recordHeaders: Record<string, string>): boolean {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider && provider.getDelegateTracer(TRACER_NAME) === undefined && recordHeaders.traceparent === undefined;
}

/** Starts the span of one attempt as a child of the trace context in the task record's headers. */
export function startAttemptSpan(task: TaskDispatched, recordHeaders: Record<string, string>, workerId: string): AttemptSpan {
  if (untraced(recordHeaders)) return UNTRACED;
  const parent = propagation.extract(ROOT_CONTEXT, recordHeaders);
  const span = tracer().startSpan(
    `task ${task.task}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'orch.run_id': task.runId,
        'orch.step_id': task.stepId,
        'orch.attempt': task.attempt,
        'orch.task': task.task,
        'orch.queue': task.queue,
        'orch.worker_id': workerId,
      },
    },
    parent,
  );
  const spanContext = trace.setSpan(parent, span);
  const headers: Record<string, string> = {};
  propagation.inject(spanContext, headers);
  return {
    span,
    context: spanContext,
    headers: Object.keys(headers).length > 0 ? headers : undefined,
    run: (fn) => context.with(spanContext, fn),
    end: (failure) => {
      if (failure !== undefined) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
        span.setAttribute('orch.error_type', failure.type);
      }
      span.end();
    },
  };
}
