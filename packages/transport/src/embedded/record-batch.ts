/**
 * The records of a topic that is not compacted are kept in batches: the records one group commit
 * appended to one partition, in offset order, packed in one blob of one row (as a Kafka segment
 * holds record batches). A group commit of the engine appends about 48 records to about 3
 * partitions, so a transaction inserts 3 rows, not 48: the row, its index entry and the statement
 * cost more than the bytes.
 *
 * Each record in the blob, little-endian: the key's length (u32) and UTF-8 bytes; the value's
 * length (i32, -1 for null) and bytes; the headers' length (u32, 0 for none) and JSON text. The
 * offset of a record is the batch's first offset plus its index; the batch has one timestamp.
 */
import type { ConsumedRecord, Headers } from '../types.js';

/**
 * Records in one batch at most: expiry removes whole batches, a slice at a time. Reads rely on it
 * to bound their scan of a file's batches, so it may grow but never shrink.
 */
export const BATCH_MAX_RECORDS = 64;
/** Bytes in one batch at most, unless it holds one record. */
export const BATCH_MAX_BYTES = 1 << 20;

/** A record as a batch holds it. */
export interface BatchedRecord {
  key: string;
  value: Uint8Array | null;
  headers?: Headers | undefined;
}

/** The headers as JSON text, empty for none (a batch holds them so; a row of `records`, '{}'). */
export function headersText(headers: Headers | undefined): string {
  if (headers === undefined) return '';
  for (const _name in headers) return JSON.stringify(headers);
  return '';
}

/** What a record takes in a batch, without its headers' text. */
const FRAME_BYTES = 12;

/** Packs the records into one blob. */
export function encodeBatch(records: readonly BatchedRecord[]): Buffer {
  const keys = records.map((r) => Buffer.byteLength(r.key));
  const headers = records.map((r) => headersText(r.headers));
  const headerBytes = headers.map((text) => (text === '' ? 0 : Buffer.byteLength(text)));
  let size = 0;
  records.forEach((r, i) => (size += FRAME_BYTES + keys[i]! + (r.value?.length ?? 0) + headerBytes[i]!));
  const blob = Buffer.allocUnsafe(size);
  let at = 0;
  records.forEach((r, i) => {
    at = blob.writeUInt32LE(keys[i]!, at);
    at += blob.write(r.key, at);
    if (r.value === null) {
      at = blob.writeInt32LE(-1, at);
    } else {
      at = blob.writeInt32LE(r.value.length, at);
      blob.set(r.value, at);
      at += r.value.length;
    }
    const length = headerBytes[i]!;
    at = blob.writeUInt32LE(length, at);
    if (length > 0) at += blob.write(headers[i]!, at);
  });
  return blob;
}

/** About the bytes a record adds to a batch, as `BATCH_MAX_BYTES` counts them. */
export function batchedSize(record: BatchedRecord): number {
  return FRAME_BYTES + record.key.length + (record.value?.length ?? 0);
}

/**
 * Appends to `out` the records of a batch whose offsets are from `from` (inclusive) to `to`
 * (exclusive), until `out` holds `maxRecords` or what it appended reaches `maxBytes` (at least
 * one record); values are views of `blob`. Returns the bytes it appended, as reads count them.
 */
export function decodeBatch(
  blob: Buffer,
  batch: { topic: string; partition: number; baseOffset: number; timestamp: number },
  range: { from: number; to: number; maxRecords: number; maxBytes: number },
  out: ConsumedRecord[],
): number {
  let bytes = 0;
  let at = 0;
  for (let offset = batch.baseOffset; at < blob.length && offset < range.to && out.length < range.maxRecords && bytes < range.maxBytes; offset++) {
    const keyLength = blob.readUInt32LE(at);
    const key = blob.toString('utf8', at + 4, at + 4 + keyLength);
    at += 4 + keyLength;
    const valueLength = blob.readInt32LE(at);
    at += 4;
    const value = valueLength < 0 ? null : blob.subarray(at, at + valueLength);
    at += Math.max(valueLength, 0);
    const headersLength = blob.readUInt32LE(at);
    at += 4 + headersLength;
    if (offset < range.from) continue;
    const headers = headersLength === 0 ? {} : (JSON.parse(blob.toString('utf8', at - headersLength, at)) as Headers);
    out.push({ topic: batch.topic, partition: batch.partition, offset, key, value, headers, timestamp: batch.timestamp });
    bytes += Math.max(valueLength, 0) + key.length + headersLength;
  }
  return bytes;
}
