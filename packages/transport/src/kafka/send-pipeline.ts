import type { WriteStats } from '../types.js';
import { chunkGroups, WRITE_CHUNK_BYTES } from '../write-chunks.js';
import { WriteTally } from '../write-stats.js';

interface Pending<R, M> {
  records: R[];
  bytes: number;
  queuedAt: number;
  resolve(metadata: M[]): void;
  reject(error: unknown): void;
}

/**
 * Hands produce calls to the client and merges the calls that queue while a send is in flight into
 * the next send, in call order: under load every request carries many calls' records, up to
 * `limit` bytes. A single call larger than that (one commit of wide fan-outs can write hundreds of
 * tasks to one partition, more than a broker takes in one record batch, which it would refuse on
 * every retry) goes out alone, as consecutive sends of at most `limit` bytes, in order.
 *
 * A send that ends starts the next one after the event loop's turn, not at once: the calls that the
 * turn's other callbacks make join it. With every role in one process on Kafka (chain10 at
 * saturation, alternated pairs) that was about 10% more steps a second for as much less CPU a step.
 *
 * One send in flight, not more. The idempotent producer of @platformatic/kafka 2.x numbers each
 * send's records when the send is made, and it writes one request at a time per broker connection
 * anyway, so a second send in flight would only wait in the client's queue. And it is not safe
 * here: with two overlapping sends that each span several partitions, a run of the transport's
 * concurrency test on a loaded machine read records twice (the client's recovery from an
 * out-of-order sequence re-sends under a new producer id). Sends to one partition overlapped
 * without loss or reorder in every run (see the tests), which is what 1.x got wrong.
 */
export class SendPipeline<R, M> {
  /**
   * Told of each send once acknowledged: its writes (each call's records, when it was made) and
   * the records' metadata in the same order, and when the send started and was acknowledged, all
   * in `performance.now()` milliseconds.
   */
  onAcknowledged: ((writes: readonly { records: R[]; queuedAt: number }[], metadata: M[], sentAt: number, acknowledgedAt: number) => void) | undefined;
  readonly #queue: Pending<R, M>[] = [];
  readonly #tally = new WriteTally();
  #outstanding = 0;
  #scheduled = false;

  constructor(
    private readonly send: (records: R[]) => Promise<M[]>,
    private readonly sizeOf: (record: R) => number,
    private readonly limit = WRITE_CHUNK_BYTES,
    private readonly maxOutstanding = 1,
  ) {}

  enqueue(records: R[]): Promise<M[]> {
    return new Promise((resolve, reject) => {
      const bytes = records.reduce((n, r) => n + this.sizeOf(r), 0);
      this.#queue.push({ records, bytes, queuedAt: performance.now(), resolve, reject });
      // Calls made in the same turn of the event loop share one send.
      if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(() => {
          this.#scheduled = false;
          this.#pump();
        });
      }
    });
  }

  #pump(): void {
    while (this.#outstanding < this.maxOutstanding && this.#queue.length > 0) {
      const batch: Pending<R, M>[] = [];
      let bytes = 0;
      while (this.#queue.length > 0 && (batch.length === 0 || bytes + this.#queue[0]!.bytes <= this.limit)) {
        const next = this.#queue.shift()!;
        bytes += next.bytes;
        batch.push(next);
      }
      this.#outstanding++;
      this.#sendBatch(batch);
    }
  }

  /** The sends' totals so far. */
  get stats(): WriteStats {
    return this.#tally.stats;
  }

  #sendBatch(batch: Pending<R, M>[]): void {
    let sent: Promise<M[]>;
    const sentAt = performance.now();
    try {
      this.#tally.dequeued(batch, sentAt);
      const records = batch.flatMap((p) => p.records);
      sent = batch.length === 1 && batch[0]!.bytes > this.limit ? this.#sendInChunks(records) : this.#timed(records);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent
      .then(
        (metadata) => {
          let at = 0;
          for (const p of batch) {
            p.resolve(metadata.slice(at, at + p.records.length));
            at += p.records.length;
          }
          this.onAcknowledged?.(batch, metadata, sentAt, performance.now());
        },
        (error: unknown) => {
          for (const p of batch) p.reject(error);
        },
      )
      .finally(() => {
        // The next send waits for the rest of this turn's I/O: the answer to this send often came
        // with fetched records whose handlers produce too, and they then share the next request.
        setImmediate(() => {
          this.#outstanding--;
          this.#pump();
        });
      });
  }

  /** One call over the limit: consecutive sends of at most `limit` bytes, each after the last. */
  async #sendInChunks(records: R[]): Promise<M[]> {
    const metadata: M[] = [];
    for (const chunk of chunkGroups(records.map((r) => [r]), this.limit, this.sizeOf)) metadata.push(...(await this.#timed(chunk)));
    return metadata;
  }

  /** One send, counted from its start to its answer, whatever the answer. */
  #timed(records: R[]): Promise<M[]> {
    const start = performance.now();
    return this.send(records).finally(() => this.#tally.requested(performance.now() - start));
  }
}
