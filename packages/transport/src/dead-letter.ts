import type { ConsumedRecord, ProduceRecord } from './types.js';

export const DLQ_HEADERS = {
  reason: 'orch-dlq-reason',
  source: 'orch-dlq-source',
  at: 'orch-dlq-at',
} as const;

/**
 * The record that parks `record` on the dead-letter topic: the original key, value and headers,
 * plus why and where from, so nothing that was accepted on the bus is silently lost.
 */
export function deadLetter(record: ConsumedRecord, reason: string, dlqTopic: string, now: number = Date.now()): ProduceRecord {
  return {
    topic: dlqTopic,
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [DLQ_HEADERS.reason]: reason.slice(0, 1000),
      [DLQ_HEADERS.source]: `${record.topic}/${record.partition}/${record.offset}`,
      [DLQ_HEADERS.at]: String(now),
    },
  };
}
