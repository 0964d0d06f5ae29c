import type { ProduceRecord } from './types.js';

/**
 * Bytes of keys, values and headers in one produce request on Kafka: well under a broker's
 * `message.max.bytes`. A larger write goes out as consecutive requests, each of which lands or
 * fails as a whole per partition, so a write that fails midway may have landed in part.
 */
export const WRITE_CHUNK_BYTES = 512 * 1024;

export function recordBytes(r: ProduceRecord): number {
  let bytes = (r.value?.length ?? 0) + Buffer.byteLength(r.key);
  for (const [k, v] of Object.entries(r.headers ?? {})) bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  return bytes;
}

/**
 * Packs `groups` of records, in order, into chunks of at most `limit` bytes without splitting a
 * group (a single larger group is a chunk of its own): writers that need some records to land
 * together (a run's snapshot) pass them as one group and write chunk by chunk.
 */
export function chunkGroups<R = ProduceRecord>(groups: readonly R[][], limit = WRITE_CHUNK_BYTES, sizeOf: (record: R) => number = recordBytes as (record: R) => number): R[][] {
  const chunks: R[][] = [];
  let current: R[] = [];
  let bytes = 0;
  for (const group of groups) {
    const size = group.reduce((n, r) => n + sizeOf(r), 0);
    if (current.length > 0 && bytes + size > limit) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(...group);
    bytes += size;
  }
  if (current.length > 0 || chunks.length === 0) chunks.push(current);
  return chunks;
}
