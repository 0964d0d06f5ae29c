/** Liveness, readiness and Prometheus metrics. */
import { ErrorCode } from '@orchestrator-lite/core';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.js';
import { opsSchemas } from '../schemas/ops.js';

export function opsRoutes(ctx: GatewayContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/healthz', { schema: opsSchemas.healthz }, async () => ({ status: 'ok' }));

    app.get('/readyz', { schema: opsSchemas.readyz }, async (_request, reply) => {
      if (ctx.isReady()) return { status: 'ready' };
      return reply.code(503).send({
        error: { code: ErrorCode.Unavailable, message: 'the read model has not caught up with the bus yet' },
      });
    });

    app.get('/metrics', { schema: opsSchemas.metrics }, async (_request, reply) => {
      // Roles running in this process beside the gateway (e.g. `orch start`) add their own metrics.
      const parts = await Promise.all([ctx.metrics.registry, ...ctx.config.metricsFrom].map((r) => r.metrics()));
      const text = parts.join('\n');
      return reply.type(ctx.metrics.registry.contentType).send(text);
    });
  };
}
