/**
 * The live stream: `GET /api/v1/stream` over WebSocket.
 *
 * - `?runId=R&since=N`: every event of run R with seq > N, then live ones. `?runId=R` alone: live only.
 * - no runId: every run's events; each frame carries `cursor`, and `?cursor=C` resumes after the frame
 *   that carried C. No cursor: live only, from the moment of connecting.
 * - `?types=A,B`: only events of those types, with either scope (a list of runs needs only the
 *   run-level ones: a fraction of the frames of a busy engine). The positions still move past the
 *   events left out, so a resume does not send them again.
 * - `?counts=true` (no runId): also `{type: "counts", at, counts}` frames, the runs by workflow and
 *   status, on connecting and whenever they change (see RunCountsFeed).
 * - `?schedules=true` (no runId): also `{type: "schedules", at}` frames when the schedules change,
 *   at most one a second, for a page that shows them to read them again instead of polling.
 * - bad parameters close the socket with 1008 and a reason that names the parameter; so does an
 *   unknown runId, after an error frame `{type: "error", error: {code: "ORCH_NOT_FOUND"}}`.
 *
 * No gap, no duplicate: see `StreamSource`. The backlog is read from the read store a page at a
 * time, as the socket drains, so a client resuming far back costs one page of memory.
 *
 * Flow control: frames wait in a queue and go out while the socket's `bufferedAmount` is under a
 * high-water mark; each send's completion pumps the queue again. A client that reads too slowly
 * to keep up with live events is closed with 1013 (try again later, with its last seq or cursor)
 * instead of letting its queue grow without bound.
 */
import { ErrorCode, RUN_EVENT_TYPES } from '@orchestrator-lite/core';
import type { RunEventType } from '@orchestrator-lite/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { GatewayContext } from '../context.js';
import { errorFrame, StreamConnection, WS_CLOSE } from '../stream-connection.js';
import type { StreamScope } from '../stream-source.js';
import { decodeStreamCursor } from '../stream-cursor.js';
import { streamSchemas } from '../schemas/stream.js';

interface StreamParams {
  runId?: string;
  since?: number;
  cursor?: readonly number[];
  types?: ReadonlySet<RunEventType>;
  counts?: boolean;
  schedules?: boolean;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(RUN_EVENT_TYPES);

function parseTypes(text: string): ReadonlySet<RunEventType> {
  const types = text.split(',').map((t) => t.trim());
  if (types.some((t) => t === '')) throw new BadParam('types: must be event types separated by commas, none empty');
  const unknown = types.find((t) => !KNOWN_TYPES.has(t));
  if (unknown !== undefined) throw new BadParam(`types: ${JSON.stringify(unknown.slice(0, 40))} is not an event type`);
  return new Set(types as RunEventType[]);
}

class BadParam extends Error {}

function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadParam(`${name}: must be given once`);
  return value;
}

function parseParams(request: FastifyRequest, partitions: number): StreamParams {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const runId = single(query, 'runId');
  const sinceText = single(query, 'since');
  const cursorText = single(query, 'cursor');
  const typesText = single(query, 'types');
  const counts = flag(query, 'counts', runId);
  const schedules = flag(query, 'schedules', runId);
  if (runId !== undefined && (runId.length === 0 || runId.length > 200)) throw new BadParam('runId: must be 1 to 200 characters');
  let since: number | undefined;
  if (sinceText !== undefined) {
    if (runId === undefined) throw new BadParam('since: needs runId; resume the all-runs stream with cursor');
    if (!/^[0-9]{1,15}$/.test(sinceText)) throw new BadParam('since: must be a non-negative integer');
    since = Number(sinceText);
  }
  let cursor: readonly number[] | undefined;
  if (cursorText !== undefined) {
    if (runId !== undefined) throw new BadParam('cursor: not allowed with runId; use since');
    cursor = decodeStreamCursor(cursorText, partitions);
    if (cursor === undefined) throw new BadParam('cursor: is not a stream cursor this gateway issued');
  }
  const types = typesText === undefined ? undefined : parseTypes(typesText);
  return {
    ...(runId === undefined ? {} : { runId }),
    ...(since === undefined ? {} : { since }),
    ...(cursor === undefined ? {} : { cursor }),
    ...(types === undefined ? {} : { types }),
    ...(counts ? { counts } : {}),
    ...(schedules ? { schedules } : {}),
  };
}

/** A parameter that asks the all-runs stream for frames of another kind: true or false, never with runId. */
function flag(query: Record<string, unknown>, name: 'counts' | 'schedules', runId: string | undefined): boolean {
  const text = single(query, name);
  if (text !== undefined && text !== 'true' && text !== 'false') throw new BadParam(`${name}: must be true or false`);
  if (text === 'true' && runId !== undefined) throw new BadParam(`${name}: not with runId; it is of every run`);
  return text === 'true';
}

function typesOf(params: StreamParams): { types?: ReadonlySet<RunEventType> } {
  return params.types === undefined ? {} : { types: params.types };
}

/** Whose events the client follows, from where, and of which types. */
function scopeOf(params: StreamParams): StreamScope {
  return params.runId !== undefined
    ? { kind: 'run', runId: params.runId, ...(params.since === undefined ? {} : { since: params.since }), ...typesOf(params) }
    : { kind: 'all', ...(params.cursor === undefined ? {} : { cursor: params.cursor }), ...typesOf(params) };
}

export function streamRoutes(ctx: GatewayContext) {
  const { readModel } = ctx;
  const follow = (socket: WebSocket, request: FastifyRequest, params: StreamParams): void => {
    new StreamConnection(ctx, socket, request, scopeOf(params)).start(params);
  };

  return async (app: FastifyInstance): Promise<void> => {
    app.route({
      method: 'GET',
      url: '/api/v1/stream',
      schema: streamSchemas.stream,
      // A plain HTTP GET (no Upgrade) gets the error shape rather than an empty 404.
      handler: async (_request, reply) =>
        reply.code(426).header('upgrade', 'websocket').send({
          error: { code: ErrorCode.BadRequest, message: 'this endpoint speaks WebSocket only: send an Upgrade request', details: { field: 'upgrade' } },
        }),
      wsHandler: (socket: WebSocket, request: FastifyRequest) => {
        let params: StreamParams;
        try {
          params = parseParams(request, readModel.partitionCount);
        } catch (error) {
          const reason = error instanceof BadParam ? error.message : 'bad parameters';
          socket.close(WS_CLOSE.policyViolation, Buffer.from(reason).subarray(0, 120).toString());
          return;
        }
        // A run this gateway has never heard of, once it has caught up, is said so rather than
        // followed in silence. (A run just started here is known at once: it has a placeholder.)
        const runId = params.runId;
        if (runId !== undefined && ctx.isReady()) {
          readModel.getRun(runId).then(
            (view) => {
              if (view !== undefined) {
                follow(socket, request, params);
                return;
              }
              socket.send(errorFrame(ErrorCode.NotFound, `run ${JSON.stringify(runId)} does not exist`));
              socket.close(WS_CLOSE.policyViolation, 'runId: no such run');
            },
            () => socket.close(WS_CLOSE.internalError, 'the read store failed; reconnect later'),
          );
          return;
        }
        follow(socket, request, params);
      },
    });
  };
}
