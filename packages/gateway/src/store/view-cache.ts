/** A bounded least-recently-used map of run views: the read model's only per-run memory. */
import type { RunView } from '@orchestrator-lite/core/projection';

export class ViewCache<T = RunView> {
  private readonly map = new Map<string, T>();

  constructor(private readonly capacity: number) {}

  get(runId: string): T | undefined {
    const view = this.map.get(runId);
    if (view !== undefined) {
      this.map.delete(runId);
      this.map.set(runId, view);
    }
    return view;
  }

  /** The entry, without making it the most recently used. */
  peek(runId: string): T | undefined {
    return this.map.get(runId);
  }

  entries(): IterableIterator<[string, T]> {
    return this.map.entries();
  }

  /** Returns the entry this one pushed out, if any. */
  set(runId: string, view: T): [string, T] | undefined {
    this.map.delete(runId);
    this.map.set(runId, view);
    if (this.map.size <= this.capacity) return undefined;
    const oldest = this.map.entries().next();
    if (oldest.done === true) return undefined;
    this.map.delete(oldest.value[0]);
    return oldest.value;
  }

  delete(runId: string): void {
    this.map.delete(runId);
  }

  get size(): number {
    return this.map.size;
  }
}
