/**
 * Signals: `POST /api/v1/runs/{runId}/signals/{name}` writes a Signal command keyed by runId.
 * An unknown run is a 404 and a finished one a 409; a signal for a run still running is
 * accepted even when no step waits for it yet: the orchestrator keeps it until one does.
 */
import { ErrorCode, OrchError, SignalBody, SignalParams, checkPayloadSize, encodeMessage } from '@orchestrator-lite/core';
import type { Signal } from '@orchestrator-lite/core';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.js';
import { produceForRequest, requireRunForWrite } from '../bus.js';
import { badParameter, parseRequest } from '../http-errors.js';
import { isTerminal } from '../read-model.js';
import { signalSchemas } from '../schemas/signals.js';
import { principalOf } from './request.js';

export function signalRoutes(ctx: GatewayContext) {
  const { transport, names } = ctx;
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/api/v1/runs/:runId/signals/:name', { schema: signalSchemas.send }, async (request, reply) => {
      const params = SignalParams.safeParse(request.params);
      if (!params.success) {
        const field = params.error.issues[0]?.path[0] === 'name' ? 'name' : 'runId';
        throw badParameter(field, field === 'name' ? 'must start with a letter and hold only letters, digits, ".", "_" and "-" (at most 64)' : 'must be 1 to 200 characters');
      }
      const payload = parseRequest(SignalBody, request.body ?? undefined, 'body')?.payload;
      const { runId, name } = params.data;
      if (payload !== undefined) checkPayloadSize('payload', payload, ctx.config.maxInputBytes);
      const view = await requireRunForWrite(ctx, runId);
      if (isTerminal(view.status)) {
        throw new OrchError(ErrorCode.Conflict, `run ${JSON.stringify(runId)} is ${view.status}; a finished run takes no signals`, { status: view.status });
      }
      request.log.info({ runId, signal: name, ...principalOf(request) }, 'signal sent');
      const command: Signal = { v: 1, type: 'Signal', runId, name, ...(payload === undefined ? {} : { payload }), at: ctx.now() };
      await produceForRequest(transport, [{ topic: names.commands, key: runId, value: encodeMessage(command) }]);
      return reply.code(202).send({ runId, signal: name });
    });
  };
}
