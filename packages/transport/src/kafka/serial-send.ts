/** Bytes of record values above which queued calls are no longer merged into one send. */
const MERGE_LIMIT_BYTES = 512 * 1024;

interface Pending<R, M> {
  records: R[];
  bytes: number;
  resolve(metadata: M[]): void;
  reject(error: unknown): void;
}

/**
 * Keeps one send in flight and merges the calls that queue meanwhile into the next one.
 *
 * Why: the idempotent producer of @platformatic/kafka 1.x advances a partition's sequence number
 * only when a send's response arrives, so two sends in flight to one partition carry the same
 * sequence. The broker takes the second for a retry of the first and acknowledges it without
 * writing it: the record is lost while its caller sees success. One send at a time keeps the
 * sequences right; merging keeps the throughput of concurrent callers.
 */
export class SerialSender<R, M> {
  readonly #queue: Pending<R, M>[] = [];
  #sending = false;

  constructor(
    private readonly send: (records: R[]) => Promise<M[]>,
    private readonly sizeOf: (record: R) => number,
  ) {}

  enqueue(records: R[]): Promise<M[]> {
    return new Promise((resolve, reject) => {
      const bytes = records.reduce((n, r) => n + this.sizeOf(r), 0);
      this.#queue.push({ records, bytes, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#sending || this.#queue.length === 0) return;
    const batch: Pending<R, M>[] = [];
    let bytes = 0;
    while (this.#queue.length > 0 && (batch.length === 0 || bytes + this.#queue[0]!.bytes <= MERGE_LIMIT_BYTES)) {
      const next = this.#queue.shift()!;
      bytes += next.bytes;
      batch.push(next);
    }
    this.#sending = true;
    this.send(batch.flatMap((p) => p.records))
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
        this.#sending = false;
        this.#pump();
      });
  }
}
