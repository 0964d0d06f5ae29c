/**
 * Payloads: `GET /api/v1/payloads/{ref}` answers the value a claim-check stands for. Run views,
 * events and the stream keep claim-checks as they are (a 10 MB output is not pushed to every
 * browser that watches the run); a client that wants the value follows the ref here.
 */
import { ErrorCode, PayloadParams, isOrchError } from '@orchestrator-lite/core';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.js';
import { badParameter, notFound } from '../http-errors.js';
import { payloadSchemas } from '../schemas/payloads.js';

export function payloadRoutes(ctx: GatewayContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/v1/payloads/:ref', { schema: payloadSchemas.get }, async (request, reply) => {
      const params = PayloadParams.safeParse(request.params);
      if (!params.success) throw badParameter('ref', 'must be 1 to 200 characters');
      let bytes: Buffer;
      try {
        bytes = await ctx.payloads.read(params.data.ref);
      } catch (error) {
        // A ref whose chunks are not there (never written, or expired with its run) is unknown.
        if (isOrchError(error) && error.code === ErrorCode.PayloadUnreadable && (error.details as { missing?: boolean } | undefined)?.missing === true) {
          throw notFound(error.message);
        }
        throw error;
      }
      return reply.code(200).type('application/json').header('cache-control', 'private, max-age=31536000, immutable').send(bytes);
    });
  };
}
