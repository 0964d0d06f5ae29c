/**
 * Runs: start, list, read, history, cancel and retry. Writes go to `commands` keyed by runId;
 * reads come from the read model.
 */
import { CancelBody, EmptyBody, ErrorCode, EventsQuery, ListQuery, OrchError, RUN_STATUSES, StartRunBody, StartRunsBody, encodeMessage } from '@orchestrator-lite/core';
import type { CancelRun, RetryRun, RunCommandResponse, RunEventItem, RunEventsResponse, RunListResponse, RunStatus, RunView, StartRunResponse, StartRunsResponse } from '@orchestrator-lite/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.js';
import type { RunListQuery } from '../read-model.js';
import { submitRun } from '../submit-run.js';
import { submitRuns } from '../submit-runs.js';
import { runBodyLimit } from '../options.js';
import { traceHeaders } from '../tracing.js';
import { produceForRequest, requireRunForWrite } from '../bus.js';
import { badParameter, notFound, parseRequest } from '../http-errors.js';
import { isTerminal } from '../read-model.js';
import { decodeRunListCursor, encodeRunListCursor } from '../stream-cursor.js';
import { runSchemas } from '../schemas/runs.js';
import { parseLimit, parseNonNegativeInt, parseRunId, principalOf } from './request.js';

const EVENTS_PAGE = 1000;
/** The workflows a batch start's log line names, at most. */
const LOGGED_WORKFLOWS = 10;

async function requireRun(ctx: GatewayContext, runId: string): Promise<RunView> {
  const view = await ctx.readModel.getRun(runId);
  if (view === undefined) throw notFound(`run ${JSON.stringify(runId)} does not exist`);
  return view;
}

async function startRun(ctx: GatewayContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const body = parseRequest(StartRunBody, request.body, 'body');
  const result = await submitRun(ctx, { ...body, ...traceHeaders(request), conflictOnDifferentBody: true });
  if (!result.created) return reply.code(200).send({ runId: result.runId, status: result.status } satisfies StartRunResponse);
  request.log.info({ runId: result.runId, workflow: body.workflow, version: result.version, ...principalOf(request) }, 'run submitted');
  return reply.code(202).send({ runId: result.runId, status: 'PENDING' } satisfies StartRunResponse);
}

/** Every start is checked before any is written; then each answers for itself (src/submit-runs.ts). */
async function startRuns(ctx: GatewayContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { runs } = parseRequest(StartRunsBody, request.body, 'body');
  const { items, created, failed } = await submitRuns(ctx, runs, traceHeaders(request).headers);
  const workflows = [...new Set(runs.map((run) => run.workflow))].slice(0, LOGGED_WORKFLOWS);
  request.log.info({ runs: items.length, created, failed, workflows, ...principalOf(request) }, 'runs submitted');
  return reply.code(created > 0 ? 202 : 200).send({ items } satisfies StartRunsResponse);
}

/** The run list's query as the read model takes it: a known status, a limit, the cursor's position. */
function listQueryOf(query: unknown): RunListQuery {
  const q = parseRequest(ListQuery, query, 'query');
  if (q.status !== undefined && !(RUN_STATUSES as readonly string[]).includes(q.status)) {
    throw badParameter('status', `must be one of ${RUN_STATUSES.join(', ')}`);
  }
  const limit = parseLimit(q.limit);
  const after = q.cursor === undefined ? undefined : decodeRunListCursor(q.cursor);
  if (q.cursor !== undefined && after === undefined) throw badParameter('cursor', 'is not a cursor this API issued');
  return {
    limit,
    ...(q.status === undefined ? {} : { status: q.status as RunStatus }),
    ...(q.workflow === undefined ? {} : { workflow: q.workflow }),
    ...(after === undefined ? {} : { after }),
  };
}

async function listRuns(ctx: GatewayContext, request: FastifyRequest): Promise<RunListResponse> {
  const page = await ctx.readModel.listRuns(listQueryOf(request.query));
  return { items: page.items, nextCursor: page.next === null ? null : encodeRunListCursor(page.next), counts: page.counts };
}

