/**
 * Retry delays: an exponential base, capped, plus jitter as in AWS's "Exponential Backoff And
 * Jitter". Randomness is an argument so that the reducer stays pure and replayable.
 */
import type { RetryPolicy } from './definition/types.js';

export interface Backoff {
  /** The policy's exponential delay, before jitter: min(max, initial * coefficient^(attempt-1)). */
  baseDelayMs: number;
  /** delayMs - baseDelayMs; negative when jitter shortens the delay. */
  jitterMs: number;
  /** The delay actually used. */
  delayMs: number;
}

/**
 * @param failedAttempt the 1-based number of the attempt that just failed.
 * @param prevDelayMs the previous delay of this step (decorrelated jitter grows from it).
 * @param random a source of floats in [0, 1).
 */
export function computeBackoff(
  policy: RetryPolicy,
  failedAttempt: number,
  prevDelayMs: number | undefined,
  random: () => number,
): Backoff {
  const exponent = Math.max(0, failedAttempt - 1);
  const base = Math.min(policy.maxIntervalMs, policy.initialIntervalMs * Math.pow(policy.backoffCoefficient, exponent));
  let delay: number;
  switch (policy.jitter) {
    case 'none':
      delay = base;
      break;
    case 'full':
      delay = random() * base;
      break;
    case 'equal':
      delay = base / 2 + (random() * base) / 2;
      break;
    case 'decorrelated': {
      const prev = prevDelayMs ?? policy.initialIntervalMs;
      const span = Math.max(0, prev * 3 - policy.initialIntervalMs);
      delay = Math.min(policy.maxIntervalMs, policy.initialIntervalMs + random() * span);
      break;
    }
  }
  const baseDelayMs = Math.round(base);
  const delayMs = Math.max(0, Math.round(delay));
  return { baseDelayMs, jitterMs: delayMs - baseDelayMs, delayMs };
}
