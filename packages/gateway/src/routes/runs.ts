/**
 * Runs: start, list, read, history, cancel and retry. Writes go to `commands` keyed by runId;
 * reads come from the read model.
 */
import { CancelBody, EmptyBody, ErrorCode, EventsQuery, ListQuery, OrchError, RUN_STATUSES, RunIdParams, StartRunBody, StartRunsBody, encodeMessage } from '@orchestrator-lite/core';
import type { CancelRun, RetryRun, RunCommandResponse, RunEventItem, RunEventsResponse, RunListResponse, RunStatus, RunView, StartRunResponse, StartRunsResponse } from '@orchestrator-lite/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.js';
import { submitRun } from '../submit-run.js';
import { submitRuns } from '../submit-runs.js';
import { runBodyLimit } from '../options.js';
import { traceHeaders } from '../tracing.js';
import { findRunForWrite, produceForRequest } from '../bus.js';
import { badParameter, fromZodError, notFound } from '../http-errors.js';
import { isTerminal } from '../read-model.js';
import { decodeRunListCursor, encodeRunListCursor } from '../stream-cursor.js';
import { runSchemas } from '../schemas/runs.js';


const DEFAULT_LIMIT = 50;
const EVENTS_PAGE = 1000;
const MAX_LIMIT = 1000;
/** The workflows a batch start's log line names, at most. */
const LOGGED_WORKFLOWS = 10;

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

  async function requireRun(runId: string): Promise<RunView> {
    const view = await readModel.getRun(runId);
    if (view === undefined) throw notFound(`run ${JSON.stringify(runId)} does not exist`);
    return view;
  }

  const findForWrite = (runId: string): Promise<RunView | undefined> => findRunForWrite(ctx, runId);

  return async (app: FastifyInstance): Promise<void> => {
    app.post('/api/v1/runs', { schema: runSchemas.start, bodyLimit: runBodyLimit(ctx.config) }, async (request, reply) => {
      const parsed = StartRunBody.safeParse(request.body);
      if (!parsed.success) throw fromZodError(parsed.error, 'body');
      const result = await submitRun(ctx, { ...parsed.data, ...traceHeaders(request), conflictOnDifferentBody: true });
      if (!result.created) return reply.code(200).send({ runId: result.runId, status: result.status } satisfies StartRunResponse);
      request.log.info({ runId: result.runId, workflow: parsed.data.workflow, version: result.version, ...principalOf(request) }, 'run submitted');
      return reply.code(202).send({ runId: result.runId, status: 'PENDING' } satisfies StartRunResponse);
    });

    // Every start is checked before any is written; then each answers for itself (src/submit-runs.ts).
    app.post('/api/v1/runs/batch', { schema: runSchemas.startBatch, bodyLimit: runBodyLimit(ctx.config) }, async (request, reply) => {
      const parsed = StartRunsBody.safeParse(request.body);
      if (!parsed.success) throw fromZodError(parsed.error, 'body');
      const { items, created, failed } = await submitRuns(ctx, parsed.data.runs, traceHeaders(request).headers);
      const workflows = [...new Set(parsed.data.runs.map((run) => run.workflow))].slice(0, LOGGED_WORKFLOWS);
      request.log.info({ runs: items.length, created, failed, workflows, ...principalOf(request) }, 'runs submitted');
      return reply.code(created > 0 ? 202 : 200).send({ items } satisfies StartRunsResponse);
    });

    app.get('/api/v1/runs', { schema: runSchemas.list }, async (request): Promise<RunListResponse> => {
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
      const page = await readModel.listRuns({
        limit,
        ...(status === undefined ? {} : { status }),
        ...(q.workflow === undefined ? {} : { workflow: q.workflow }),
        ...(after === undefined ? {} : { after }),
      });
      return { items: page.items, nextCursor: page.next === null ? null : encodeRunListCursor(page.next), counts: page.counts };
    });

    app.get('/api/v1/runs/:runId', { schema: runSchemas.get }, async (request): Promise<RunView> => requireRun(parseRunId(request.params)));

    app.get('/api/v1/runs/:runId/events', { schema: runSchemas.events }, async (request): Promise<RunEventsResponse> => {
      const runId = parseRunId(request.params);
      const parsed = EventsQuery.safeParse(request.query);
      if (!parsed.success) throw fromZodError(parsed.error, 'query');
      const since = parsed.data.since === undefined ? 0 : parseNonNegativeInt(parsed.data.since, 'since');
      await requireRun(runId);
      // A run's whole history, read from the store a page at a time.
      const items: RunEventItem[] = [];
      for (let after = since; ; ) {
        const page = await readModel.eventsSince(runId, after, EVENTS_PAGE);
        for (const { event } of page) items.push({ seq: event.seq, type: event.type, at: event.at, data: event.data } as RunEventItem);
        const last = page.at(-1);
        if (page.length < EVENTS_PAGE || last === undefined) break;
        after = last.event.seq;
      }
      return { items };
    });

    app.post('/api/v1/runs/:runId/cancel', { schema: runSchemas.cancel }, async (request, reply) => {
      const runId = parseRunId(request.params);
      const parsed = CancelBody.safeParse(request.body ?? undefined);
      if (!parsed.success) throw fromZodError(parsed.error, 'body');
      const view = await findForWrite(runId);
      if (view === undefined) throw notFound(`run ${JSON.stringify(runId)} does not exist`);
      if (isTerminal(view.status)) {
        throw new OrchError(ErrorCode.Conflict, `run ${JSON.stringify(runId)} is already ${view.status}`, { status: view.status });
      }
      request.log.info({ runId, ...principalOf(request) }, 'run cancellation requested');
      const command: CancelRun = { v: 1, type: 'CancelRun', runId, ...(parsed.data?.reason === undefined ? {} : { reason: parsed.data.reason }), at: ctx.now() };
      await produceForRequest(transport, [{ topic: names.commands, key: runId, value: encodeMessage(command), ...traceHeaders(request) }]);
      return reply.code(202).send({ runId } satisfies RunCommandResponse);
    });

    app.post('/api/v1/runs/:runId/retry', { schema: runSchemas.retry }, async (request, reply) => {
      const runId = parseRunId(request.params);
      const parsed = EmptyBody.safeParse(request.body ?? undefined);
      if (!parsed.success) throw fromZodError(parsed.error, 'body');
      const view = await findForWrite(runId);
      if (view === undefined) throw notFound(`run ${JSON.stringify(runId)} does not exist`);
      if (view.status !== 'FAILED' && view.status !== 'CANCELLED') {
        throw new OrchError(ErrorCode.Conflict, `run ${JSON.stringify(runId)} is ${view.status}; only a FAILED or CANCELLED run can be retried`, {
          status: view.status,
        });
      }
      request.log.info({ runId, ...principalOf(request) }, 'run retry requested');
      const command: RetryRun = { v: 1, type: 'RetryRun', runId, at: ctx.now() };
      await produceForRequest(transport, [{ topic: names.commands, key: runId, value: encodeMessage(command), ...traceHeaders(request) }]);
      return reply.code(202).send({ runId } satisfies RunCommandResponse);
    });
  };
}
