import type { Consumer as KafkaConsumer } from '@platformatic/kafka';
import { NO_HEADERS } from '../no-headers.js';
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

function headersOf(pairs: Iterable<[Buffer | null, Buffer | null]>): Headers {
  let headers: Headers | undefined;
  for (const [hk, hv] of pairs) if (hk) (headers ??= {})[hk.toString()] = hv ? hv.toString() : '';
  return headers ?? NO_HEADERS;
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
      // Offsets and times as numbers, reckoned once a batch: a log's offsets stay far below 2^53.
      const from = Number(fromByPartition.get(p.partitionIndex) ?? 0n);
      const records: ConsumedRecord[] = [];
      let nextOffset: bigint | undefined;
      for (const batch of p.records ?? []) {
        nextOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
        if (batch.attributes & IS_CONTROL) continue;
        const firstOffset = Number(batch.firstOffset);
        const firstTimestamp = Number(batch.firstTimestamp);
        for (const r of batch.records) {
          const offset = firstOffset + r.offsetDelta;
          if (offset < from) continue;
          records.push({
            topic,
            partition: p.partitionIndex,
            offset,
            key: r.key ? r.key.toString() : '',
            value: r.value,
            headers: headersOf(r.headers),
            timestamp: firstTimestamp + Number(r.timestampDelta),
          });
        }
      }
      out.push({ partition: p.partitionIndex, records, nextOffset, highWatermark: p.highWatermark });
    }
  }
  return out;
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
