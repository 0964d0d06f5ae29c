/**
 * A retention of records on both buses, as Kafka's `retention.ms` takes it: a positive number of
 * milliseconds, or `-1` to keep records forever.
 */
export function isRetentionMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && (value >= 1 || value === -1);
}
