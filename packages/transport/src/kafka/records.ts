import type { Consumer as KafkaConsumer } from '@platformatic/kafka';
import type { ConsumedRecord, Headers } from '../types.js';

/** The client's fetch types, which its entry point does not export. */
export type FetchResponse = Awaited<ReturnType<KafkaConsumer['fetch']>>;
export type FetchRequestTopic = Parameters<KafkaConsumer['fetch']>[0]['topics'][number];

/** Bit of a record batch's attributes that marks a transaction control batch. */
const IS_CONTROL = 0b10_0000;

export function headersToBuffers(headers: Headers | undefined): Map<Buffer, Buffer> | undefined {
  if (!headers) return undefined;
  const map = new Map<Buffer, Buffer>();
  for (const [k, v] of Object.entries(headers)) map.set(Buffer.from(k), Buffer.from(v));
  return map;
}

export interface PartitionFetchResult {
  partition: number;
  records: ConsumedRecord[];
  /** The offset to fetch next (past control batches and compacted gaps). */
  nextOffset: bigint | undefined;
  highWatermark: bigint;
}

/**
 * Decodes one topic's partitions of a fetch response. Records below `from` (a batch may start
 * before the requested offset) and control records are dropped.
 */
export function decodeFetch(
  response: FetchResponse,
  topicId: string,
  topic: string,
  fromByPartition: Map<number, bigint>,
): PartitionFetchResult[] {
  const out: PartitionFetchResult[] = [];
  for (const t of response.responses) {
    if (t.topicId !== topicId) continue;
    for (const p of t.partitions) {
      const from = fromByPartition.get(p.partitionIndex) ?? 0n;
      const records: ConsumedRecord[] = [];
      let nextOffset: bigint | undefined;
      for (const batch of p.records ?? []) {
        nextOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
        if (batch.attributes & IS_CONTROL) continue;
        for (const r of batch.records) {
          const offset = batch.firstOffset + BigInt(r.offsetDelta);
          if (offset < from) continue;
          const headers: Headers = {};
          for (const [hk, hv] of r.headers) if (hk) headers[hk.toString()] = hv ? hv.toString() : '';
          records.push({
            topic,
            partition: p.partitionIndex,
            offset: Number(offset),
            key: r.key ? r.key.toString() : '',
            value: r.value,
            headers,
            timestamp: Number(batch.firstTimestamp + r.timestampDelta),
          });
        }
      }
      out.push({ partition: p.partitionIndex, records, nextOffset, highWatermark: p.highWatermark });
    }
  }
  return out;
}

/** Rejects after `ms` unless `promise` settles first. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
