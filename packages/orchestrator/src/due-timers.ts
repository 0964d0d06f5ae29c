import { encodeMessage } from '@orchestrator-lite/core';
import type { TimerFired } from '@orchestrator-lite/core';
import type { ProduceRecord, Transport } from '@orchestrator-lite/transport';
import type { Logger } from 'pino';
import { firedKey } from './partition-owner.js';
import type { PartitionOwner } from './partition-owner.js';

/** How long a timer whose TimerFired could not be written waits before it fires again. */
const REFIRE_DELAY_MS = 500;

/** A timer that fell due, and its TimerFired command. */
interface DueTimer {
  owner: PartitionOwner;
  runId: string;
  timerId: string;
  record: ProduceRecord;
}

/**
 * The one process timer behind every owned partition's durable timers: it is set for the earliest
 * timer due, and when it goes off writes a TimerFired command for each timer due then, which the
 * partition's owner applies as any other input.
 */
export class DueTimers {
  #handle: NodeJS.Timeout | undefined;
  #dueAt = Infinity;
  #closed = false;

  constructor(
    private readonly owners: ReadonlyMap<number, PartitionOwner>,
    private readonly transport: Transport,
    private readonly commandsTopic: string,
    private readonly clock: () => number,
    private readonly log: Logger | undefined,
  ) {}

  /** Sets the process timer for the earliest timer due, if that is sooner than it is set for now. */
  schedule(): void {
    if (this.#closed) return;
    let earliest = Infinity;
    for (const owner of this.owners.values()) earliest = Math.min(earliest, owner.timers.peek()?.dueAt ?? Infinity);
    if (earliest === Infinity || earliest >= this.#dueAt) return;
    if (this.#handle) clearTimeout(this.#handle);
    this.#dueAt = earliest;
    this.#handle = setTimeout(() => this.fire(), Math.max(0, earliest - this.clock()));
  }

  close(): void {
    this.#closed = true;
    if (this.#handle) clearTimeout(this.#handle);
  }

  private fire(): void {
    this.#handle = undefined;
    this.#dueAt = Infinity;
    const due = this.takeDue(this.clock());
    if (due.length > 0) {
      this.transport.produce(due.map((d) => d.record)).catch((error: unknown) => this.refire(due, error));
    }
    this.schedule();
  }

  /** Every owner's timers due at `now`, each marked fired until its TimerFired is applied. */
  private takeDue(now: number): DueTimer[] {
    const due: DueTimer[] = [];
    for (const owner of this.owners.values()) {
      for (let entry = owner.timers.peek(); entry && entry.dueAt <= now; entry = owner.timers.peek()) {
        owner.timers.pop();
        const { runId, timerId } = entry;
        const timer = owner.runs.get(runId)?.timers.find((t) => t.id === timerId);
        // Stale heap entries (cleared or re-armed timers) are dropped here.
        if (!timer || timer.dueAt > now) continue;
        if (owner.fired.has(firedKey(runId, timerId))) continue;
        owner.fired.add(firedKey(runId, timerId));
        const command: TimerFired = { v: 1, type: 'TimerFired', runId, timerId, ...(timer.armed === undefined ? {} : { armed: timer.armed }), at: now };
        due.push({ owner, runId, timerId, record: { topic: this.commandsTopic, key: runId, value: encodeMessage(command) } });
      }
    }
    return due;
  }

  /** TimerFired commands the bus did not take: their timers fire again a little later. */
  private refire(due: readonly DueTimer[], error: unknown): void {
    this.log?.warn({ err: error, count: due.length }, 'producing TimerFired failed; re-arming');
    for (const { owner, runId, timerId } of due) {
      if (owner.fired.delete(firedKey(runId, timerId))) owner.timers.push({ dueAt: this.clock() + REFIRE_DELAY_MS, runId, timerId });
    }
    this.schedule();
  }
}
