import { containsClaimCheck } from '@orchestrator-lite/core';
import type { GateState, InputStretch, RunState } from '@orchestrator-lite/core';
import type { Transport } from '@orchestrator-lite/transport';
import { ChildStepSpans } from './child-spans.js';
import type { DefinitionPool } from './definition-pool.js';
import { FinishedRuns } from './finished-runs.js';
import { readPartitionState, readRun } from './state-reader.js';
import { TimerQueue } from './timer-queue.js';
import { SnapshotQueue } from './snapshot-queue.js';
import { AppliedOrder } from './input-order.js';
import type { ReplayOrder } from './input-order.js';
import type { SnapshotBatch } from './snapshot-queue.js';

/** A timer's entry in `PartitionOwner.fired`. */
export function firedKey(runId: string, timerId: string): string {
  return `${runId}|${timerId}`;
}

/**
 * Everything the orchestrator holds for one owned partition p: the runs in flight hashed to p,
 * a few bytes per run that has ended (`finished`), their armed timers, and a promise chain that
 * applies inputs of `commands/p` and `results/p` one batch at a time (the two topics are
 * delivered independently, but mutate the same runs).
 */
export class PartitionOwner {
  readonly runs = new Map<string, RunState>();
  /** Runs that have ended and are retained: reloaded from `orch.state` only to be retried. */
  finished = new FinishedRuns();
  /** Digests whose definition record is already on this partition of `orch.state`. */
  readonly digests = new Set<string>();
  readonly timers = new TimerQueue();
  /** The concurrency gates whose ids hash to p and that hold or queue runs. */
  readonly gates = new Map<string, GateState>();
  /** The `firedKey`s of timers whose TimerFired is on the bus but not yet applied. */
  readonly fired = new Set<string>();
  /** The trace spans of this partition's workflow steps whose child runs are in flight. */
  readonly childSpans = new ChildStepSpans();
  /** Each run in flight as its last snapshot wrote it (with its layout on `orch.state`). */
  readonly written = new Map<string, RunState>();
  /** The snapshots still to write: they follow the outputs, in the background. */
  readonly snapshots: SnapshotQueue;
  /** The order in which the inputs since the last landed snapshot were applied. */
  readonly appliedOrder = new AppliedOrder();
  /** While the inputs the last owner applied are applied again: the order it applied them in. */
  replay: ReplayOrder | undefined;
  #chain: Promise<void> = Promise.resolve();
  /** No input is applied any more: the partition is being handed over (its last snapshots may still be written). */
  revoked = false;
  /** The group refused a write of this member: nothing more is written for this partition, not even a snapshot. */
  fenced = false;

  constructor(
    readonly partition: number,
    readonly definitions: DefinitionPool,
    writeSnapshot: (owner: PartitionOwner, batch: SnapshotBatch) => Promise<boolean>,
    snapshotIntervalMs: number,
  ) {
    this.snapshots = new SnapshotQueue((batch) => writeSnapshot(this, batch), snapshotIntervalMs);
  }

  /** Runs `work` after every earlier batch of this partition has been applied. */
  serialize(work: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(work);
    // Keep the chain alive after a failure; the caller still sees the rejection.
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** Waits for the batch in flight, if any, then writes the snapshots queued and waits for them. */
  async drain(): Promise<void> {
    await this.#chain;
    await this.snapshots.flush();
  }

  armTimers(state: RunState, previous?: RunState): void {
    for (const timer of state.timers) {
      const before = previous?.timers.find((t) => t.id === timer.id);
      if (before?.dueAt === timer.dueAt) continue;
      this.timers.push({ dueAt: timer.dueAt, runId: state.runId, timerId: timer.id });
    }
  }

  /** A run that has ended leaves memory; what stays is enough to retry it and to expire it. */
  retire(state: RunState, digest: string, headerOnly: boolean): void {
    this.runs.delete(state.runId);
    this.written.delete(state.runId);
    this.finished.set(state.runId, { status: state.status, at: state.updatedAt, digest, payloads: holdsClaimChecks(state), headerOnly });
  }

  /** A retained run read back whole from `orch.state`, to be retried. */
  async reload(transport: Transport, stateTopic: string, runId: string): Promise<RunState | undefined> {
    const state = await readRun(transport, stateTopic, this.partition, this.definitions, runId);
    if (state !== undefined) this.written.set(runId, state);
    return state;
  }

  /** Partition restore: the runs in flight whole, the retained ones as FinishedRun. */
  async restore(transport: Transport, stateTopic: string): Promise<{ read: number; orphans: string[]; order: InputStretch[] }> {
    const contents = await readPartitionState(transport, stateTopic, this.partition, this.definitions);
    for (const [runId, state] of contents.runs) {
      const held = this.definitions.internRun(state);
      this.runs.set(runId, held);
      this.written.set(runId, held);
    }
    this.finished = contents.finished;
    for (const digest of contents.digests) this.digests.add(digest);
    for (const [id, gate] of contents.gates) this.gates.set(id, gate);
    for (const state of this.runs.values()) this.armTimers(state);
    return { read: contents.read, orphans: contents.orphans, order: contents.order };
  }
}

/** Whether a run's input or a step output is (or holds) a claim-check on `orch.payloads`. */
function holdsClaimChecks(state: RunState): boolean {
  return containsClaimCheck(state.input) || Object.values(state.steps).some((step) => containsClaimCheck(step.output));
}
