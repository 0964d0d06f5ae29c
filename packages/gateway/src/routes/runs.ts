/**
 * Runs: start, list, read, history, cancel and retry. Writes go to `commands` keyed by runId;
 * reads come from the read model.
 */
import { ErrorCode, OrchError, RUN_STATUSES, encodeMessage, newRunId, runIdForIdempotencyKey } from '@orchestrator-lite/core';
import type { CancelRun, RetryRun, RunStatus, RunView, StartRun } from '@orchestrator-lite/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.js';
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
  const { readModel, registry, transport, names } = ctx;

  function requireRun(runId: string): RunView {
    const view = readModel.getRun(runId);
    if (view === undefined) throw notFound(`run ${JSON.stringify(runId)} does not exist`);
    return view;
  }

  return async (app: FastifyInstance): Promise<void> => {
    app.post('/api/v1/runs', { schema: runSchemas.start }, async (request, reply) => {
      const parsed = StartRunBody.safeParse(request.body);
      if (!parsed.success) throw fromZodError(parsed.error, 'body');
      const { workflow, version, input, idempotencyKey } = parsed.data;
      const inputBytes = Buffer.byteLength(JSON.stringify(input ?? {}));
      if (inputBytes > ctx.config.maxInputBytes) {
        throw new OrchError(ErrorCode.PayloadTooLarge, `input is ${inputBytes} bytes serialized; the limit is ${ctx.config.maxInputBytes}`, {
          field: 'input',
          limit: ctx.config.maxInputBytes,
          size: inputBytes,
        });
      }
      // Both the registry and the runs already started (idempotency) must be known.
      await requireCaughtUp(ctx, 'all');
      const registered = version === undefined ? registry.latest(workflow) : registry.get(workflow, version);
      if (registered === undefined) {
        throw notFound(version === undefined ? `workflow ${JSON.stringify(workflow)} is not registered` : `workflow ${JSON.stringify(workflow)} has no version ${version}`);
      }
      const runId = idempotencyKey === undefined ? newRunId() : runIdForIdempotencyKey(workflow, idempotencyKey);
      const existing = readModel.getRun(runId);
      if (existing !== undefined) return reply.code(200).send({ runId, status: existing.status });
      const at = ctx.now();
      const command: StartRun = {
        v: 1,
        type: 'StartRun',
        runId,
        workflow,
        version: registered.version,
        definition: registered.definition,
        input: input ?? {},
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        at,
      };
      // The placeholder goes in before the write, so a concurrent POST with the same key sees
      // the run and answers 200 instead of writing a second StartRun.
      readModel.addPlaceholder({
        runId,
        workflow,
        version: registered.version,
        status: 'PENDING',
        input: command.input,
        createdAt: at,
        updatedAt: at,
        lastSeq: 0,
        definition: registered.definition,
        steps: {},
      });
      try {
        await produceForRequest(transport, [{ topic: names.commands, key: runId, value: encodeMessage(command), ...traceHeaders(request) }]);
      } catch (error) {
        readModel.removePlaceholder(runId);
        throw error;
      }
      request.log.info({ runId, workflow, version: registered.version, ...principalOf(request) }, 'run submitted');
      return reply.code(202).send({ runId, status: 'PENDING' });
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
