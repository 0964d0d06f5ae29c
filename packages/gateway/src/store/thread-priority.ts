/**
 * A thread's own scheduling priority. On Linux each thread is a task with a nice value of its own,
 * which `setpriority` sets when given the thread's id; a thread starts with its creator's.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * How much less the read store's thread asks of the CPU than the event loop that feeds it.
 *
 * The event loop hands the thread a batch, and the thread wakes on the event loop's core, which
 * then waits while the thread runs: about every other millisecond on Kafka, each time ~150 us of
 * the event loop's time (a `postMessage` took 110-230 us of the loop's wall time at saturation,
 * 60-80 us with the thread niced). A nicer thread does not take the core from the loop that woke
 * it: it runs on a core that is free, or after. It still gets its share, and when it falls behind
 * the gateway only fetches larger batches.
 */
export const READ_STORE_NICE_INCREMENT = 10;

/** The highest (least favoured) nice value. */
const NICE_MAX = 19;

/**
 * Adds `increment` to the calling thread's nice value (up to 19), so that it runs after the
 * process's other threads when they want the same core. Needs no privilege: only lowering a
 * nice value does. Returns the new value, or undefined where a thread has no priority of its own
 * (not Linux) or it could not be set.
 */
export function lowerThisThreadPriority(increment: number): number | undefined {
  if (!Number.isInteger(increment) || increment < 0) throw new RangeError(`lowerThisThreadPriority: increment must be a non-negative integer, got ${increment}`);
  if (process.platform !== 'linux') return undefined;
  try {
    // `/proc/thread-self` links to `<pid>/task/<tid>`.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    const nice = Math.min(NICE_MAX, getPriority(tid) + increment);
    setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return undefined;
  }
}
