/**
 * One client of the live stream, from its connection to its close: the frames its `StreamSource`
 * gives queue here and go out while the socket drains (see routes/stream.ts for the contract).
 */
import { ErrorCode } from '@orchestrator-lite/core';
import type { SchedulesFrame } from '@orchestrator-lite/core';
import type { FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import type { WebSocket, RawData } from 'ws';
import type { GatewayContext } from './context.js';
import { StreamSource } from './stream-source.js';
import type { StreamScope } from './stream-source.js';

export const WS_CLOSE = { policyViolation: 1008, tooBig: 1009, internalError: 1011, tryAgainLater: 1013 } as const;

/** Frames of other kinds than events that a client of the all-runs stream asked for. */
export interface StreamFeeds {
  counts?: boolean;
  schedules?: boolean;
}

export function errorFrame(code: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { code, message } });
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

/** A frame waiting to be sent; live ones count against the client's buffer limit. */
interface QueuedFrame {
  text: string;
  live: boolean;
}

/** Sends a client its backlog and then live events, until either side closes. */
export class StreamConnection {
  readonly #queue: QueuedFrame[] = [];
  #head = 0;
  #queuedLiveBytes = 0;
  #closed = false;
  #filling = false;
  #pumpQueued = false;
  readonly #stopFeeds: (() => void)[] = [];
  readonly #tcp: Socket;
  readonly #highWater: number;
  readonly #stopPumping: () => void;
  readonly #source: StreamSource;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly socket: WebSocket,
    private readonly request: FastifyRequest,
    scope: StreamScope,
  ) {
    const { readModel, config } = ctx;
    ctx.metrics.wsClients.inc();
    this.#highWater = Math.max(16 * 1024, Math.floor(config.wsMaxBufferedBytes / 4));
    // The frames of one pump leave in one write (a batch's events, a backlog page), not a
    // write each: the connection's socket is corked while they are queued on it, and the
    // live events of one batch, pushed one by one, are sent by one pump once the batch is
    // published (before the store writes their rows, when it writes on this thread).
    this.#tcp = request.raw.socket;
    this.#stopPumping = readModel.onPublished(this.#pumpQueuedFrames);
    this.#source = new StreamSource(readModel, scope, { push: (text, live) => this.push(text, live) }, config.wsMaxBufferedBytes, this.#tooSlow);
  }

  /** Sends what there is, subscribes the feeds asked for, and listens to the client. */
  start(feeds: StreamFeeds): void {
    const { ctx, socket } = this;
    this.#pump();
    if (feeds.counts === true) this.#stopFeeds.push(ctx.runCounts.subscribe((text) => this.push(text, true)));
    if (feeds.schedules === true) this.#stopFeeds.push(ctx.schedules.onChange(() => this.push(JSON.stringify({ type: 'schedules', at: ctx.now() } satisfies SchedulesFrame), true)));
    // A feed may push at once, and a frame that makes the client too slow closes the stream
    // before the feed's stop is held here: stopped now.
    if (this.#closed) for (const stop of this.#stopFeeds.splice(0)) stop();
    socket.on('message', (data: RawData) => this.#onMessage(data));
    socket.on('close', () => this.shutdown());
    socket.on('error', () => this.shutdown());
  }

  /** Queues a frame; a live one is sent soon, unless the client has fallen too far behind. */
  push(text: string, live: boolean): void {
    this.#queue.push({ text, live });
    if (!live) return;
    this.#queuedLiveBytes += text.length;
    if (this.#queuedLiveBytes + this.socket.bufferedAmount > this.ctx.config.wsMaxBufferedBytes) this.#tooSlow();
    else this.#pumpSoon();
  }

  shutdown(code?: number, reason?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#source.close();
    this.#stopPumping();
    for (const stop of this.#stopFeeds.splice(0)) stop();
    this.ctx.metrics.wsClients.dec();
    this.#queue.length = 0;
    if (code !== undefined && this.socket.readyState === this.socket.OPEN) this.socket.close(code, reason);
  }

  readonly #tooSlow = (): void => this.shutdown(WS_CLOSE.tryAgainLater, 'client too slow: reconnect with the last seq or cursor');

  #pumpSoon(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    queueMicrotask(this.#pumpQueuedFrames);
  }

  // Only a source that is live queues live frames, and a live source reads no more backlog:
  // this pump reads nothing from the store, which may be in the middle of its transaction.
  readonly #pumpQueuedFrames = (): void => {
    if (!this.#pumpQueued) return;
    this.#pumpQueued = false;
    this.#pump();
  };

  /** Sends the queued frames in one write while the socket takes them; an empty queue reads the next backlog page. */
  #pump(): void {
    this.#tcp.cork();
    try {
      this.#sendQueued();
    } finally {
      this.#tcp.uncork();
    }
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
      this.#queuedLiveBytes = 0;
      this.#fill();
    }
  }

  #sendQueued(): void {
    const { socket } = this;
    const queue = this.#queue;
    while (!this.#closed && this.#head < queue.length && socket.readyState === socket.OPEN && socket.bufferedAmount < this.#highWater) {
      const item = queue[this.#head];
      this.#head += 1;
      if (item === undefined) continue;
      if (item.live) this.#queuedLiveBytes -= item.text.length;
      socket.send(item.text, this.#sent);
    }
  }

  /** A frame's send completed: the queue goes on. */
  readonly #sent = (err?: Error | null): void => {
    if (err === undefined || err === null) this.#pump();
  };

  /** Reads the next backlog page once the queue has drained. */
  #fill(): void {
    if (this.#filling || this.#closed || !this.#source.needsBacklog) return;
    this.#filling = true;
    this.#source.fill().then(
      () => {
        this.#filling = false;
        this.#pump();
      },
      (error: unknown) => {
        this.#filling = false;
        this.ctx.logger.error({ err: error }, 'could not read the stream backlog from the read store');
        this.shutdown(WS_CLOSE.internalError, 'the read store failed; reconnect later');
      },
    );
  }

  /** The one frame a client may send is `{"type":"ping"}`; anything else gets an error frame, and one over the limit closes the stream. */
  #onMessage(data: RawData): void {
    const { socket } = this;
    if (this.#closed) return;
    const limit = this.ctx.config.wsMaxFrameBytes;
    if (byteLength(data) > limit) {
      this.request.log.warn({ bytes: byteLength(data), limit }, 'WebSocket frame over the limit: closed with 1009');
      socket.send(errorFrame(ErrorCode.PayloadTooLarge, `frame exceeds ${limit} bytes`));
      this.shutdown(WS_CLOSE.tooBig, 'frame too large');
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
  }
}
