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

export class ScheduleService {
  readonly config: SchedulerConfig;
  store: ScheduleStore | undefined;
  private scheduler: Scheduler | undefined;
  private consumer: Consumer | undefined;
  private catchUp: CatchUp | undefined;

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
    await this.scheduler?.close();
    await this.consumer?.close();
  }
}
