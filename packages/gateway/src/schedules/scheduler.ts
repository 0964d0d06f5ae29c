/**
 * Fires schedules. The gateways share the partitions of the `schedules` topic through one
 * consumer group (`<prefix>scheduler`); the member that owns a partition fires the schedules
 * hashed to it, so each schedule has one firing process at a time and a failover hands it on.
 *
 * Exactly once, across restarts and failovers: a firing starts the run whose idempotency key is
 * `schedule:<name>:<ISO fire time>`, and only then records the fire time (`<name>#fired`). A
 * process that dies between the two leaves the time unrecorded; the next owner fires it again,
 * which names the same run, so it is started once. A new owner fires nothing before its copy of
 * the partition has caught up with the end offset it saw on assignment, so it never works from
 * an older fire time than the last owner recorded; what it owes since then it fires
 * (see plan.ts for the catch-up policies).
 */
import type { Logger } from 'pino';
import { ErrorCode, isOrchError } from '@orchestrator-lite/core';
import type { Consumer, TopicPartition, Transport } from '@orchestrator-lite/transport';
import type { SchedulerConfig } from './options.js';
import { planFirings } from './plan.js';
import { RECENT_FIRINGS, compileCron, firingKey } from './spec.js';
import type { CronClock, Firing, FiringState, ScheduleSpec } from './spec.js';
import type { ScheduleStore } from './store.js';

export interface SchedulerDeps {
  transport: Transport;
  store: ScheduleStore;
  groupId: string;
  config: SchedulerConfig;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Whether what the firing depends on (runs, definitions) has caught up with the bus. */
  ready(): boolean;
  /** Starts the firing's run; idempotent by `idempotencyKey`. */
  startRun(spec: ScheduleSpec, idempotencyKey: string): Promise<{ runId: string }>;
  /** Of the given runs, those not yet finished. */
  activeRuns(runIds: string[]): Promise<string[]>;
  cancelRun(runId: string, reason: string): Promise<void>;
}

/** What the firing asks of the engine: whether it caught up, and the runs it starts, looks at and cancels. */
export type ScheduleRunOps = Pick<SchedulerDeps, 'ready' | 'startRun' | 'activeRuns' | 'cancelRun'>;

/** Errors that make a firing impossible as specified (recorded as skipped) rather than a bus failure (retried). */
const PERMANENT: readonly string[] = [ErrorCode.NotFound, ErrorCode.PayloadTooLarge, ErrorCode.BadRequest];

export class Scheduler {
  /** Owned partition -> the end offset when it was assigned. */
  private readonly owned = new Map<number, number>();
  private readonly clocks = new Map<string, CronClock>();
  private consumer: Consumer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: SchedulerDeps) {}

  async start(): Promise<void> {
    const { transport, store, groupId, config } = this.deps;
    this.consumer = await transport.subscribe({
      groupId,
      topics: [store.topic],
      from: 'latest',
      onAssign: (partitions) => this.onAssign(partitions),
      onRevoke: (partitions) => this.onRevoke(partitions),
      // The store reads the topic for itself; membership is what matters here.
      onBatch: async (records) => {
        const last = records[records.length - 1];
        if (last !== undefined) await this.consumer?.commit([{ topic: last.topic, partition: last.partition, offset: last.offset + 1 }]);
      },
      onError: (error) => this.deps.logger.warn({ err: error }, 'the schedule firing group failed'),
    });
    if (config.tickMs > 0) {
      this.timer = setInterval(() => void this.tick(), config.tickMs);
      this.timer.unref();
    }
  }

  /** The partitions this process fires. */
  ownedPartitions(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  /** Fires what is owed now. Never runs twice at once. */
  tick(): Promise<void> {
    this.running ??= this.fireOwed().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.running;
    await this.consumer?.close();
    this.owned.clear();
  }

  private async onAssign(partitions: TopicPartition[]): Promise<void> {
    const ends = await this.deps.transport.endOffsets(this.deps.store.topic);
    for (const { partition } of partitions) this.owned.set(partition, ends[partition] ?? 0);
    this.deps.logger.debug({ partitions: this.ownedPartitions() }, 'schedule partitions assigned');
  }

  private async onRevoke(partitions: TopicPartition[]): Promise<void> {
    // A firing in flight ends before the partition moves: never two firing processes at once.
    for (const { partition } of partitions) this.owned.delete(partition);
    await this.running;
  }

  private async fireOwed(): Promise<void> {
    if (!this.deps.ready()) return;
    const { store } = this.deps;
    for (const spec of store.list()) {
      const partition = store.partitionOf(spec.name);
      const target = this.owned.get(partition);
      if (target === undefined || store.position(partition) < target) continue;
      try {
        await this.fireSchedule(spec);
      } catch (error) {
        this.deps.logger.warn({ err: error, schedule: spec.name }, 'a schedule firing failed; it is retried on the next tick');
      }
    }
  }

  private clockOf(spec: ScheduleSpec): CronClock {
    const key = `${spec.timezone} ${spec.cron}`;
    let clock = this.clocks.get(key);
    if (clock === undefined) {
      clock = compileCron(spec.cron, spec.timezone);
      this.clocks.set(key, clock);
    }
    return clock;
  }

  private async fireSchedule(spec: ScheduleSpec): Promise<void> {
    const { store, config } = this.deps;
    const state = store.firingState(spec.name);
    const plan = planFirings(spec, state, this.clockOf(spec), { now: config.now(), misfireGraceMs: config.misfireGraceMs, maxPerTick: config.maxPerTick });
    if (plan.through === undefined) return;
    const done: Firing[] = [];
    if (plan.missed !== undefined) done.push({ fireAt: plan.missed, skipped: 'missed: no process could fire it within the misfire grace (catchup none)' });
    for (const fireAt of plan.fire) done.push(await this.fireOnce(spec, fireAt, [...done].reverse().concat(state?.recent ?? [])));
    const next: FiringState = { name: spec.name, lastFireAt: plan.through, recent: [...done].reverse().concat(state?.recent ?? []).slice(0, RECENT_FIRINGS) };
    await this.deps.transport.produce([store.firedRecord(next)]);
    store.setLocal('fired', next);
  }

  private async fireOnce(spec: ScheduleSpec, fireAt: number, recent: Firing[]): Promise<Firing> {
    const iso = new Date(fireAt).toISOString();
    const previous = recent.flatMap((f) => (f.runId === undefined ? [] : [f.runId]));
    const active = spec.overlap === 'allow' ? [] : await this.deps.activeRuns(previous);
    if (spec.overlap === 'skip' && active.length > 0) {
      return { fireAt, skipped: `overlap: run ${active[0] ?? ''} is still going` };
    }
    for (const runId of active) await this.deps.cancelRun(runId, `schedule ${spec.name}: replaced by the firing of ${iso}`);
    try {
      const { runId } = await this.deps.startRun(spec, firingKey(spec.name, fireAt));
      this.deps.logger.info({ schedule: spec.name, fireAt: iso, runId }, 'schedule fired');
      return { fireAt, runId };
    } catch (error) {
      if (isOrchError(error) && PERMANENT.includes(error.code)) return { fireAt, skipped: error.message };
      throw error;
    }
  }
}
