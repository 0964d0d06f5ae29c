/**
 * Builds the Fastify application: parsers, error shape, metrics hook, routes and the UI.
 */
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import { ErrorCode } from '@orchestrator-lite/core';
import type { GatewayContext } from './context.js';
import { assertBodyDepth } from './body-depth.js';
import { makeErrorHandler, toErrorResponse } from './http-errors.js';
import { runBodyLimit } from './options.js';
import type { GatewayConfig } from './options.js';
import { pathOf, redactUrl, registerSecurity } from './security.js';
import { registerTracing } from './tracing.js';
import { openApiRoute, registerOpenApi } from './openapi.js';
import { opsSchemas } from './schemas/ops.js';
import { opsRoutes } from './routes/ops.js';
import { dlqRoutes } from './routes/dlq.js';
import { payloadRoutes } from './routes/payloads.js';
import { rerunRoutes } from './routes/rerun.js';
import { runRoutes } from './routes/runs.js';
import { scheduleRoutes } from './routes/schedules.js';
import { signalRoutes } from './routes/signals.js';
import { streamRoutes } from './routes/stream.js';
import { workflowRoutes } from './routes/workflows.js';
import { isSpaPath, sendSpaIndex, uiAvailable } from './routes/ui.js';

/** The routes that start runs, whose body limit follows the payload limit. */
const START_PATHS = new Set(['/api/v1/runs', '/api/v1/runs/batch']);

/** WebSocket close code sent to stream clients when the gateway shuts down. */
export const WS_GOING_AWAY = 1001;

/** What a routing error says, without echoing a URL that may be many kilobytes long. */
export function frameworkErrorMessage(error: { code?: string; message: string }): string {
  switch (error.code) {
    case 'FST_ERR_ROUTER_MAX_PARAM_LENGTH':
      return 'a path segment (a name or runId) is too long; names and run ids are at most 200 characters';
    case 'FST_ERR_BAD_URL':
      return 'the URL is malformed (bad percent-encoding)';
    default:
      return error.message.length > 200 ? `${error.message.slice(0, 200)}…` : error.message;
  }
}

/** Errors Fastify raises before routing (a malformed URL) get the API's shape, as a 400. */
function answerFrameworkError(error: FastifyError, _request: unknown, reply: unknown): void {
  void (reply as FastifyReply)
    .code(400)
    .type('application/json')
    .send({ error: { code: ErrorCode.BadRequest, message: frameworkErrorMessage(error), details: { field: 'url' } } });
}

/** Errors of the HTTP parser itself (bad framing, oversized headers) get the shape too, written to the socket. */
function answerClientError(error: Error, socket: Duplex): void {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers are too large']
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request took too long to arrive']
        : [400, 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: { code: ErrorCode.BadRequest, message } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
  socket.destroy(error);
}

/**
 * A client that asks before sending (`Expect: 100-continue`, as curl does for large uploads)
 * learns of a body over the limit at once, and never sends it. Refusing after it was sent ends
 * in a connection reset, which can swallow the answer.
 */
function refuseOversizeBeforeContinue(app: FastifyInstance, config: GatewayConfig): void {
  app.server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    const length = Number(request.headers['content-length']);
    const limit = request.method === 'POST' && START_PATHS.has(pathOf(request.url ?? '')) ? runBodyLimit(config) : config.bodyLimitBytes;
    if (Number.isFinite(length) && length > limit) {
      const { status, body } = toErrorResponse(Object.assign(new Error('body too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), limit);
      response.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      response.end(JSON.stringify(body));
      return;
    }
    response.writeContinue();
    app.server.emit('request', request, response);
  });
}

/** JSON bodies: an empty one with a JSON content type (common for POST …/cancel) means "no body"; a deep one is refused. */
function registerJsonParser(app: FastifyInstance): void {
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) {
      done(null, undefined);
      return;
    }
    void defaultJson(request, String(body), (error, parsed) => {
      if (error !== null) return done(error, undefined);
      try {
        assertBodyDepth(parsed);
      } catch (depthError) {
        return done(depthError as Error, undefined);
      }
      done(null, parsed);
    });
  });
}

