import type { ConsumedRecord } from '../types.js';

/** Records kept per partition; past this, the older half is dropped. */
const TAIL_LIMIT = 4096;

interface Tail {
  /** The offset of `records[0]`. */
  base: number;
  records: ConsumedRecord[];
}

/**
 * The latest records of each partition, in memory, as they were appended by this process. A
 * consumer that keeps up (the common case) reads them from here instead of querying SQLite; one
 * that is behind, or starts from the past, reads the database. The store is single-process, so
 * every append passes through here, after its transaction committed.
 */
export class TailCache {
  readonly #tails = new Map<string, Tail>();

  append(key: string, record: ConsumedRecord): void {
    let tail = this.#tails.get(key);
    if (tail === undefined || tail.base + tail.records.length !== record.offset) {
      tail = { base: record.offset, records: [] };
      this.#tails.set(key, tail);
    }
    tail.records.push(record);
    if (tail.records.length > TAIL_LIMIT) {
      const drop = tail.records.length - TAIL_LIMIT / 2;
      tail.records.splice(0, drop);
      tail.base += drop;
    }
  }

  /**
   * Drops the records appended before `before` (ms since the epoch) from each tail, its last one
   * excepted, as retention removes them from the file (expiry.ts): a read from before the tail
   * goes to the file, which serves what retention has not removed yet.
   */
  expire(before: number): void {
    for (const tail of this.#tails.values()) {
      let drop = 0;
      while (drop < tail.records.length - 1 && tail.records[drop]!.timestamp < before) drop += 1;
      if (drop === 0) continue;
      tail.records.splice(0, drop);
      tail.base += drop;
    }
  }

  /**
   * The records from `from` (inclusive) to `to` (exclusive), at most `maxRecords`; `undefined`
   * when `from` is older than the cached tail (the caller reads SQLite). Each consumer of a
   * partition gets the same record objects, frozen when appended: nothing a consumer does to one
   * reaches another, and none is copied per read.
   */
  read(key: string, from: number, to: number, maxRecords: number, maxBytes: number): ConsumedRecord[] | undefined {
    const tail = this.#tails.get(key);
    if (tail === undefined || from < tail.base) return undefined;
    const out: ConsumedRecord[] = [];
    let bytes = 0;
    const end = Math.min(tail.records.length, to - tail.base, from - tail.base + maxRecords);
    for (let i = from - tail.base; i < end; i++) {
      const r = tail.records[i]!;
      out.push(r);
      bytes += (r.value?.length ?? 0) + r.key.length;
      if (bytes >= maxBytes) break;
    }
    return out;
  }
}
