/**
 * The embedded bus's writes: each group commit is one SQLite transaction on a connection of its
 * own, on the event loop. Written on a worker thread instead, a group cost the event loop more
 * than the writes themselves: copying it into a message, waking the thread (which then ran on the
 * event loop's core, on a small machine), and taking the answer back; and every step waited for
 * that round trip twice (its result, then the next task). On the 2-core machine of the bench, the
 * writes on the event loop added about a tenth to its CPU per chain step and took about 30 µs a
 * step off the machine's, and the engine made a fifth more steps a second.
 *
 * Compaction still runs on a thread (compactor.ts), slice by slice, so that it never holds the
 * event loop; this paces the slices and writes only between them: the two connections never wait
 * for each other's transaction, and a write waits for one slice at most.
 */
import type { OffsetCommit, RecordMetadata } from '../types.js';
import { Compactor } from './compactor.js';
import type { SliceOutcome } from './compactor.js';
import { COMPACTION_SLICE, LogStore, nextSliceLimit } from './store.js';
import type { PlacedRecord } from './store.js';

/** The share of the compaction thread's time the periodic compaction takes while it works through its backlog. */
export const BACKGROUND_COMPACTION_SHARE = 0.2;

/** One write of a group: its records and the offsets committed with them. */
export interface GroupWrite {
  records: PlacedRecord[];
  commit: { groupId: string; offsets: OffsetCommit[] } | null;
}

/** What a write became: its records' metadata and copies of their values, or its error. */
export type Written = { metadata: RecordMetadata[]; values: (Buffer | null)[] } | { error: Error };

export class LogWriter {
  readonly #store: LogStore;
  readonly #compactor: Compactor;
  readonly #timer: NodeJS.Timeout | null;
  /** The slice on the compaction thread, while there is one: writes wait for it. */
  #slice: Promise<void> | null = null;
  #compacting = false;
  #closing = false;

  constructor(
    file: string,
    synchronous: 'normal' | 'full',
    compactionIntervalMs: number,
    /** Records of the topics that are not compacted go once this old; `-1` keeps them. */
    private readonly retentionMs: number,
    /** Called with the cutoff before the slices remove the records older than it. */
    private readonly expiring: (before: number) => void,
  ) {
    this.#store = new LogStore(file, synchronous, 'writer');
    this.#compactor = new Compactor(file, synchronous);
    this.#timer = compactionIntervalMs > 0 ? setInterval(() => this.#compactQuietly(), compactionIntervalMs).unref() : null;
  }

  /**
   * The end of the compaction slice under way on the thread, if one is: a write made meanwhile
   * would wait for the slice's transaction, holding the event loop, so the writes wait for this.
   */
  get sliceUnderWay(): Promise<void> | null {
    return this.#slice;
  }

  /**
   * Writes the group in one transaction, now; if that fails (the disk, say), each write alone, so
   * that only the one at fault fails.
   */
  writeNow(writes: readonly GroupWrite[], timestamp: number): Written[] {
    const values = copyValues(writes);
    let outcomes: (RecordMetadata[] | Error)[];
    try {
      outcomes = this.#store.writeMany(writes, timestamp);
    } catch {
      outcomes = writes.map((w) => {
        try {
          return this.#store.writeMany([w], timestamp)[0]!;
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      });
    }
    return outcomes.map((outcome, i) => (outcome instanceof Error ? { error: outcome } : { metadata: outcome, values: values[i]! }));
  }

  /** Topics were created on the owner's connection: the writer and the compaction thread read them. */
  topicsChanged(): void {
    this.#store.reloadTopics();
    this.#compactor.topicsChanged();
  }

  /**
   * Compacts slice by slice on the thread, and removes the records older than the retention;
   * resolves how many records went. With `share` below 1, it rests between slices so that it
   * takes at most that share of the thread's time.
   */
  async compact(share: number): Promise<number> {
    let removed = 0;
    let limit = COMPACTION_SLICE;
    const expireBefore = this.retentionMs < 0 ? null : Date.now() - this.retentionMs;
    if (expireBefore !== null) this.expiring(expireBefore);
    for (;;) {
      if (this.#closing) return removed;
      const slice = await this.#runSlice(limit, expireBefore);
      limit = nextSliceLimit(limit, slice.removed, slice.ms);
      removed += slice.removed;
      if (!slice.more) return removed;
      await (share < 1 ? delay((slice.ms * (1 - share)) / share) : new Promise<void>((resolve) => setImmediate(resolve)));
    }
  }

  /** Stops compacting, waits (blocking, bounded) for the compaction thread, and closes the connection. */
  close(): void {
    this.#closing = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#compactor.close();
    this.#store.close();
  }

  /** One slice, once the last one is done; the writes queued meanwhile go when it is. */
  async #runSlice(limit: number, expireBefore: number | null): Promise<SliceOutcome> {
    while (this.#slice !== null) await this.#slice;
    const slice = this.#compactor.slice(limit, expireBefore).catch((error: unknown) => {
      throw error === this.#compactor.failure ? error : new Error(`Compaction failed: ${(error as Error).message}`);
    });
    // What the writes wait for: the slice's end, whatever its outcome.
    const ended: Promise<void> = slice.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      if (this.#slice === ended) this.#slice = null;
    });
    this.#slice = ended;
    return slice;
  }

  #compactQuietly(): void {
    if (this.#compacting) return;
    this.#compacting = true;
    this.compact(BACKGROUND_COMPACTION_SHARE)
      .catch((error: unknown) => {
        // A close stops the thread under a slice: not a failure.
        if (!this.#closing) process.emitWarning(`Background compaction failed: ${(error as Error).message}`, { code: 'ORCH_TRANSPORT' });
      })
      .finally(() => (this.#compacting = false));
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Copies of the group's values, in one block: the producer may reuse its buffers once its call returns. */
function copyValues(writes: readonly GroupWrite[]): (Buffer | null)[][] {
  let total = 0;
  for (const w of writes) for (const r of w.records) total += r.value?.length ?? 0;
  const block = Buffer.allocUnsafeSlow(total);
  let at = 0;
  return writes.map((w) =>
    w.records.map((r) => {
      if (r.value === null) return null;
      block.set(r.value, at);
      at += r.value.length;
      return block.subarray(at - r.value.length, at);
    }),
  );
}
