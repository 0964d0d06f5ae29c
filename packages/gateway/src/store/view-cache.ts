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

  set(runId: string, view: T): void {
    this.map.delete(runId);
    this.map.set(runId, view);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
  }

  delete(runId: string): void {
    this.map.delete(runId);
  }

  get size(): number {
    return this.map.size;
  }
}
