/**
 * The embedded bus writes on a thread of its own. Its writes (the inserts, the compaction index,
 * the commit's page writes to the WAL) took a quarter of the event loop of an engine with every
 * role in one process, while the machine's other core sat idle. Here the process's thread hands
 * each group commit to a worker thread with a connection of its own and goes on; the writes'
 * promises settle when the worker's transaction has committed, as before. Compaction runs on that
 * thread as well, between group commits, so it never holds the event loop.
 *
 * The owner (the store on the process's thread) still reads: once a commit is reported, its
 * records are in the file for every new read, and `LogStore.appended` puts them in the tail.
 */
import { Worker } from 'node:worker_threads';
import type { OffsetCommit, ProduceRecord, RecordMetadata } from '../types.js';
import { ThreadChannel } from '../thread-channel.js';
import { TransportError, TransportErrorReason } from './errors.js';

/** The share of the writer thread's time the periodic compaction takes while it works through its backlog. */
export const BACKGROUND_COMPACTION_SHARE = 0.2;

/** How long closing waits for the writer thread to finish the writes it holds. */
const CLOSE_TIMEOUT_MS = 10_000;

export interface WriterData {
  file: string;
  synchronous: 'normal' | 'full';
  compactionIntervalMs: number;
  compactionShare: number;
  /** Set to 1 by the thread once its connection is closed. */
  closed: Int32Array;
}

/** A record placed on its partition by the owner (the writer's thread never hashes a key). */
export type PlacedRecord = ProduceRecord & { partition: number };

/** A record on its way to the thread; its value is `values[start, start + size)`, or null when `size` is -1. */
export interface WireRecord {
  topic: string;
  partition: number;
  key: string;
  headers: ProduceRecord['headers'];
  start: number;
  size: number;
}

export interface WireWrite {
  records: WireRecord[];
  commit: { groupId: string; offsets: OffsetCommit[] } | null;
}

export type WriterRequest =
  /** `writes` is the JSON text of a `WireWrite[]`: a string copies to the thread for about half of what the objects cost. */
  | { type: 'write'; writes: string; values: Uint8Array; timestamp: number }
  | { type: 'topics' }
  | { type: 'compact'; share: number }
  | { type: 'close' };

/** Per write: its records' offsets, or why it failed. */
export type WriteOutcome = { offsets: number[] } | { error: string; code?: string };

/** What a write became: its records' metadata and copies of their values, or its error. */
export type Written = { metadata: RecordMetadata[]; values: (Buffer | null)[] } | { error: Error };

export class LogWriter {
  readonly #worker: Worker;
  readonly #channel: ThreadChannel<WriterRequest>;
  readonly #closed = new Int32Array(new SharedArrayBuffer(4));

  constructor(file: string, synchronous: 'normal' | 'full', compactionIntervalMs: number) {
    const workerData: WriterData = { file, synchronous, compactionIntervalMs, compactionShare: BACKGROUND_COMPACTION_SHARE, closed: this.#closed };
    this.#worker = new Worker(new URL('./log-writer-worker.js', import.meta.url), { workerData });
    this.#channel = new ThreadChannel(this.#worker, (cause) => new TransportError(TransportErrorReason.Closed, `The embedded bus's writer thread stopped: ${cause.message}`));
  }

  /**
   * Writes the group in one transaction on the thread. Resolves, once it committed, with each
   * write's outcome; a write that failed fails alone (the thread tries the others without it).
   */
  async write(writes: readonly { records: PlacedRecord[]; commit: { groupId: string; offsets: OffsetCommit[] } | null }[], timestamp: number): Promise<Written[]> {
    const { wire, values } = encode(writes);
    const outcomes = await this.#channel.call<WriteOutcome[]>({ type: 'write', writes: JSON.stringify(wire), values, timestamp });
    return outcomes.map((outcome, i) => decode(writes[i]!.records, wire[i]!.records, outcome, values));
  }

  /** Topics were created on the owner's connection: the thread reads them before the writes that follow. */
  topicsChanged(): void {
    this.#channel.tell({ type: 'topics' });
  }

  /** Compacts on the thread, taking at most `share` of its time; resolves how many records went. */
  async compact(share: number): Promise<number> {
    try {
      return await this.#channel.call<number>({ type: 'compact', share });
    } catch (error) {
      throw error === this.#channel.failure ? error : new Error(`Compaction failed: ${(error as Error).message}`);
    }
  }

  /**
   * Waits (blocking, bounded) until the thread has written what it was handed and closed its
   * connection, so that the owner closes the file after it.
   */
  close(): void {
    if (this.#channel.failure !== undefined) return;
    this.#channel.tell({ type: 'close' });
    this.#channel.flush();
    Atomics.wait(this.#closed, 0, 0, CLOSE_TIMEOUT_MS);
  }
}

/** The group's values copied into one buffer (cloned to the thread as one block), the rest as plain objects. */
function encode(writes: readonly { records: PlacedRecord[]; commit: { groupId: string; offsets: OffsetCommit[] } | null }[]): { wire: WireWrite[]; values: Buffer } {
  let total = 0;
  for (const w of writes) for (const r of w.records) total += r.value?.length ?? 0;
  const values = Buffer.allocUnsafeSlow(total);
  let at = 0;
  const wire = writes.map(({ records, commit }) => ({
    commit,
    records: records.map((r): WireRecord => {
      const start = at;
      if (r.value === null) return { topic: r.topic, partition: r.partition, key: r.key, headers: r.headers, start, size: -1 };
      values.set(r.value, at);
      at += r.value.length;
      return { topic: r.topic, partition: r.partition, key: r.key, headers: r.headers, start, size: r.value.length };
    }),
  }));
  return { wire, values };
}

function decode(records: readonly PlacedRecord[], wire: readonly WireRecord[], outcome: WriteOutcome, values: Buffer): Written {
  if ('error' in outcome) return { error: Object.assign(new Error(outcome.error), outcome.code === undefined ? {} : { code: outcome.code }) };
  return {
    metadata: records.map((record, i) => ({ topic: record.topic, partition: record.partition, offset: outcome.offsets[i]! })),
    values: wire.map((r) => (r.size < 0 ? null : values.subarray(r.start, r.start + r.size))),
  };
}
