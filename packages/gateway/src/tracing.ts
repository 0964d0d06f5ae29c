/**
 * A server span per API request, a child of the caller's W3C `traceparent` when it sends one,
 * and the span's context as headers on the commands a request writes. Only the API is used:
 * without a registered OpenTelemetry SDK (nor a propagator) a request makes no span and no header.
 */
import { ProxyTracerProvider, ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { pathOf } from './security.js';

// Looked up per span: a tracer bound once would keep a provider that was replaced (tests).
const tracer = () => trace.getTracer('@orchestrator-lite/gateway');

/** The API's own provider, which every tracer provider stands for until an SDK registers one. */
const NO_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * Whether a request's span can matter: a tracer provider records it, or a propagator carries the
 * caller's context on to the commands. Neither (no SDK): the request skips the span, its context
 * and both hooks' work, about 12 µs of CPU a request (measured on POST /api/v1/runs).
 */
function tracing(): boolean {
  const provider = trace.getTracerProvider();
  if (!(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NO_PROVIDER) return true;
  return propagation.fields().length > 0;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The context of the request's span (an API request only); null otherwise. */
    traceContext: Context | null;
  }
}

export function registerTracing(app: FastifyInstance): void {
  app.decorateRequest('traceContext', null);
  // Hooks with a callback, not async: a request makes no promise for them.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.url.startsWith('/api/') && tracing()) {
      const parent = propagation.extract(ROOT_CONTEXT, request.headers);
      const route = request.routeOptions.url ?? pathOf(request.url);
      const span = tracer().startSpan(`${request.method} ${route}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route } }, parent);
      request.traceContext = trace.setSpan(parent, span);
    }
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const span = request.traceContext === null ? undefined : trace.getSpan(request.traceContext);
    if (span !== undefined) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}

/** The request span's trace context as record headers, for the commands the request writes. */
export function traceHeaders(request: FastifyRequest): { headers?: Record<string, string> } {
  const context = request.traceContext;
  if (context === null) return {};
  const headers: Record<string, string> = {};
  propagation.inject(context, headers);
  return Object.keys(headers).length > 0 ? { headers } : {};
}
