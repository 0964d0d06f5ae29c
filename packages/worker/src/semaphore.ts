/**
 * Bounds how many handlers run at once. A freed permit goes to the waiter of the highest priority
 * (1 before 2 before 3), and among equals to the one that has waited longest.
 */
export class Semaphore {
  #free: number;
  /** Waiters by priority, lowest number (highest priority) first. */
  readonly #waiters = new Map<number, (() => void)[]>();

  constructor(permits: number) {
    this.#free = permits;
  }

  /** Takes a permit if one is free and nobody waits for it: no promise, no wait. */
  tryAcquire(): boolean {
    if (this.#free === 0) return false;
    this.#free -= 1;
    return true;
  }

  /** @param priority 1 (high) to 3 (low); lower numbers are served first. @default 2 */
  acquire(priority = 2): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve) => {
      const queue = this.#waiters.get(priority);
      if (queue === undefined) this.#waiters.set(priority, [resolve]);
      else queue.push(resolve);
    });
  }

  release(): void {
    // The waiters' queues are never empty: a queue is removed with its last waiter.
    let priority: number | undefined;
    for (const p of this.#waiters.keys()) if (priority === undefined || p < priority) priority = p;
    if (priority === undefined) {
      this.#free += 1;
      return;
    }
    const queue = this.#waiters.get(priority)!;
    const next = queue.shift()!;
    if (queue.length === 0) this.#waiters.delete(priority);
    next();
  }

  /** Records waiting for a permit. */
  get waiting(): number {
    let n = 0;
    for (const queue of this.#waiters.values()) n += queue.length;
    return n;
  }
}
