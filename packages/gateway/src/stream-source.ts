/**
 * What one stream client receives: the backlog it missed (read from the store a page at a time,
 * only as fast as the socket drains) and then live events, with no gap and no duplicate.
 *
 * Each client keeps its own position: the last seq sent (one run), or the next offset per
 * partition (all runs; the frame's cursor is that vector). An event at or before the position is
 * a duplicate and is dropped, whether it came from the store or live. While the backlog is read,
 * live events are held back; before each page query, the held events that this or a later query
 * will read from the store are dropped (the store holds every published event), so what is held
 * stays small: only events of partitions whose backlog is already sent.
 */
import type { ReadModel, StoredEvent } from './read-model.js';
import { encodeStreamCursor } from './stream-cursor.js';

/** Events read from the store per query. */
export const BACKLOG_PAGE = 256;

/** Whose events a client follows, from where, and (`types`) of which types only. */
export type StreamScope = ({ kind: 'run'; runId: string; since?: number } | { kind: 'all'; cursor?: readonly number[] }) & { types?: ReadonlySet<string> };

export interface StreamSink {
  /** A frame to send; `live` is false for backlog frames. */
  push(frame: string, live: boolean): void;
}

/** A frame: the event's fields `{seq, runId, type, at, data}`, and the cursor on the stream of all runs. */
function frameOf(entry: StoredEvent, cursor: string | undefined): string {
  // A live event's text is its frame: a decoded event has exactly those fields.
  if (entry.json !== undefined) return cursor === undefined ? entry.json : `${entry.json.slice(0, -1)},"cursor":${JSON.stringify(cursor)}}`;
  const { seq, runId, type, at, data } = entry.event;
  return JSON.stringify(cursor === undefined ? { seq, runId, type, at, data } : { seq, runId, type, at, data, cursor });
}

export class StreamSource {
  private lastSeq: number | undefined;
  private readonly positions: number[];
  /** Partitions whose backlog has been sent (all-runs), or 1 once the run's backlog is (one run). */
  private scanned = 0;
  private backfilling: boolean;
  private held: StoredEvent[] = [];
  private heldBytes = 0;
  private readonly unlisten: () => void;

  constructor(
    private readonly model: ReadModel,
    private readonly scope: StreamScope,
    private readonly sink: StreamSink,
    /** Bytes of held live events after which the client counts as too slow. */
    private readonly maxHeldBytes: number,
    private readonly onTooSlow: () => void,
  ) {
    // The listener is registered and the start position taken in one synchronous step.
    if (scope.kind === 'run') {
      this.positions = [];
      this.lastSeq = scope.since;
      this.backfilling = scope.since !== undefined;
      this.unlisten = model.listenRun(scope.runId, (entry) => this.onLive(entry));
    } else {
      this.positions = [...(scope.cursor ?? model.currentPositions())];
      while (this.positions.length < model.partitionCount) this.positions.push(0);
      this.backfilling = scope.cursor !== undefined;
      this.unlisten = model.listenAll((entry) => this.onLive(entry));
    }
  }

  /** True while the backlog is still being read from the store. */
  get needsBacklog(): boolean {
    return this.backfilling;
  }

  close(): void {
    this.unlisten();
    this.held = [];
  }

  private onLive(entry: StoredEvent): void {
    if (!this.backfilling) {
      this.accept(entry, true);
      return;
    }
    this.held.push(entry);
    this.heldBytes += JSON.stringify(entry.event.data ?? null).length + 100;
    if (this.heldBytes > this.maxHeldBytes) this.onTooSlow();
  }

  /** Moves the position past the event and sends it, unless it is a duplicate or of a type left out. */
  private accept(entry: StoredEvent, live: boolean): void {
    const wanted = this.scope.types === undefined || this.scope.types.has(entry.event.type);
    if (this.scope.kind === 'run') {
      if (this.lastSeq !== undefined && entry.event.seq <= this.lastSeq) return;
      this.lastSeq = entry.event.seq;
      if (wanted) this.sink.push(frameOf(entry, undefined), live);
      return;
    }
    const p = entry.partition;
    while (this.positions.length <= p) this.positions.push(0);
    if (entry.offset < (this.positions[p] ?? 0)) return;
    this.positions[p] = entry.offset + 1;
    if (wanted) this.sink.push(frameOf(entry, encodeStreamCursor(this.positions)), live);
  }

  /** Drops held events that the coming query (on `partition`) or a later one will read. */
  private dropHeldFrom(partition: number): void {
    this.held = this.held.filter((e) => this.scope.kind === 'all' && e.partition < partition);
    this.heldBytes = this.held.reduce((n, e) => n + JSON.stringify(e.event.data ?? null).length + 100, 0);
  }

  /**
   * Reads and sends one backlog page; once the backlog is exhausted, sends the held live events
   * and turns live. Call again while `needsBacklog` and the socket has room.
   */
  async fill(): Promise<void> {
    if (!this.backfilling) return;
    if (this.scope.kind === 'run') {
      this.dropHeldFrom(0);
      const page = await this.model.eventsSince(this.scope.runId, this.lastSeq ?? 0, BACKLOG_PAGE);
      for (const entry of page) this.accept(entry, false);
      if (page.length < BACKLOG_PAGE) this.goLive();
      return;
    }
    const partitions = Math.max(this.model.partitionCount, this.positions.length);
    while (this.scanned < partitions) {
      const p = this.scanned;
      this.dropHeldFrom(p);
      const page = await this.model.store.partitionEvents(p, this.positions[p] ?? 0, BACKLOG_PAGE);
      for (const entry of page) this.accept(entry, false);
      if (page.length === BACKLOG_PAGE) return;
      this.scanned += 1;
    }
    this.goLive();
  }

  private goLive(): void {
    this.backfilling = false;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const entry of held) this.accept(entry, true);
  }
}
