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
import type { RunEventType, SchedulesFrame } from '@orchestrator-lite/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket, RawData } from 'ws';
import type { GatewayContext } from '../context.js';
import { StreamSource } from '../stream-source.js';
import { decodeStreamCursor } from '../stream-cursor.js';
import { streamSchemas } from '../schemas/stream.js';

export const WS_CLOSE = { policyViolation: 1008, tooBig: 1009, internalError: 1011, tryAgainLater: 1013 } as const;

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

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function errorFrame(code: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { code, message } });
}

export function streamRoutes(ctx: GatewayContext) {
  const { readModel, config, metrics } = ctx;
  const highWater = Math.max(16 * 1024, Math.floor(config.wsMaxBufferedBytes / 4));

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

  /** Sends the client its backlog and then live events, until either side closes. */
  function follow(socket: WebSocket, request: FastifyRequest, params: StreamParams): void {
        metrics.wsClients.inc();
        const queue: { text: string; live: boolean }[] = [];
        let head = 0;
        let queuedLiveBytes = 0;
        let closed = false;
        let filling = false;
        const stopFeeds: (() => void)[] = [];

        const shutdown = (code?: number, reason?: string): void => {
          if (closed) return;
          closed = true;
          source.close();
          stopPumping();
          for (const stop of stopFeeds.splice(0)) stop();
          metrics.wsClients.dec();
          queue.length = 0;
          if (code !== undefined && socket.readyState === socket.OPEN) socket.close(code, reason);
        };
        const tooSlow = (): void => shutdown(WS_CLOSE.tryAgainLater, 'client too slow: reconnect with the last seq or cursor');

        // The frames of one pump leave in one write (a batch's events, a backlog page), not a
        // write each: the connection's socket is corked while they are queued on it, and the
        // live events of one batch, pushed one by one, are sent by one pump once the batch is
        // published (before the store writes their rows, when it writes on this thread).
        const tcp = request.raw.socket;
        let pumpQueued = false;
        // Only a source that is live queues live frames, and a live source reads no more backlog:
        // this pump reads nothing from the store, which may be in the middle of its transaction.
        const pumpQueuedFrames = (): void => {
          if (!pumpQueued) return;
          pumpQueued = false;
          pump();
        };
        const pumpSoon = (): void => {
          if (pumpQueued) return;
          pumpQueued = true;
          queueMicrotask(pumpQueuedFrames);
        };
        const stopPumping = readModel.onPublished(pumpQueuedFrames);
        function pushFrame(text: string, live: boolean): void {
          queue.push({ text, live });
          if (!live) return;
          queuedLiveBytes += text.length;
          if (queuedLiveBytes + socket.bufferedAmount > config.wsMaxBufferedBytes) tooSlow();
          else pumpSoon();
        }
        const source = new StreamSource(
          readModel,
          params.runId !== undefined
            ? { kind: 'run', runId: params.runId, ...(params.since === undefined ? {} : { since: params.since }), ...typesOf(params) }
            : { kind: 'all', ...(params.cursor === undefined ? {} : { cursor: params.cursor }), ...typesOf(params) },
          { push: pushFrame },
          config.wsMaxBufferedBytes,
          tooSlow,
        );

        /** Reads the next backlog page once the queue has drained. */
        const fill = (): void => {
          if (filling || closed || !source.needsBacklog) return;
          filling = true;
          source.fill().then(
            () => {
              filling = false;
              pump();
            },
            (error: unknown) => {
              filling = false;
              ctx.logger.error({ err: error }, 'could not read the stream backlog from the read store');
              shutdown(WS_CLOSE.internalError, 'the read store failed; reconnect later');
            },
          );
        };

        const pump = (): void => {
          tcp.cork();
          try {
            sendQueued();
          } finally {
            tcp.uncork();
          }
          if (head === queue.length) {
            queue.length = 0;
            head = 0;
            queuedLiveBytes = 0;
            fill();
          }
        };
        const sendQueued = (): void => {
          while (!closed && head < queue.length && socket.readyState === socket.OPEN && socket.bufferedAmount < highWater) {
            const item = queue[head];
            head += 1;
            if (item === undefined) continue;
            if (item.live) queuedLiveBytes -= item.text.length;
            socket.send(item.text, (err) => {
              if (err === undefined || err === null) pump();
            });
          }
        };
        pump();
        if (params.counts === true) stopFeeds.push(ctx.runCounts.subscribe((text) => pushFrame(text, true)));
        if (params.schedules === true) stopFeeds.push(ctx.schedules.onChange(() => pushFrame(JSON.stringify({ type: 'schedules', at: ctx.now() } satisfies SchedulesFrame), true)));
        if (closed) for (const stop of stopFeeds.splice(0)) stop();

        socket.on('message', (data: RawData) => {
          if (closed) return;
          if (byteLength(data) > config.wsMaxFrameBytes) {
            request.log.warn({ bytes: byteLength(data), limit: config.wsMaxFrameBytes }, 'WebSocket frame over the limit: closed with 1009');
            socket.send(errorFrame(ErrorCode.PayloadTooLarge, `frame exceeds ${config.wsMaxFrameBytes} bytes`));
            shutdown(WS_CLOSE.tooBig, 'frame too large');
            return;
          }
          let message: unknown;
          try {
            message = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'));
          } catch {
            socket.send(errorFrame(ErrorCode.BadRequest, 'frame is not valid JSON; the only accepted frame is {"type":"ping"}'));
            return;
          }
          if (typeof message === 'object' && message !== null && !Array.isArray(message) && (message as { type?: unknown }).type === 'ping' && Object.keys(message).length === 1) {
            socket.send(JSON.stringify({ type: 'pong' }));
            return;
          }
          socket.send(errorFrame(ErrorCode.BadRequest, 'unsupported frame; the only accepted frame is {"type":"ping"}'));
        });
        socket.on('close', () => shutdown());
        socket.on('error', () => shutdown());
  }
}
