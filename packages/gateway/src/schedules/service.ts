/**
 * Schedules in a gateway: the projection of the `schedules` topic (every gateway reads every
 * partition, from the start, in a group of its own, never committing) and the firing loop (one
 * group shared by all gateways: see scheduler.ts).
 */
import { CatchUp } from '../catch-up.js';
import type { Logger } from 'pino';
import type { Consumer, Transport } from '@orchestrator-lite/transport';
import { resolveSchedulerConfig } from './options.js';
import type { SchedulerConfig, SchedulerOptions } from './options.js';
import { Scheduler } from './scheduler.js';
import type { ScheduleRunOps } from './scheduler.js';
import { ScheduleStore } from './store.js';

export interface ScheduleServiceOptions {
  transport: Transport;
  topic: string;
  /** This gateway's own group for the projection. */
  projectionGroup: string;
  /** The group all gateways share for firing. */
  firingGroup: string;
  logger: Logger;
  scheduler?: SchedulerOptions;
}

/** Listeners of schedule changes are told at most once in this many ms. */
const CHANGE_INTERVAL_MS = 1_000;

export class ScheduleService {
  readonly config: SchedulerConfig;
  store: ScheduleStore | undefined;
  private scheduler: Scheduler | undefined;
  private consumer: Consumer | undefined;
  private catchUp: CatchUp | undefined;
  private readonly changeListeners = new Set<() => void>();
  private lastToldAt = -Infinity;
  private changeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: ScheduleServiceOptions) {
    this.config = resolveSchedulerConfig(options.scheduler);
  }

  /** Starts reading the topic and firing, the firings' runs through `runs`. */
  async start(runs: ScheduleRunOps): Promise<void> {
    const { transport, topic, logger } = this.options;
    const partitions = await transport.partitionCount(topic);
    const store = new ScheduleStore(topic, partitions, (record, reason) => logger.warn({ key: record.key, offset: record.offset, reason }, 'a schedules record could not be read; skipped'));
    const catchUp = new CatchUp(await transport.endOffsets(topic));
    this.catchUp = catchUp;
    this.store = store;
    this.consumer = await transport.subscribe({
      groupId: this.options.projectionGroup,
      topics: [topic],
      from: 'earliest',
      onBatch: async (records) => {
        for (const record of records) store.apply(record);
        for (const partition of new Set(records.map((r) => r.partition))) catchUp.reach(partition, store.position(partition));
        this.changed();
      },
      onError: (error) => logger.warn({ err: error }, 'the schedules projection failed'),
    });
    this.scheduler = new Scheduler({
      transport,
      store,
      groupId: this.options.firingGroup,
      config: this.config,
      logger,
      ...runs,
    });
    await this.scheduler.start();
  }

  /**
   * Hears that the schedules changed (one was written, paused, deleted or fired: its next firing
   * moved), at most once a second; returns the unsubscribe.
   */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Tells the listeners now, or once a second has passed since they were last told. */
  private changed(): void {
    if (this.changeListeners.size === 0 || this.changeTimer !== undefined) return;
    const tell = (): void => {
      this.changeTimer = undefined;
      this.lastToldAt = Date.now();
      for (const listener of this.changeListeners) listener();
    };
    const wait = this.lastToldAt + CHANGE_INTERVAL_MS - Date.now();
    if (wait <= 0) tell();
    else this.changeTimer = setTimeout(tell, wait);
  }

  /** Whether the projection has read every partition up to the end offsets measured at start. */
  get loaded(): boolean {
    return this.catchUp?.done ?? false;
  }

  /** Resolves true once loaded; false after `timeoutMs`. */
  whenLoaded(timeoutMs: number): Promise<boolean> {
    return this.catchUp?.wait(timeoutMs) ?? Promise.resolve(false);
  }

  /** Fires what is owed now (the timer does this every `tickMs`). */
  tick(): Promise<void> {
    return this.scheduler?.tick() ?? Promise.resolve();
  }

  ownedPartitions(): number[] {
    return this.scheduler?.ownedPartitions() ?? [];
  }

  async close(): Promise<void> {
    if (this.changeTimer !== undefined) clearTimeout(this.changeTimer);
    this.changeTimer = undefined;
    this.changeListeners.clear();
    await this.scheduler?.close();
    await this.consumer?.close();
  }
}
