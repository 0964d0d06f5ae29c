/**
 * The SQLite read store on a worker thread of its own. Writing a batch (its events' rows, the runs'
 * rows, the counters, the checkpoint) took about a seventh of the event loop of an engine with
 * every role in one process; here it runs beside the event loop, on the machine's other core.
 *
 * Every call of `ReadStore` goes to the thread and its answer comes back; the calls of one task of
 * the event loop go as one message (transport's ThreadChannel). A batch goes as one
 * JSON text of its events (the cheapest thing to copy between threads), and what comes back names
 * the accepted events by their index in the batch, so the gateway publishes its own event objects.
 */
import { Worker } from 'node:worker_threads';
import type { RunEvent, RunView } from '@orchestrator-lite/core/projection';
import { threadLimits } from '@orchestrator-lite/transport';
import { ThreadChannel } from '@orchestrator-lite/transport/thread-channel';
import type { SqliteReadStoreOptions } from './sqlite-store.js';
import type { AcceptedListener, BatchResult, IncomingRecord, ReadStore, RunListQuery, RunListResult, StoredEvent } from './types.js';

/** A batch on its way to the thread: the decoded events as one JSON array, `null` where a record did not decode. */
export interface WireBatch {
  partition: number;
  offsets: number[];
  events: string;
  nextOffset: number;
}

/** A batch's result with its events named by their index in the batch. */
export interface WireBatchResult {
  accepted: number[];
  duplicates: number;
  expired: number;
  projectionErrors: { index: number; message: string }[];
  applied: boolean;
}

type Methods = Omit<ReadStore, 'kind' | 'publishesInTransaction' | 'id' | 'watch' | 'applyBatch'> & { applyBatch(batch: WireBatch): Promise<WireBatchResult> };

export type StoreRequest = { [M in keyof Methods]: { method: M; args: Parameters<Methods[M]> } }[keyof Methods];

/** What the thread says while it opens its store (what takes long), then that it is open (with its id) or could not be. */
export type StoreOpened = { note: string } | { ready: string } | { failed: string };

export class ThreadedSqliteReadStore implements ReadStore {
  readonly kind = 'sqlite' as const;
  readonly publishesInTransaction = false;
  readonly #worker: Worker;
  readonly #channel: ThreadChannel<StoreRequest>;

  private constructor(
    worker: Worker,
    readonly id: string,
  ) {
    this.#worker = worker;
    this.#channel = new ThreadChannel(worker, (cause) => new Error(`The read store's thread stopped: ${cause.message}`));
  }

  /**
   * Starts the thread, which opens the file, and resolves once it is open. `onNote` hears what the
   * thread says it is doing meanwhile (see SqliteReadStoreOptions).
   */
  static async open(options: Omit<SqliteReadStoreOptions, 'onNote'>, onNote: (note: string) => void = () => undefined): Promise<ThreadedSqliteReadStore> {
    const worker = new Worker(new URL('./sqlite-thread-worker.js', import.meta.url), { workerData: options, resourceLimits: threadLimits() });
    let onMessage: (reply: StoreOpened) => void = () => undefined;
    let onError: (error: Error) => void = () => undefined;
    const opened = new Promise<string>((resolve, reject) => {
      onMessage = (reply) => {
        if ('note' in reply) onNote(reply.note);
        else if ('ready' in reply) resolve(reply.ready);
        else if ('failed' in reply) reject(new Error(`Could not open the read store ${options.path}: ${reply.failed}`));
      };
      onError = reject;
    });
    worker.on('message', onMessage).on('error', onError);
    let id: string;
    try {
      id = await opened;
    } catch (error) {
      await worker.terminate();
      throw error;
    } finally {
      worker.off('message', onMessage).off('error', onError);
    }
    return new ThreadedSqliteReadStore(worker, id);
  }

  async applyBatch(partition: number, records: readonly IncomingRecord[], nextOffset: number, onAccepted?: AcceptedListener): Promise<BatchResult> {
    // Each event's text once: the thread takes the array of them, the stream's frames each its own.
    const texts = records.map((r) => JSON.stringify(r.event ?? null));
    const batch: WireBatch = { partition, offsets: records.map((r) => r.offset), events: `[${texts.join(',')}]`, nextOffset };
    const wire = await this.#call('applyBatch', [batch]);
    const stored = (index: number): StoredEvent => ({ event: records[index]!.event!, partition, offset: records[index]!.offset, json: texts[index]! });
    const result = {
      accepted: wire.accepted.map(stored),
      duplicates: wire.duplicates,
      expired: wire.expired,
      projectionErrors: wire.projectionErrors.map(({ index, message }) => ({ event: records[index]!.event as RunEvent, error: new Error(message) })),
      applied: wire.applied,
    };
    // After the thread's commit: this thread reads the store only through the same thread.
    if (result.applied) onAccepted?.(result.accepted);
    return result;
  }

  checkpoint(): Promise<number[]> {
    return this.#call('checkpoint', []);
  }

  getRun(runId: string): Promise<RunView | undefined> {
    return this.#call('getRun', [runId]);
  }

  listRuns(query: RunListQuery): Promise<RunListResult> {
    return this.#call('listRuns', [query]);
  }

  counts(workflow?: string): Promise<Awaited<ReturnType<ReadStore['counts']>>> {
    return this.#call('counts', [workflow]);
  }

  countsByWorkflow(): ReturnType<ReadStore['countsByWorkflow']> {
    return this.#call('countsByWorkflow', []);
  }

  stepCounts(): ReturnType<ReadStore['stepCounts']> {
    return this.#call('stepCounts', []);
  }

  runEvents(runId: string, since: number, limit: number): Promise<StoredEvent[]> {
    return this.#call('runEvents', [runId, since, limit]);
  }

  partitionEvents(partition: number, from: number, limit: number): Promise<StoredEvent[]> {
    return this.#call('partitionEvents', [partition, from, limit]);
  }

  expireRuns(endedBefore: number, limit: number): Promise<string[]> {
    return this.#call('expireRuns', [endedBefore, limit]);
  }

  forgetExpired(endedBefore: number, limit: number): Promise<number> {
    return this.#call('forgetExpired', [endedBefore, limit]);
  }

  /** Closes the file on the thread, then ends the thread. */
  async close(): Promise<void> {
    if (this.#channel.failure !== undefined) return;
    await this.#call('close', []);
    await this.#worker.terminate();
  }

  #call<M extends keyof Methods>(method: M, args: Parameters<Methods[M]>): Promise<Awaited<ReturnType<Methods[M]>>> {
    return this.#channel.call({ method, args } as StoreRequest);
  }
}
