/**
 * A server span per API request, a child of the caller's W3C `traceparent` when it sends one,
 * and the span's context as headers on the commands a request writes. Only the API is used:
 * without a registered OpenTelemetry SDK every call is a no-op and no header is written.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { pathOf } from './security.js';

// Looked up per span: a tracer bound once would keep a provider that was replaced (tests).
const tracer = () => trace.getTracer('@orchestrator-lite/gateway');

declare module 'fastify' {
  interface FastifyRequest {
    /** The context of the request's span (an API request only); null otherwise. */
    traceContext: Context | null;
  }
}

export function registerTracing(app: FastifyInstance): void {
  app.decorateRequest('traceContext', null);
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/')) return;
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const route = request.routeOptions.url ?? pathOf(request.url);
    const span = tracer().startSpan(`${request.method} ${route}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route } }, parent);
    request.traceContext = trace.setSpan(parent, span);
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = trace.getSpan(request.traceContext ?? ROOT_CONTEXT);
    if (span === undefined) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
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
