import { randomBytes } from 'node:crypto';
import { errorMessage } from '@orchestrator-lite/core';

/** A random topic prefix such as `t-3f9a1c2b.`, so tests never share topics or groups. */
export function randomPrefix(label = 't'): string {
  return `${label}-${randomBytes(4).toString('hex')}.`;
}

export interface WaitForOptions {
  /** @default 10000 */
  timeoutMs?: number;
  /** @default 50 */
  intervalMs?: number;
  /** Names the condition in the timeout error. */
  description?: string;
}

/**
 * Polls `fn` until it returns a value other than `undefined`, `null` or `false`, and returns it.
 * Errors thrown by `fn` count as "not yet"; the last one is attached to the timeout error.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, options: WaitForOptions = {}): Promise<Exclude<T, false | null | undefined>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, false | null | undefined>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`waitFor: ${options.description ?? 'condition'} not met within ${timeoutMs} ms`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(1, deadline - Date.now()))));
  }
}

/** Polls `url` until it answers 2xx; throws with the last status or error after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs = 15_000): Promise<void> {
  let last = 'no answer';
  await waitFor(async () => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.min(2000, timeoutMs)) });
      await res.body?.cancel();
      last = `HTTP ${res.status}`;
      return res.ok;
    } catch (error) {
      last = errorMessage(error);
      return false;
    }
  }, { timeoutMs, intervalMs: 100, description: `${url} healthy` }).catch((error: unknown) => {
    throw new Error(`waitForHttp: ${url} not healthy within ${timeoutMs} ms (last: ${last})`, { cause: error });
  });
}
