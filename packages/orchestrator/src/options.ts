import type { Logger } from 'pino';
import type { Transport } from '@orchestrator-lite/transport';
import { z } from 'zod';
import { DEFAULT_RUN_RETENTION_MS, durationOption, functionOption, integerOption, objectOption, parseOptions, retentionSweepMs } from '@orchestrator-lite/core';

export interface OrchestratorOptions {
  /** The bus. */
  transport: Transport;
  /** Prefix of every topic name. @default 'orch.' */
  topicPrefix?: string;
  /** Partitions of the co-partitioned topics, used when provisioning them. @default transport's `defaultPartitions` */
  partitions?: number;
  /** Names this instance in logs and snapshots. @default a random id */
  instanceId?: string;
  /** @default a silent logger */
  logger?: Logger;
  /** The clock the reducer sees. Injected by tests. @default Date.now */
  clock?: () => number;
  /**
   * The randomness the reducer sees (jitter). Injected by tests. @default a generator seeded by
   * the input's identity, so that an input applied again (a replay) draws the same delays.
   */
  random?: () => number;
  /** Largest batch of inputs applied before one snapshot-and-commit. @default 200 */
  maxBatch?: number;
  /**
   * Where the transport does not commit atomically (Kafka): the least time between two snapshot
   * writes of a partition, which go in the background, off the path of a step, one at a time. A
   * run that takes several steps in that time is written once (even at 0, the batches applied
   * while a snapshot is in flight share the next one). The price: after a crash or a fence the
   * next owner applies up to that long of inputs again, in the order they were applied the first
   * time (`input-order.ts`); that changes no state (`applied`), but tasks of that stretch run again.
   * @default 1000 (DEFAULT_SNAPSHOT_INTERVAL_MS)
   */
  snapshotIntervalMs?: number;
  /**
   * How long a run that has ended stays retained (retryable, on `orch.state`) before it is
   * tombstoned, in ms. @default 7 days
   */
  runRetentionMs?: number;
  /**
   * The largest record the orchestrator writes, in bytes: a transition that would write a
   * bigger one is not applied (a completion fails its step with ORCH_PAYLOAD_TOO_LARGE, any
   * other input is dead-lettered). Keep it under the broker's `message.max.bytes`. @default 1000000
   */
  maxRecordBytes?: number;
}

export { DEFAULT_RUN_RETENTION_MS };

/**
 * The least time between two snapshot writes of a partition on Kafka. Written once a second, a run
 * in flight costs about one `orch.state` write a second whatever its pace, instead of one or two a
 * step (chain10 at saturation: 0.4 records a step instead of 2.3, and the partition's order record
 * beside them). A crash or a fence replays at most about a second of inputs.
 */
export const DEFAULT_SNAPSHOT_INTERVAL_MS = 1000;

export interface CompiledOrchestratorOptions {
  transport: Transport;
  topicPrefix: string;
  partitions: number | undefined;
  instanceId: string;
  logger: Logger | undefined;
  clock: () => number;
  random: (() => number) | undefined;
  maxBatch: number;
  snapshotIntervalMs: number;
  runRetentionMs: number;
  maxRecordBytes: number;
  /** How often expired runs are looked for: a quarter of the retention, within 100 ms .. 1 min. */
  retentionSweepMs: number;
}

const orchestratorOptionsSchema = z.object({
  transport: objectOption<Transport>('is required'),
  topicPrefix: z.string().default('orch.'),
  partitions: integerOption(1).optional(),
  instanceId: z.string().min(1, { error: 'must not be empty' }).default(() => `orch-${Math.random().toString(36).slice(2, 10)}`),
  logger: z.custom<Logger>().optional(),
  clock: functionOption<() => number>().default(() => Date.now),
  random: functionOption<() => number>().optional(),
  maxBatch: integerOption(1).default(200),
  snapshotIntervalMs: integerOption(0).default(DEFAULT_SNAPSHOT_INTERVAL_MS),
  runRetentionMs: durationOption().default(DEFAULT_RUN_RETENTION_MS),
  maxRecordBytes: integerOption(1024).default(1_000_000),
});

export function compileOrchestratorOptions(options: OrchestratorOptions): Readonly<CompiledOrchestratorOptions> {
  const o = parseOptions('orchestrator', orchestratorOptionsSchema, options);
  return Object.freeze({
    ...o,
    partitions: o.partitions,
    logger: o.logger,
    random: o.random,
    retentionSweepMs: retentionSweepMs(o.runRetentionMs),
  });
}
