import type { GateState, RunState } from '@orchestrator-lite/core';
import type { OffsetCommit } from '@orchestrator-lite/transport';

/**
 * What one snapshot write covers: the runs and gates changed since the last one, each in the
 * state it had once the outputs of the batch that last changed it were written (a gate that
 * holds nobody: undefined), and the input offsets applied. Never a later state: a snapshot must
 * not get ahead of its outputs.
 */
export interface SnapshotBatch {
  runs: ReadonlyMap<string, RunState>;
  gates: ReadonlyMap<string, GateState | undefined>;
  offsets: OffsetCommit[];
}

/**
 * The snapshots of one partition, written in the background and in order, each once the one
 * before it has landed and at least `intervalMs` after it started. What the batches applied
 * meanwhile changed is written in one go: a run that took several steps in the interval is
 * written once, in its latest state, with the highest input offsets. `write` resolves false when
 * the partition is lost; what is queued is then dropped.
 */
export class SnapshotQueue {
  #runs = new Map<string, RunState>();
  #gates = new Map<string, GateState | undefined>();
  #offsets = new Map<string, OffsetCommit>();
  #loop: Promise<void> | undefined;
  #hurry = false;
  #wake: (() => void) | undefined;
  #startedAt = -Infinity;

  constructor(
    private readonly write: (batch: SnapshotBatch) => Promise<boolean>,
    private readonly intervalMs: number,
  ) {}

  /** Queues what a batch changed, as it is once the batch's outputs are written. */
  add(runs: ReadonlyMap<string, RunState>, gates: ReadonlyMap<string, GateState | undefined>, offsets: OffsetCommit[]): void {
    for (const [runId, state] of runs) this.#runs.set(runId, state);
    for (const [gateId, gate] of gates) this.#gates.set(gateId, gate);
    for (const o of offsets) {
      const key = `${o.topic}\u0000${o.partition}`;
      const current = this.#offsets.get(key);
      if (!current || current.offset < o.offset) this.#offsets.set(key, o);
    }
    this.#start();
  }

  /** Writes what is queued without waiting out the interval, and resolves once it has landed (or the partition is lost). */
  async flush(): Promise<void> {
    this.#hurry = true;
    this.#wake?.();
    await this.#loop;
    this.#hurry = false;
  }

  #start(): void {
    if (this.#loop || !this.#pending()) return;
    this.#loop = this.#run().finally(() => {
      this.#loop = undefined;
      this.#start();
    });
  }

  #pending(): boolean {
    return this.#runs.size > 0 || this.#gates.size > 0 || this.#offsets.size > 0;
  }

  async #run(): Promise<void> {
    while (this.#pending()) {
      const wait = this.#startedAt + this.intervalMs - Date.now();
      if (wait > 0 && !this.#hurry) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          setTimeout(resolve, wait).unref();
        });
        this.#wake = undefined;
      }
      this.#startedAt = Date.now();
      const batch: SnapshotBatch = { runs: this.#runs, gates: this.#gates, offsets: [...this.#offsets.values()] };
      this.#runs = new Map();
      this.#gates = new Map();
      this.#offsets = new Map();
      let landed: boolean;
      try {
        landed = await this.write(batch);
      } catch {
        landed = false;
      }
      if (!landed) {
        this.#runs.clear();
        this.#gates.clear();
        this.#offsets.clear();
      }
    }
  }
}
