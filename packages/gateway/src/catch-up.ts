/** Per-partition progress of one topic against the end offsets measured at start. */
export class CatchUp {
  private readonly consumed: number[];
  private readonly waiters = new Set<() => void>();

  constructor(private readonly target: readonly number[]) {
    this.consumed = target.map(() => 0);
  }

  /** Records that every offset below `next` of `partition` has been handled. */
  reach(partition: number, next: number): void {
    if (next > (this.consumed[partition] ?? 0)) this.consumed[partition] = next;
    if (this.waiters.size > 0 && this.done) {
      for (const wake of this.waiters) wake();
      this.waiters.clear();
    }
  }

  get done(): boolean {
    return this.target.every((end, p) => (this.consumed[p] ?? 0) >= end);
  }

  /** True once caught up; false if `timeoutMs` passes first. */
  wait(timeoutMs: number): Promise<boolean> {
    if (this.done) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.waiters.add(wake);
    });
  }
}
