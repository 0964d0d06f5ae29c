/**
 * Following runs from a service through the bus itself, the counterpart of `RunStarter`: the
 * events topic read as the orchestrator writes it, the events that end a run (every event, for a
 * listener of them all) decoded and checked as the gateway decodes them, with no gateway, HTTP
 * request or WebSocket on the way, as BullMQ's `QueueEvents` reads Redis. For a service in the engine's process (the embedded bus is one process's) or one
 * that reaches the engine's Kafka cluster: it starts runs with a `RunStarter` and awaits their ends
 * here. On the bench's 2-core machine, every role in one process on the embedded bus, a flaky run's
 * end reached a watcher about 2 ms after its RunSucceeded, and the gateway's stream about 15 ms
 * after (bench/where-the-time-went.md).
 *
 * A watcher reads what is written after it opens, in a consumer group of its own that commits
 * nothing, and keeps no history but the last ends it read: a run that ended before it opened is
 * not seen here (the gateway's `GET /api/v1/runs/{runId}` has it).
 */
import { decodeEvent, decodeEventOfTypes, topicNames } from '@orchestrator-lite/core';
import type { ErrorInfo, RunEvent } from '@orchestrator-lite/core';
import { PayloadStore, withTimeout } from '@orchestrator-lite/transport';
import type { ConsumedRecord, Consumer, Transport } from '@orchestrator-lite/transport';
import { randomUUID } from 'node:crypto';

/** Ends kept for an `ended` asked after the end was read, by default. */
const KEPT_ENDS = 10_000;
const OPEN_TIMEOUT_MS = 30_000;
/** The events that end a run, and the one that opens an ended run again. */
const END_TYPES: ReadonlySet<string> = new Set(['RunSucceeded', 'RunFailed', 'RunCancelled', 'RunRetried']);

export interface RunWatcherOptions {
  transport: Transport;
  /** @default 'orch.' */
  topicPrefix?: string;
  /** Every event read, each run's in order; claim-checked payloads stay references. */
  onEvent?: (event: RunEvent) => void;
  /** A record of the events topic that does not decode: skipped here (the gateway dead-letters it). */
  onUndecodable?: (error: Error, record: ConsumedRecord) => void;
  /** How many of the last ends read are kept for an `ended` asked after them. @default 10,000 */
  keptEnds?: number;
}

/** How a run ended, from its RunSucceeded, RunFailed or RunCancelled. */
export type RunEnd = { runId: string; at: number } & (
  | { status: 'SUCCEEDED'; output: unknown }
  | { status: 'FAILED'; error: ErrorInfo; failedSteps: string[] }
  | { status: 'CANCELLED'; reason: string }
);

/** A run's end as its terminal event tells it; undefined for any other event. */
function runEndOf(event: RunEvent): RunEnd | undefined {
  const { runId, at } = event;
  switch (event.type) {
    case 'RunSucceeded':
      return { runId, at, status: 'SUCCEEDED', output: event.data.output };
    case 'RunFailed':
      return { runId, at, status: 'FAILED', error: event.data.error, failedSteps: event.data.failedSteps };
    case 'RunCancelled':
      return { runId, at, status: 'CANCELLED', reason: event.data.reason };
    default:
      return undefined;
  }
}

type Waiter = { resolve: (end: RunEnd) => void; reject: (error: Error) => void };

export class RunWatcher {
  readonly #consumer: Consumer;
  readonly #ends: RunEnds;
  readonly #payloads: PayloadStore;

  private constructor(consumer: Consumer, ends: RunEnds, payloads: PayloadStore) {
    this.#consumer = consumer;
    this.#ends = ends;
    this.#payloads = payloads;
  }

  /** Joins the events topic at its end and resolves once it reads every partition (within 30 s). */
  static async open(options: RunWatcherOptions): Promise<RunWatcher> {
    const names = topicNames(options.topicPrefix);
    const ends = new RunEnds(options.keptEnds ?? KEPT_ENDS);
    const consumer = await joinAtEnd(options.transport, names.events, eventReader(options, ends), (error) =>
      ends.fail(new Error(`The run watcher stopped reading ${names.events}: ${error.message}`)),
    );
    return new RunWatcher(consumer, ends, new PayloadStore(options.transport, { topic: names.payloads }));
  }

