/** Bytes of record values above which queued calls are no longer merged into one send. */
const MERGE_LIMIT_BYTES = 512 * 1024;

interface Pending<R, M> {
  records: R[];
  bytes: number;
  resolve(metadata: M[]): void;
  reject(error: unknown): void;
}

/**
 * Hands produce calls to the client without waiting for earlier ones, and merges the calls that
 * queue meanwhile into one send.
 *
 * The idempotent producer of @platformatic/kafka 2.x numbers each send's records when the send is
 * made, so sends may overlap without losing or reordering records (a test on a real broker proves
 * it). It still writes one request at a time per broker connection (Kafka's idempotence needs no
 * more), so a send issued while `maxOutstanding` are pending would only wait in the client's
 * queue: the calls made meanwhile wait here instead and go out together, in call order, as one
 * request. One send being written and the next already queued behind it keeps the connection busy
 * without a turn of the event loop between two requests.
 */
export class SendPipeline<R, M> {
  readonly #queue: Pending<R, M>[] = [];
  #outstanding = 0;
  #scheduled = false;

  constructor(
    private readonly send: (records: R[]) => Promise<M[]>,
    private readonly sizeOf: (record: R) => number,
    private readonly maxOutstanding = 2,
  ) {}

  enqueue(records: R[]): Promise<M[]> {
    return new Promise((resolve, reject) => {
      const bytes = records.reduce((n, r) => n + this.sizeOf(r), 0);
      this.#queue.push({ records, bytes, resolve, reject });
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
      while (this.#queue.length > 0 && (batch.length === 0 || bytes + this.#queue[0]!.bytes <= MERGE_LIMIT_BYTES)) {
        const next = this.#queue.shift()!;
        bytes += next.bytes;
        batch.push(next);
      }
      this.#outstanding++;
      this.#sendBatch(batch);
    }
  }

  #sendBatch(batch: Pending<R, M>[]): void {
    let sent: Promise<M[]>;
    try {
      sent = this.send(batch.flatMap((p) => p.records));
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
        },
        (error: unknown) => {
          for (const p of batch) p.reject(error);
        },
      )
      .finally(() => {
        this.#outstanding--;
        this.#pump();
      });
  }
}