/** Each request's duration in the metrics, and a line at debug. */
function registerRequestMetrics(app: FastifyInstance, ctx: GatewayContext): void {
  app.addHook('onResponse', async (request, reply) => {
    if (ctx.logger.isLevelEnabled('debug')) {
      request.log.debug(
        { method: request.method, url: redactUrl(request.url), statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime), ...(request.principal === null ? {} : { principal: request.principal.name }) },
        'request completed',
      );
    }
    ctx.metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}

async function registerWebSocket(app: FastifyInstance, config: GatewayConfig): Promise<void> {
  await app.register(fastifyWebsocket, {
    // Frames up to this size reach our handler, which answers an oversize one (over wsMaxFrameBytes)
    // with an error frame and 1009; ws itself closes larger ones with 1009 before buffering them.
    options: { maxPayload: config.wsMaxFrameBytes * 4 },
    // A client breaking the protocol (a frame over maxPayload, bad framing) is the client's doing:
    // a warning without a stack. ws has already closed the socket with the matching code.
    errorHandler: (error, socket, request) => {
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code === 'string' && code.startsWith('WS_ERR_')) request.log.warn({ code, message: error.message }, 'WebSocket client broke the protocol');
      else request.log.error({ err: error }, 'WebSocket handler failed');
      socket.terminate();
    },
    // On shutdown, tell stream clients the server is going away (1001), so they reconnect to
    // another gateway instead of treating the close as an error.
    preClose: function (this: FastifyInstance, done: () => void) {
      for (const client of this.websocketServer.clients) client.close(WS_GOING_AWAY, 'server shutting down');
      // Like the plugin's own preClose, do not wait for the close handshakes: a client that
      // never answers would hold shutdown for ws's 30 s closing timeout.
      this.websocketServer.close();
      done();
    },
  });
}

async function registerRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  await registerOpenApi(app);
  for (const routes of [opsRoutes, workflowRoutes, runRoutes, rerunRoutes, signalRoutes, streamRoutes, dlqRoutes, payloadRoutes, scheduleRoutes]) {
    await app.register(routes(ctx));
  }
  await app.register(openApiRoute(opsSchemas.openapi));
}

/** The UI's files when built, and the answer to any other path: the UI's page for its own paths, else a 404 in the API's shape. */
async function registerUi(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  const { uiDir } = ctx.config;
  const ui = uiAvailable(uiDir) ? uiDir : undefined;
  if (ui !== undefined) {
    await app.register(fastifyStatic, { root: ui, prefix: '/', index: ['index.html'], wildcard: true });
  } else if (uiDir !== undefined) {
    ctx.logger.warn({ uiDir }, 'uiDir does not exist; the UI is not served');
  }
  app.setNotFoundHandler((request, reply) => {
    if (ui !== undefined && isSpaPath(request)) return sendSpaIndex(reply);
    const path = pathOf(request.url);
    return reply
      .code(404)
      .type('application/json')
      .send({ error: { code: ErrorCode.NotFound, message: `no route for ${request.method} ${path.slice(0, 200)}` } });
  });
}

export async function buildApp(ctx: GatewayContext): Promise<FastifyInstance> {
  const { config } = ctx;
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // One line per request at info drowns what matters; requests are logged at debug below.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustProxy,
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  app.setErrorHandler(makeErrorHandler(config.bodyLimitBytes));
  refuseOversizeBeforeContinue(app, config);
  registerJsonParser(app);
  registerRequestMetrics(app, ctx);
  await registerWebSocket(app, config);
  // After the WebSocket plugin: its onRequest hook must mark upgrade requests before ours may
  // refuse one, or the refused upgrade's socket is never destroyed and holds shutdown open.
  await registerSecurity(app, config);
  registerTracing(app);
  await registerRoutes(app, ctx);
  await registerUi(app, ctx);
  return app;
}
