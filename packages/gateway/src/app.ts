/**
 * Builds the Fastify application: parsers, error shape, metrics hook, routes and the UI.
 */
import { STATUS_CODES } from 'node:http';
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import { ErrorCode } from '@orchestrator-lite/core';
import type { GatewayContext } from './context.js';
import { assertBodyDepth } from './body-depth.js';
import { makeErrorHandler } from './http-errors.js';
import { opsRoutes } from './routes/ops.js';
import { runRoutes } from './routes/runs.js';
import { streamRoutes } from './routes/stream.js';
import { workflowRoutes } from './routes/workflows.js';
import { isSpaPath, sendSpaIndex, uiAvailable } from './routes/ui.js';

export async function buildApp(ctx: GatewayContext): Promise<FastifyInstance> {
  const { config, metrics } = ctx;
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // Errors Fastify raises before routing (a malformed URL) get the same shape, as a 400.
    frameworkErrors: (error, _request, reply) => {
      void (reply as unknown as FastifyReply)
        .code(400)
        .type('application/json')
        .send({ error: { code: ErrorCode.BadRequest, message: error.message, details: { field: 'url' } } });
    },
    // Errors of the HTTP parser itself (bad framing, oversized headers) get the shape too.
    clientErrorHandler: (error, socket) => {
      if ((error as NodeJS.ErrnoException).code === 'ECONNRESET' || socket.destroyed) return;
      const code = (error as NodeJS.ErrnoException).code;
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
    },
  });

  app.setErrorHandler(makeErrorHandler(config.bodyLimitBytes));

  // An empty body with a JSON content type (common for POST …/cancel) means "no body".
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

  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(fastifyWebsocket, {
    // Frames up to this size reach our handler, which answers an oversize one (over wsMaxFrameBytes)
    // with an error frame and 1009; ws itself closes larger ones with 1009 before buffering them.
    options: { maxPayload: config.wsMaxFrameBytes * 4 },
  });

  await app.register(opsRoutes(ctx));
  await app.register(workflowRoutes(ctx));
  await app.register(runRoutes(ctx));
  await app.register(streamRoutes(ctx));

  const ui = uiAvailable(config.uiDir) ? config.uiDir : undefined;
  if (ui !== undefined) {
    await app.register(fastifyStatic, { root: ui, prefix: '/', index: ['index.html'], wildcard: true });
  } else if (config.uiDir !== undefined) {
    ctx.logger.warn({ uiDir: config.uiDir }, 'uiDir does not exist; the UI is not served');
  }

  app.setNotFoundHandler((request, reply) => {
    if (ui !== undefined && isSpaPath(request)) return sendSpaIndex(reply);
    const path = request.url.split('?')[0] ?? '';
    return reply
      .code(404)
      .type('application/json')
      .send({ error: { code: ErrorCode.NotFound, message: `no route for ${request.method} ${path.slice(0, 200)}` } });
  });

  return app;
}
