/**
 * One watched run: its view and events loaded from the gateway, then kept live from the run's
 * stream, a group of frames at a time, with a gap in the seqs filled from the gateway first.
 */
import { ApiError, errorMessage, streamUrl } from '../api/client.ts';
import type { Api } from '../api/client.ts';
import { LiveSocket } from '../api/live-socket.ts';
import type { ConnectionState } from '../api/live-socket.ts';
import type { RunEvent, RunView, StreamFrame } from '../api/types.ts';
import { Coalescer } from './coalesce.ts';
import { applyEvents } from './run-reducer.ts';

export interface RunDetail {
  view?: RunView;
  events: RunEvent[];
  lastSeq: number;
  loading: boolean;
  error?: string;
  /** The gateway answered 404 for this run: it does not exist (or no longer does). */
  notFound?: boolean;
  connection: ConnectionState;
}

/** The most events kept for one run in memory (log-heavy runs); the view itself is always complete. */
const MAX_EVENTS_PER_RUN = 50_000;
/** A stream's frames (the all-runs feed's, a run's) are applied together, at most once in this many ms. */
export const FEED_INTERVAL_MS = 100;

export function isFrame(value: unknown): value is StreamFrame {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.runId === 'string' && typeof v.seq === 'number' && typeof v.type === 'string' && typeof v.at === 'number';
}

/** What a run's feed needs of the store: its gateway, and the run's detail to read and change. */
export interface RunFeedHost {
  readonly api: Api;
  readonly gateway: string;
  /** The run's detail now; undefined once it is no longer watched. */
  detail(runId: string): RunDetail | undefined;
  setDetail(runId: string, update: (d: RunDetail) => RunDetail): void;
  /** Whether the error says the gateway needs a token (the store then stops). */
  needsToken(err: unknown): boolean;
}

export class RunFeed {
  #socket: LiveSocket | undefined;
  #stopped = false;
  #repairing: Promise<void> | undefined;
  /** Events held while the missing ones are fetched. */
  readonly #buffer: RunEvent[] = [];
  readonly #frames: Coalescer<RunEvent>;

  constructor(
    private readonly runId: string,
    private readonly host: RunFeedHost,
  ) {
    this.#frames = new Coalescer<RunEvent>(FEED_INTERVAL_MS, (events) => this.#onEvents(events));
  }

  start(): void {
    void this.#load();
  }

  stop(): void {
    this.#stopped = true;
    this.#frames.clear();
    this.#socket?.close();
  }

  #lastSeq(): number {
    return this.host.detail(this.runId)?.lastSeq ?? 0;
  }

  #setDetail(update: (d: RunDetail) => RunDetail): void {
    this.host.setDetail(this.runId, update);
  }

  /** The run's view and history, then its stream from the last seq they hold. */
  async #load(): Promise<void> {
    const { api } = this.host;
    const { runId } = this;
    let view: RunView | undefined;
    try {
      view = await api.getRun(runId);
    } catch (err) {
      if (this.host.needsToken(err)) return;
      // The gateway knows every run it accepted (a run just started here included), so a 404
      // means there is no such run: say so rather than wait for it.
      if (err instanceof ApiError && err.status === 404) {
        this.#setDetail((d) => ({ ...d, notFound: true, loading: false }));
        return;
      }
      this.#setDetail((d) => ({ ...d, error: errorMessage(err) }));
    }
    let events: RunEvent[] = [];
    try {
      events = (await api.getEvents(runId, 0)).items;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) this.#setDetail((d) => ({ ...d, error: errorMessage(err) }));
    }
    if (this.#stopped) return;
    const lastEventSeq = events.length > 0 ? (events[events.length - 1] as RunEvent).seq : 0;
    const base = view !== undefined && view.lastSeq <= lastEventSeq ? view : undefined;
    const projected = applyEvents(base, events);
    this.#setDetail((d) => ({ ...d, view: projected ?? view, events, lastSeq: lastEventSeq, loading: false }));
    this.#socket = new LiveSocket({
      url: () => streamUrl(this.host.gateway, { runId, since: String(this.#lastSeq()) }),
      onState: (connection) => this.#setDetail((d) => ({ ...d, connection })),
      onFrame: (frame) => {
        if (isFrame(frame) && frame.runId === runId) this.#frames.push(frame);
      },
    });
  }

  /** Applies the events that follow on in one update; at a gap, fetches what is missing first. */
  #onEvents(events: readonly RunEvent[]): void {
    if (this.#stopped) return;
    if (this.#repairing !== undefined) {
      this.#buffer.push(...events);
      return;
    }
    let last = this.#lastSeq();
    const next: RunEvent[] = [];
    let gapAt = events.length;
    for (const [i, e] of events.entries()) {
      if (e.seq <= last) continue; // a duplicate or a replay
      if (e.seq !== last + 1) {
        gapAt = i;
        break;
      }
      next.push(e);
      last = e.seq;
    }
    if (next.length > 0) this.#apply(next);
    if (gapAt === events.length) return;
    this.#buffer.push(...events.slice(gapAt)); // a gap: fetch the missing events, then go on
    void this.#repair();
  }

  /** Fetches what is missing after the last applied seq, then drains frames that arrived meanwhile. */
  #repair(): Promise<void> {
    this.#repairing ??= (async () => {
      try {
        const res = await this.host.api.getEvents(this.runId, this.#lastSeq());
        if (this.#stopped) return;
        this.#apply(res.items);
      } catch (err) {
        this.#setDetail((d) => ({ ...d, error: errorMessage(err) }));
      } finally {
        this.#repairing = undefined;
      }
      this.#onEvents(this.#buffer.splice(0).sort((a, b) => a.seq - b.seq));
    })();
    return this.#repairing;
  }

  #apply(events: readonly RunEvent[]): void {
    this.#setDetail((d) => {
      const fresh = events.filter((e, i) => e.seq > d.lastSeq && (i === 0 || e.seq > (events[i - 1] as RunEvent).seq));
      if (fresh.length === 0) return d;
      let all = d.events.concat(fresh);
      if (all.length > MAX_EVENTS_PER_RUN) all = all.slice(all.length - MAX_EVENTS_PER_RUN);
      return { ...d, events: all, view: applyEvents(d.view, fresh), lastSeq: (fresh[fresh.length - 1] as RunEvent).seq };
    });
  }
}
