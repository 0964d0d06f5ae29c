/**
 * Runs: start, list, read, history, cancel and retry. Writes go to `commands` keyed by runId;
 * reads come from the read model.
 */
import { ErrorCode, OrchError, RUN_STATUSES, encodeMessage } from '@orchestrator-lite/core';
import type { CancelRun, RetryRun, RunStatus, RunView } from '@orchestrator-lite/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.js';
import { submitRun } from '../submit-run.js';
import { traceHeaders } from '../tracing.js';
import { produceForRequest, requireCaughtUp } from '../bus.js';
import { badParameter, fromZodError, notFound } from '../http-errors.js';
import { isTerminal } from '../read-model.js';
import { decodeRunListCursor, encodeRunListCursor } from '../stream-cursor.js';
import { CancelBody, EmptyBody, EventsQuery, ListQuery, RunIdParams, StartRunBody, runSchemas } from '../schemas/runs.js';


const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

/** A non-negative integer query parameter, or a 400 naming it. */
export function parseNonNegativeInt(value: string, field: string): number {
  if (!/^[0-9]{1,15}$/.test(value)) throw badParameter(field, `must be a non-negative integer, got ${JSON.stringify(value.slice(0, 50))}`);
  return Number(value);
}

/** The caller's token name for audit lines, when auth is on. */
export function principalOf(request: FastifyRequest): { principal?: string } {
  return request.principal === null ? {} : { principal: request.principal.name };
}

function parseRunId(params: unknown): string {
  const parsed = RunIdParams.safeParse(params);
  if (!parsed.success) throw badParameter('runId', 'must be 1 to 200 characters');
  return parsed.data.runId;
}

export function runRoutes(ctx: GatewayContext) {
  const { readModel, transport, names } = ctx;

  function requireRun(runId: string): RunView {
    const view = readModel.getRun(runId);
    if (view === undefined) throw notFound(`run ${JSON.stringify(runId)} does not exist`);
    return view;
  }

  return async (app: FastifyInstance): Promise<void> => {
    app.post('/api/v1/runs', { schema: runSchemas.start }, async (request, reply) => {
      const parsed = StartRunBody.safeParse(request.body);
      if (!parsed.success) throw fromZodError(parsed.error, 'body');
      const result = await submitRun(ctx, { ...parsed.data, ...traceHeaders(request), conflictOnDifferentBody: true });
      if (!result.created) return reply.code(200).send({ runId: result.runId, status: result.status });
      request.log.info({ runId: result.runId, workflow: parsed.data.workflow, version: result.version, ...principalOf(request) }, 'run submitted');
      return reply.code(202).send({ runId: result.runId, status: 'PENDING' });
    });

    app.get('/api/v1/runs', { schema: runSchemas.list }, async (request) => {
      const parsed = ListQuery.safeParse(request.query);
      if (!parsed.success) throw fromZodError(parsed.error, 'query');
      const q = parsed.data;
      let status: RunStatus | undefined;
      if (q.status !== undefined) {
        if (!(RUN_STATUSES as readonly string[]).includes(q.status)) {
          throw badParameter('status', `must be one of ${RUN_STATUSES.join(', ')}`);
        }
        status = q.status as RunStatus;
      }
      let limit = DEFAULT_LIMIT;
      if (q.limit !== undefined) {
        limit = parseNonNegativeInt(q.limit, 'limit');
        if (limit < 1 || limit > MAX_LIMIT) throw badParameter('limit', `must be between 1 and ${MAX_LIMIT}`);
      }
      const after = q.cursor === undefined ? undefined : decodeRunListCursor(q.cursor);
      if (q.cursor !== undefined && after === undefined) throw badParameter('cursor', 'is not a cursor this API issued');
      const page = readModel.listRuns({
        limit,
        ...(status === undefined ? {} : { status }),
        ...(q.workflow === undefined ? {} : { workflow: q.workflow }),
        ...(after === undefined ? {} : { after }),
      });
      return { items: page.items, nextCursor: page.next === null ? null : encodeRunListCursor(page.next), counts: page.counts };
    });

    app.get('/api/v1/runs/:runId', { schema: runSchemas.get }, async (request) => requireRun(parseRunId(request.params)));

    app.get('/api/v1/runs/:runId/events', { schema: runSchemas.events }, async (request) => {
      const runId = parseRunId(request.params);
      const parsed = EventsQuery.safeParse(request.query);
      if (!parsed.success) throw fromZodError(parsed.error, 'query');
      const since = parsed.data.since === undefined ? 0 : parseNonNegativeInt(parsed.data.since, 'since');
      requireRun(runId);
      return { items: readModel.eventsSince(runId, since).map(({ seq, type, at, data }) => ({ seq, type, at, data })) };
    });

    app.post('/api/v1/runs/:runId/cancel', { schema: runSchemas.cancel }, async (request, reply) => {
      const runId = parseRunId(request.params);
      const parsed = CancelBody.safeParse(request.body ?? undefined);
      if (!parsed.success) throw fromZodError(parsed.error, 'body');
      await requireCaughtUp(ctx, 'all');
      const view = requireRun(runId);
      if (isTerminal(view.status)) {
        throw new OrchError(ErrorCode.Conflict, `run ${JSON.stringify(runId)} is already ${view.status}`, { status: view.status });
      }
      request.log.info({ runId, ...principalOf(request) }, 'run cancellation requested');
      const command: CancelRun = { v: 1, type: 'CancelRun', runId, ...(parsed.data?.reason === undefined ? {} : { reason: parsed.data.reason }), at: ctx.now() };
      await produceForRequest(transport, [{ topic: names.commands, key: runId, value: encodeMessage(command), ...traceHeaders(request) }]);
      return reply.code(202).send({ runId });
    });

    app.post('/api/v1/runs/:runId/retry', { schema: runSchemas.retry }, async (request, reply) => {
      const runId = parseRunId(request.params);
      const parsed = EmptyBody.safeParse(request.body ?? undefined);
      if (!parsed.success) throw fromZodError(parsed.error, 'body');
      await requireCaughtUp(ctx, 'all');
      const view = requireRun(runId);
      if (view.status !== 'FAILED' && view.status !== 'CANCELLED') {
        throw new OrchError(ErrorCode.Conflict, `run ${JSON.stringify(runId)} is ${view.status}; only a FAILED or CANCELLED run can be retried`, {
          status: view.status,
        });
      }
      request.log.info({ runId, ...principalOf(request) }, 'run retry requested');
      const command: RetryRun = { v: 1, type: 'RetryRun', runId, at: ctx.now() };
      await produceForRequest(transport, [{ topic: names.commands, key: runId, value: encodeMessage(command), ...traceHeaders(request) }]);
      return reply.code(202).send({ runId });
    });
  };
}
