/** Liveness, readiness and Prometheus metrics. */
import { ErrorCode } from '@orchestrator-lite/core';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.js';

export function opsRoutes(ctx: GatewayContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/healthz', async () => ({ status: 'ok' }));

    app.get('/readyz', async (_request, reply) => {
      if (ctx.isReady()) return { status: 'ready' };
      return reply.code(503).send({
        error: { code: ErrorCode.Unavailable, message: 'the read model has not caught up with the bus yet' },
      });
    });

    app.get('/metrics', async (_request, reply) => {
      const text = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(text);
    });
  };
}