  /**
   * The run's next end: at once when it was among the last ends read, else once its terminal event
   * is read. A succeeded run's output comes with its claim-checked parts read back. `signal`
   * gives up waiting (the promise rejects with its reason).
   */
  async ended(runId: string, options: { signal?: AbortSignal } = {}): Promise<RunEnd> {
    const end = await this.#ends.next(runId, options.signal);
    return end.status === 'SUCCEEDED' ? { ...end, output: await this.#payloads.resolve(end.output) } : end;
  }

  /** Stops reading; every `ended` still waiting rejects. */
  async close(): Promise<void> {
    await this.#consumer.close();
    this.#ends.fail(new Error('The run watcher closed'));
  }
}

/**
 * What the watcher does with a record of the events topic: decode it (every event for a listener
 * of every event, else only those that end a run or open it again), hand it on, note an end.
 */
function eventReader({ onEvent, onUndecodable }: RunWatcherOptions, ends: RunEnds): (record: ConsumedRecord) => void {
  const decode = onEvent === undefined ? (value: Buffer | null) => decodeEventOfTypes(value, END_TYPES) : decodeEvent;
  return (record) => {
    let event: RunEvent | undefined;
    try {
      event = decode(record.value);
    } catch (error) {
      onUndecodable?.(error as Error, record);
      return;
    }
    if (event === undefined) return;
    onEvent?.(event);
    ends.read(event);
  };
}

/** A consumer group of its own on `topic`, reading from the end of each partition; resolves once it holds them all. */
async function joinAtEnd(transport: Transport, topic: string, read: (record: ConsumedRecord) => void, onError: (error: Error) => void): Promise<Consumer> {
  const partitions = await transport.partitionCount(topic);
  const { promise: assigned, resolve: whole } = Promise.withResolvers<void>();
  const consumer = await transport.subscribe({
    groupId: `orch-run-watcher-${randomUUID()}`,
    topics: [topic],
    from: 'latest',
    maxBatch: 1000,
    onAssign: (owned) => {
      if (owned.length === partitions) whole();
    },
    onBatch: async (records) => records.forEach(read),
    onError,
  });
  try {
    await withTimeout(assigned, OPEN_TIMEOUT_MS, `The run watcher's join of the ${partitions} partitions of ${topic}`);
  } catch (error) {
    await consumer.close();
    throw error;
  }
  return consumer;
}

/** The ends read and the waits for them. */
class RunEnds {
  readonly #kept = new Map<string, RunEnd>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  #failure: Error | undefined;

  constructor(private readonly capacity: number) {}

  read(event: RunEvent): void {
    // A retried run is open again: its end so far is not its next.
    if (event.type === 'RunRetried') this.#kept.delete(event.runId);
    const end = runEndOf(event);
    if (end === undefined) return;
    const waiting = this.#waiters.get(end.runId);
    if (waiting !== undefined) {
      this.#waiters.delete(end.runId);
      for (const waiter of waiting) waiter.resolve(end);
    }
    this.#kept.delete(end.runId);
    this.#kept.set(end.runId, end);
    if (this.#kept.size > this.capacity) this.#kept.delete(this.#kept.keys().next().value!);
  }

  next(runId: string, signal: AbortSignal | undefined): Promise<RunEnd> {
    const kept = this.#kept.get(runId);
    if (kept !== undefined) return Promise.resolve(kept);
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (end) => {
          signal?.removeEventListener('abort', abort);
          resolve(end);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', abort);
          reject(error);
        },
      };
      const abort = (): void => {
        const waiting = this.#waiters.get(runId);
        waiting?.delete(waiter);
        if (waiting?.size === 0) this.#waiters.delete(runId);
        waiter.reject(signal!.reason as Error);
      };
      signal?.addEventListener('abort', abort, { once: true });
      let waiting = this.#waiters.get(runId);
      if (waiting === undefined) this.#waiters.set(runId, (waiting = new Set()));
      waiting.add(waiter);
    });
  }

  /** Every wait rejects with `error`, and every later one. */
  fail(error: Error): void {
    this.#failure ??= error;
    for (const waiting of this.#waiters.values()) for (const waiter of waiting) waiter.reject(this.#failure);
    this.#waiters.clear();
  }
}
