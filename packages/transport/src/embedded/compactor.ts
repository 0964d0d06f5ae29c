/**
 * Compaction off the event loop: a worker thread with a connection of its own to the bus's file
 * removes superseded records one slice at a time, when the event loop asks (log-writer.ts paces
 * the slices and keeps its own writes out of their way). The thread starts with the first slice.
 */
import { Worker } from 'node:worker_threads';
import { ThreadChannel } from '../thread-channel.js';
import { TransportError, TransportErrorReason } from './errors.js';
import { threadLimits } from '../young-generation.js';

/** How long closing waits for the thread to finish the slice it holds. */
const CLOSE_TIMEOUT_MS = 10_000;

export interface CompactorData {
  file: string;
  synchronous: 'normal' | 'full';
  /** Set to 1 by the thread once its connection is closed. */
  closed: Int32Array;
}

/** A slice removes superseded records and, with `expireBefore` set, records written before that time (expiry.ts). */
export type CompactorRequest = { type: 'slice'; limit: number; expireBefore: number | null } | { type: 'topics' } | { type: 'close' };

/** One slice: the records it removed, whether garbage remains, and how long it took on the thread. */
export interface SliceOutcome {
  removed: number;
  more: boolean;
  ms: number;
}

interface Started {
  channel: ThreadChannel<CompactorRequest>;
  closed: Int32Array;
}

export class Compactor {
  #started: Started | undefined;

  constructor(
    private readonly file: string,
    private readonly synchronous: 'normal' | 'full',
  ) {}

  /** Removes up to `limit` superseded or expired records on the thread. */
  slice(limit: number, expireBefore: number | null): Promise<SliceOutcome> {
    return this.#start().channel.call<SliceOutcome>({ type: 'slice', limit, expireBefore });
  }

  /** The failure that stopped the thread, if it did. */
  get failure(): Error | undefined {
    return this.#started?.channel.failure;
  }

  /** Topics were created on another connection: a running thread reads them before its next slice. */
  topicsChanged(): void {
    this.#started?.channel.tell({ type: 'topics' });
  }

  /** Waits (blocking, bounded) until the thread has finished its slice and closed its connection. */
  close(): void {
    const started = this.#started;
    if (started === undefined || started.channel.failure !== undefined) return;
    started.channel.tell({ type: 'close' });
    started.channel.flush();
    Atomics.wait(started.closed, 0, 0, CLOSE_TIMEOUT_MS);
  }

  #start(): Started {
    if (this.#started !== undefined) return this.#started;
    const closed = new Int32Array(new SharedArrayBuffer(4));
    const workerData: CompactorData = { file: this.file, synchronous: this.synchronous, closed };
    const worker = new Worker(new URL('./compactor-worker.js', import.meta.url), { workerData, resourceLimits: threadLimits() });
    const channel = new ThreadChannel<CompactorRequest>(worker, (cause) => new TransportError(TransportErrorReason.Closed, `The embedded bus's compaction thread stopped: ${cause.message}`));
    this.#started = { channel, closed };
    return this.#started;
  }
}
