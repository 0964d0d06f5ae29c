import type { RetryPolicy } from './types.js';

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 3,
  initialIntervalMs: 1000,
  backoffCoefficient: 2,
  maxIntervalMs: 60_000,
  jitter: 'full',
  nonRetryableErrors: [],
});

/** A step's retry policy with every absent field taken from DEFAULT_RETRY_POLICY. */
export function resolveRetryPolicy(p?: Partial<RetryPolicy>): RetryPolicy {
  const d = DEFAULT_RETRY_POLICY;
  return {
    maxAttempts: p?.maxAttempts ?? d.maxAttempts,
    initialIntervalMs: p?.initialIntervalMs ?? d.initialIntervalMs,
    backoffCoefficient: p?.backoffCoefficient ?? d.backoffCoefficient,
    maxIntervalMs: p?.maxIntervalMs ?? d.maxIntervalMs,
    jitter: p?.jitter ?? d.jitter,
    nonRetryableErrors: [...(p?.nonRetryableErrors ?? d.nonRetryableErrors)],
  };
}

/** The limits validation enforces; exported so that forms and docs can show them. */
export const DEFINITION_LIMITS = Object.freeze({
  maxSteps: 500,
  /** The largest `concurrency.limit`. */
  maxConcurrencyLimit: 10_000,
  /** The longest value a concurrency key may evaluate to, in characters. */
  maxConcurrencyKeyLength: 256,
  maxAttempts: 100,
  maxIntervalMs: 86_400_000,
  maxBackoffCoefficient: 100,
  maxTimeoutMs: 7 * 86_400_000,
  maxTaskLength: 200,
  maxDescriptionLength: 2000,
  maxExpressionLength: 2000,
  /** The most elements a forEach list may hold at run time. */
  maxForEachItems: 1000,
  maxSleepMs: 366 * 86_400_000,
});

export const STEP_ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
export const WORKFLOW_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
export const SIGNAL_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
export const QUEUE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
