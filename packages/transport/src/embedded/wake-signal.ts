/**
 * Wakes idle delivery loops when records are appended to a partition within the process, so new
 * records are delivered at once instead of at the next poll. A wait also ends after `timeoutMs`
 * (the safety-net poll) or when `signal` aborts.
 *
 * There is no lost wake-up between "read found nothing" and "wait": both run in the same
 * synchronous turn, and appends are synchronous too.
 */
export class WakeSignal {
  private readonly waiters = new Map<string, Set<() => void>>();

  notify(key: string): void {
    const set = this.waiters.get(key);
    if (set === undefined) return;
    this.waiters.delete(key);
    for (const wake of set) wake();
  }

  wait(key: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      let set = this.waiters.get(key);
      if (set === undefined) {
        set = new Set();
        this.waiters.set(key, set);
      }
      const waiters = set;
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        waiters.delete(done);
        if (waiters.size === 0 && this.waiters.get(key) === waiters) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      waiters.add(done);
    });
  }
}
