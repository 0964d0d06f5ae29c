/**
 * One WebSocket to the gateway's stream that survives drops: it reconnects with jittered
 * exponential backoff and asks the caller for the resume parameters (`since` / `cursor`) on every
 * connect, so a reconnect picks up exactly after the last frame the caller applied.
 */
import { backoffDelay } from './backoff.ts';
import type { BackoffOptions } from './backoff.ts';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface LiveSocketOptions {
  /** Builds the URL for the next connect; called every time, so it can carry the latest resume point. */
  url: () => string;
  onFrame: (frame: unknown) => void;
  onState: (state: ConnectionState) => void;
  /** Called after each successful (re)connect, before any frame of it. */
  onOpen?: (reconnect: boolean) => void;
  /** Called when a connection closes, with the WebSocket close code and reason. */
  onClose?: (code: number, reason: string) => void;
  backoff?: BackoffOptions;
  /** Consecutive failures after which the state reads "offline" (it keeps trying). @default 6 */
  offlineAfter?: number;
}

export class LiveSocket {
  private ws: WebSocket | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private everOpened = false;
  private closed = false;
  private readonly opts: LiveSocketOptions;
  private readonly onOnline = (): void => {
    if (this.ws === undefined && !this.closed) {
      clearTimeout(this.timer);
      this.connect();
    }
  };

  constructor(opts: LiveSocketOptions) {
    this.opts = opts;
    window.addEventListener('online', this.onOnline);
    this.connect();
  }

  private connect(): void {
    if (this.closed) return;
    this.opts.onState(this.everOpened || this.failures > 0 ? 'reconnecting' : 'connecting');
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.opts.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      const reconnect = this.everOpened;
      this.everOpened = true;
      this.failures = 0;
      this.opts.onOpen?.(reconnect);
      this.opts.onState('live');
    };
    ws.onmessage = (msg: MessageEvent) => {
      if (typeof msg.data !== 'string') return;
      let frame: unknown;
      try {
        frame = JSON.parse(msg.data);
      } catch {
        return;
      }
      this.opts.onFrame(frame);
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.opts.onClose?.(ev.code, ev.reason);
      this.scheduleReconnect();
    };
    ws.onerror = () => {
      // onclose follows and schedules the reconnect.
    };
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.failures += 1;
    const offline = this.failures >= (this.opts.offlineAfter ?? 6) || (typeof navigator !== 'undefined' && navigator.onLine === false);
    this.opts.onState(offline ? 'offline' : 'reconnecting');
    this.timer = setTimeout(() => this.connect(), backoffDelay(this.failures - 1, this.opts.backoff));
  }

  /** Drops the current connection and reconnects at once (used after a detected gap). */
  restart(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = undefined;
    ws?.close();
    this.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    window.removeEventListener('online', this.onOnline);
    const ws = this.ws;
    this.ws = undefined;
    ws?.close();
  }
}