/** A run's whole history after `since`, read from the store a page at a time. */
async function runEvents(ctx: GatewayContext, request: FastifyRequest): Promise<RunEventsResponse> {
  const runId = parseRunId(request.params);
  const query = parseRequest(EventsQuery, request.query, 'query');
  const since = query.since === undefined ? 0 : parseNonNegativeInt(query.since, 'since');
  await requireRun(ctx, runId);
  const items: RunEventItem[] = [];
  for (let after = since; ; ) {
    const page = await ctx.readModel.eventsSince(runId, after, EVENTS_PAGE);
    for (const { event } of page) items.push({ seq: event.seq, type: event.type, at: event.at, data: event.data } as RunEventItem);
    const last = page.at(-1);
    if (page.length < EVENTS_PAGE || last === undefined) break;
    after = last.event.seq;
  }
  return { items };
}

/** Writes a command the run's orchestrator acts on, and answers 202. */
async function sendRunCommand(ctx: GatewayContext, request: FastifyRequest, reply: FastifyReply, command: CancelRun | RetryRun): Promise<FastifyReply> {
  const { runId } = command;
  await produceForRequest(ctx.transport, [{ topic: ctx.names.commands, key: runId, value: encodeMessage(command), ...traceHeaders(request) }]);
  return reply.code(202).send({ runId } satisfies RunCommandResponse);
}

async function cancelRun(ctx: GatewayContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const runId = parseRunId(request.params);
  const body = parseRequest(CancelBody, request.body ?? undefined, 'body');
  const view = await requireRunForWrite(ctx, runId);
  if (isTerminal(view.status)) {
    throw new OrchError(ErrorCode.Conflict, `run ${JSON.stringify(runId)} is already ${view.status}`, { status: view.status });
  }
  request.log.info({ runId, ...principalOf(request) }, 'run cancellation requested');
  const command: CancelRun = { v: 1, type: 'CancelRun', runId, ...(body?.reason === undefined ? {} : { reason: body.reason }), at: ctx.now() };
  return sendRunCommand(ctx, request, reply, command);
}

async function retryRun(ctx: GatewayContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const runId = parseRunId(request.params);
  parseRequest(EmptyBody, request.body ?? undefined, 'body');
  const view = await requireRunForWrite(ctx, runId);
  if (view.status !== 'FAILED' && view.status !== 'CANCELLED') {
    throw new OrchError(ErrorCode.Conflict, `run ${JSON.stringify(runId)} is ${view.status}; only a FAILED or CANCELLED run can be retried`, {
      status: view.status,
    });
  }
  request.log.info({ runId, ...principalOf(request) }, 'run retry requested');
  const command: RetryRun = { v: 1, type: 'RetryRun', runId, at: ctx.now() };
  return sendRunCommand(ctx, request, reply, command);
}

export function runRoutes(ctx: GatewayContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const bodyLimit = runBodyLimit(ctx.config);
    app.post('/api/v1/runs', { schema: runSchemas.start, bodyLimit }, (request, reply) => startRun(ctx, request, reply));
    app.post('/api/v1/runs/batch', { schema: runSchemas.startBatch, bodyLimit }, (request, reply) => startRuns(ctx, request, reply));
    app.get('/api/v1/runs', { schema: runSchemas.list }, (request) => listRuns(ctx, request));
    app.get('/api/v1/runs/:runId', { schema: runSchemas.get }, async (request) => requireRun(ctx, parseRunId(request.params)));
    app.get('/api/v1/runs/:runId/events', { schema: runSchemas.events }, (request) => runEvents(ctx, request));
    app.post('/api/v1/runs/:runId/cancel', { schema: runSchemas.cancel }, (request, reply) => cancelRun(ctx, request, reply));
    app.post('/api/v1/runs/:runId/retry', { schema: runSchemas.retry }, (request, reply) => retryRun(ctx, request, reply));
  };
}
