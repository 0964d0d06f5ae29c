/**
 * OpenTelemetry tracing for a process: on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, or when a test passes its own exporter; off
 * otherwise, and then nothing is registered: the roles' calls to the OpenTelemetry API stay no-ops.
 *
 * On: W3C trace context propagation, an AsyncLocalStorage context manager (so a task handler's
 * own spans nest under its attempt span), and spans batched to the OTLP/HTTP exporter, which reads
 * the standard OTEL_EXPORTER_OTLP_* variables itself.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { SpanExporter } from '@opentelemetry/sdk-trace';

export interface TelemetryOptions {
  /** `service.name` of the spans, unless OTEL_SERVICE_NAME is set. */
  serviceName: string;
  /** Export to this exporter, span by span (tests); otherwise OTLP/HTTP when configured. */
  exporter?: SpanExporter;
  env?: NodeJS.ProcessEnv;
}

export interface Telemetry {
  /** Flushes pending spans and unregisters the global provider. */
  shutdown(): Promise<void>;
}

/** Whether the environment asks for traces to be exported. */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) && env.OTEL_SDK_DISABLED !== 'true';
}

/** Registers tracing globally, or returns undefined when it is off. */
export function startTelemetry(options: TelemetryOptions): Telemetry | undefined {
  const env = options.env ?? process.env;
  if (options.exporter === undefined && !tracingConfigured(env)) return undefined;
  const processor = options.exporter === undefined ? new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }) : new SimpleSpanProcessor({ exporter: options.exporter });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? options.serviceName }),
    spanProcessors: [processor],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    shutdown: async () => {
      await provider.shutdown().catch(() => undefined);
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
