import { defineTask, NonRetryableError } from '@orchestrator-lite/worker';
import type { TaskDefinition } from '@orchestrator-lite/worker';

const asObject = (input: unknown): Record<string, unknown> =>
  input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {};

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Returns its input. */
export const echo = defineTask('demo.echo', (input: unknown) => input ?? null);

/** Sleeps `ms` (default 1000) in `ticks` slices (default 10), reporting progress; stops when aborted. */
export const sleepTask = defineTask('demo.sleep', async (input: unknown, ctx) => {
  const { ms = 1000, ticks = 10 } = asObject(input) as { ms?: number; ticks?: number };
  const total = Math.max(0, Math.min(Number(ms) || 0, 3_600_000));
  const slices = Math.max(1, Math.min(Number(ticks) || 1, 1000));
  ctx.log(`sleeping ${total} ms (attempt ${ctx.attempt}, key ${ctx.idempotencyKey})`);
  for (let i = 1; i <= slices; i++) {
    await sleep(total / slices, ctx.signal);
    ctx.progress(i / slices, `${Math.round((total * i) / slices)} of ${total} ms`);
  }
  return { sleptMs: total, idempotencyKey: ctx.idempotencyKey };
});

/** Fails its first `failTimes` attempts (default 2), then succeeds with its input and the attempt number. */
export const flaky = defineTask('demo.flaky', (input: unknown, ctx) => {
  const fields = asObject(input);
  const failTimes = Number(fields.failTimes ?? 2);
  if (ctx.attempt <= failTimes) {
    ctx.log('warn', `failing on purpose: attempt ${ctx.attempt} of the first ${failTimes}`);
    throw new Error(`flaky: attempt ${ctx.attempt} fails (failTimes=${failTimes})`);
  }
  return { ...fields, succeededOnAttempt: ctx.attempt };
});

/** Always fails; `{nonRetryable: true}` makes the failure final at once. */
export const fail = defineTask('demo.fail', (input: unknown) => {
  const { nonRetryable = false, message = 'demo.fail always fails' } = asObject(input) as { nonRetryable?: boolean; message?: string };
  if (nonRetryable) throw new NonRetryableError(String(message), { type: 'DemoFailure' });
  throw new Error(String(message));
});

export const demoTasks: readonly TaskDefinition[] = [echo, sleepTask, flaky, fail] as TaskDefinition[];
