import { decodeState } from '@orchestrator-lite/core';
import type { RunState, WorkflowDefinition } from '@orchestrator-lite/core';
import type { Transport } from '@orchestrator-lite/transport';
import { TimerQueue } from './timer-queue.js';

/**
 * Everything the orchestrator holds for one owned partition p: the runs hashed to p, their
 * armed timers, and a promise chain that applies inputs of `commands/p` and `results/p` one
 * batch at a time (the two topics are delivered independently, but mutate the same runs).
 */
export class PartitionOwner {
  readonly runs = new Map<string, RunState>();
  readonly timers = new TimerQueue();
  /** `runId|timerId` of timers whose TimerFired is on the bus but not yet applied. */
  readonly fired = new Set<string>();
  #chain: Promise<void> = Promise.resolve();
  revoked = false;

  constructor(
    readonly partition: number,
    readonly definitions: DefinitionPool = new DefinitionPool(),
  ) {}

  /** Runs `work` after every earlier batch of this partition has been applied. */
  serialize(work: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(work);
    // Keep the chain alive after a failure; the caller still sees the rejection.
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** Waits for the batch in flight, if any. */
  drain(): Promise<void> {
    return this.#chain;
  }

  armTimers(state: RunState, previous?: RunState): void {
    for (const timer of state.timers) {
      const before = previous?.timers.find((t) => t.id === timer.id);
      if (before?.dueAt === timer.dueAt) continue;
      this.timers.push({ dueAt: timer.dueAt, runId: state.runId, timerId: timer.id });
    }
  }

  /**
   * Partition restore: folds the compacted changelog of p into the latest snapshot per run.
   * Compaction is lazy on Kafka, so several snapshots of one run may be read; the one with the
   * highest stateVersion wins, which also keeps a late write of a stale owner from rolling a run back.
   */
  async restore(transport: Transport, stateTopic: string): Promise<number> {
    let read = 0;
    for await (const batch of transport.readPartition(stateTopic, this.partition)) {
      for (const record of batch) {
        read += 1;
        if (record.value === null) {
          this.runs.delete(record.key);
          continue;
        }
        let state: RunState;
        try {
          state = decodeState(record.value);
        } catch {
          continue; // a snapshot this version cannot read is not ours to act on
        }
        const current = this.runs.get(state.runId);
        if (current && (current.stateVersion ?? 0) > (state.stateVersion ?? 0)) continue;
        this.runs.set(state.runId, this.definitions.intern(state));
      }
    }
    for (const state of this.runs.values()) this.armTimers(state);
    return read;
  }
}

/**
 * One definition object per distinct workflow definition, shared by every run of it. A snapshot
 * carries its definition (so a run never depends on a registry), but in memory thousands of
 * runs of one workflow then cost one copy, not thousands.
 */
export class DefinitionPool {
  readonly #pool = new Map<string, WorkflowDefinition>();

  intern(state: RunState): RunState {
    const key = `${state.workflow}@${state.version}:${JSON.stringify(state.definition)}`;
    const shared = this.#pool.get(key);
    if (shared === undefined) {
      this.#pool.set(key, state.definition);
      return state;
    }
    return shared === state.definition ? state : { ...state, definition: shared };
  }
}
