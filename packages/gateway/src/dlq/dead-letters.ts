/**
 * Reading the dead-letter topic: each record is the original key, value and headers plus why it
 * was parked and where from (see transport's dead-letter.ts). An item's id is its own position on
 * the dead-letter topic, `<partition>-<offset>`; `topic/partition/offset` name its origin.
 */
import { DLQ_HEADERS } from '@orchestrator-lite/transport';
import type { ConsumedRecord, Headers, ProduceRecord, Transport } from '@orchestrator-lite/transport';
import type { DeadLetterItem } from '@orchestrator-lite/core';

/** Added to a redriven record, naming the dead letter it came from. */
export const REDRIVEN_FROM_HEADER = 'orch-redriven-from';

/** Where a record was consumed from: `topic/partition/offset` (topic names hold no '/'). */
export function parseSource(source: string | undefined): { topic: string; partition: number; offset: number } | undefined {
  if (source === undefined) return undefined;
  const match = /^(.+)\/(\d+)\/(\d+)$/.exec(source);
  if (match === null) return undefined;
  return { topic: match[1] ?? '', partition: Number(match[2]), offset: Number(match[3]) };
}

function decodeValue(value: Buffer | null): Pick<DeadLetterItem, 'value' | 'valueEncoding'> {
  if (value === null) return { value: null };
  const text = new TextDecoder('utf-8', { fatal: false }).decode(value);
  if (!Buffer.from(text, 'utf8').equals(value)) return { value: value.toString('base64'), valueEncoding: 'base64' };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { value: text, valueEncoding: 'utf8' };
  }
}

export function deadLetterId(partition: number, offset: number): string {
  return `${partition}-${offset}`;
}

export function toItem(record: ConsumedRecord): DeadLetterItem {
  const source = parseSource(record.headers[DLQ_HEADERS.source]);
  const at = Number(record.headers[DLQ_HEADERS.at]);
  return {
    id: deadLetterId(record.partition, record.offset),
    topic: source?.topic ?? null,
    partition: source?.partition ?? null,
    offset: source?.offset ?? null,
    key: record.key,
    reason: record.headers[DLQ_HEADERS.reason] ?? '',
    at: Number.isFinite(at) ? at : null,
    ...decodeValue(record.value),
    bytes: record.value?.length ?? 0,
  };
}

/** The original record, back to its original topic: the dead-letter headers replaced by one naming the dead letter. */
export function redriveRecord(record: ConsumedRecord): ProduceRecord | undefined {
  const source = parseSource(record.headers[DLQ_HEADERS.source]);
  if (source === undefined) return undefined;
  const headers: Headers = {};
  for (const [name, value] of Object.entries(record.headers)) {
    if (name !== DLQ_HEADERS.reason && name !== DLQ_HEADERS.source && name !== DLQ_HEADERS.at) headers[name] = value;
  }
  headers[REDRIVEN_FROM_HEADER] = deadLetterId(record.partition, record.offset);
  return { topic: source.topic, key: record.key, value: record.value, headers };
}

/** A position on the dead-letter topic: every partition's next offset to read. */
export type DlqPosition = number[];

/** Reads up to `limit` dead letters after `position`, partition by partition, oldest first. */
export async function readDeadLetters(
  transport: Transport,
  topic: string,
  position: DlqPosition,
  limit: number,
): Promise<{ records: ConsumedRecord[]; next: DlqPosition; more: boolean }> {
  const ends = await transport.endOffsets(topic);
  const next = ends.map((_, p) => position[p] ?? 0);
  const records: ConsumedRecord[] = [];
  for (let p = 0; p < ends.length && records.length < limit; p += 1) {
    const from = next[p] ?? 0;
    const to = Math.min(ends[p] ?? 0, from + (limit - records.length));
    if (from >= to) continue;
    for await (const batch of transport.readPartition(topic, p, { from, to })) {
      for (const record of batch) {
        records.push(record);
        next[p] = record.offset + 1;
      }
    }
    // Compaction or retention may leave holes: the read ends at `to` either way.
    next[p] = Math.max(next[p] ?? 0, to);
  }
  const more = ends.some((end, p) => (next[p] ?? 0) < end);
  return { records, next, more };
}
