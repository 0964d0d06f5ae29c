import { z } from 'zod';

/**
 * A retention of records on both buses, as Kafka's `retention.ms` takes it: a positive number of
 * milliseconds, or `-1` to keep records forever.
 */
function isRetentionMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && (value >= 1 || value === -1);
}

/** A retention option of either bus, checked by `isRetentionMs`. */
export function retentionOption() {
  return z.custom<number>(isRetentionMs, { error: (issue) => `must be a positive integer, or -1 to keep records forever, got ${String(issue.input)}` });
}
