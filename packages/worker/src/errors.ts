import type { ErrorInfo } from '@orchestrator-lite/core';

/** A failure that no retry can fix: the step fails at once, whatever its retry policy says. */
export class NonRetryableError extends Error {
  override readonly name: string = 'NonRetryableError';
  readonly type: string;
  readonly details: unknown;
  constructor(message: string, options: { type?: string; details?: unknown; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.type = options.type ?? 'NonRetryableError';
    this.details = options.details;
  }
}

/** A failure to retry after a delay the handler chooses (a rate limit's Retry-After, say). */
export class RetryAfterError extends Error {
  override readonly name: string = 'RetryAfterError';
  readonly type: string;
  readonly details: unknown;
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options: { type?: string; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) throw new RangeError(`retryAfterMs: must be a non-negative number, got ${retryAfterMs}`);
    this.type = options.type ?? 'RetryAfterError';
    this.details = options.details;
  }
}

/** How any thrown value crosses the bus. `type` is what `nonRetryableErrors` matches. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof NonRetryableError) {
    return { type: error.type, message: error.message, nonRetryable: true, ...(error.details === undefined ? {} : { details: error.details }) };
  }
  if (error instanceof RetryAfterError) {
    return { type: error.type, message: error.message, retryAfterMs: Math.round(error.retryAfterMs), ...(error.details === undefined ? {} : { details: error.details }) };
  }
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return { type: typeof code === 'string' ? code : error.name, message: error.message };
  }
  return { type: 'Error', message: typeof error === 'string' ? error : JSON.stringify(error) ?? String(error) };
}
