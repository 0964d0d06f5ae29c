/**
 * Run ids: UUIDv7 strings (time-ordered, URL-safe, 36 characters), and their deterministic
 * counterpart for idempotency keys (UUIDv8, the same format, derived from a SHA-256 hash).
 */
import { createHash, randomUUID } from 'node:crypto';

let lastMs = -1;
let counter = 0;

/**
 * A new UUIDv7: 48 bits of milliseconds, then a 12-bit counter that keeps ids created within
 * one millisecond in order, then random bits from crypto.randomUUID.
 */
export function newRunId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    // Start low in the counter's range, so that many ids in one millisecond still fit.
    counter = Math.floor(Math.random() * 0x400);
  } else {
    counter++;
    if (counter > 0xfff) {
      // The counter overflowed: borrow the next millisecond, keeping the order.
      lastMs++;
      counter = 0;
    }
  }
  const ms = lastMs.toString(16).padStart(12, '0').slice(-12);
  const rand = randomUUID().replace(/-/g, '');
  const hex = `${ms}7${counter.toString(16).padStart(3, '0')}${rand.slice(16)}`;
  return formatUuid(hex);
}

/** The run id a (workflow, idempotency key) pair always maps to: the same request, the same run. */
export function runIdForIdempotencyKey(workflow: string, key: string): string {
  const digest = createHash('sha256').update(workflow).update('\u0000').update(key).digest('hex');
  const variant = ((parseInt(digest.charAt(16), 16) & 0x3) | 0x8).toString(16);
  const hex = `${digest.slice(0, 12)}8${digest.slice(13, 16)}${variant}${digest.slice(17, 32)}`;
  return formatUuid(hex);
}

function formatUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export const RUN_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[78][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
