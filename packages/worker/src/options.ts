import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { z } from 'zod';
import { integerOption, objectOption, parseOptions, PAYLOAD_DEFAULTS } from '@orchestrator-lite/core';
import type { Transport } from '@orchestrator-lite/transport';
import type { TaskDefinition } from './task.js';

export interface WorkerOptions {
  transport: Transport;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers of any input and output type
  tasks: readonly TaskDefinition<any, any>[];
  /** Prefix of every topic name. @default 'orch.' */
  topicPrefix?: string;
  /** Handlers running at once, across every queue. @default 16 */
  concurrency?: number;
  /** Names this worker in results and logs. @default a random id */
  workerId?: string;
  /** Partitions of a task topic when this worker creates it. @default transport's `defaultPartitions` */
  partitions?: number;
  /** Minimum gap between two heartbeats sent for one attempt. @default 1000 */
  heartbeatThrottleMs?: number;
  /**
   * An attempt still running after this long says TaskStarted; one that ends sooner reports its
   * start with its result, one record instead of two (as Temporal records an activity's start
   * only with its end). 0 reports every start at once. @default 50
   */
  startReportDelayMs?: number;
  /**
   * Largest task output, serialized. A bigger one fails the attempt with ORCH_PAYLOAD_TOO_LARGE,
   * never retried, and is never written. @default 10 MiB (`ORCH_MAX_PAYLOAD_BYTES`)
   */
  maxOutputBytes?: number;
  /**
   * Above this many bytes an output is written once to the payloads topic and the result carries
   * a claim-check to it. @default 256 KiB
   */
  inlinePayloadBytes?: number;
  /** How long `close()` lets in-flight handlers finish before releasing them. @default 10000 */
  shutdownGraceMs?: number;
  /** @default a silent logger */
  logger?: Logger;
  /** Where the task metrics (`orch_task_*`) are registered. @default a registry of this worker's own */
  metricsRegistry?: Registry;
}

export type CompiledWorkerOptions = Required<Omit<WorkerOptions, 'logger' | 'metricsRegistry' | 'partitions'>> & { logger: Logger | undefined; partitions: number | undefined };

const workerOptionsSchema = z.object({
  transport: objectOption<Transport>('is required'),
  tasks: z
    .array(objectOption<WorkerOptions['tasks'][number]>('must be a task definition'), { error: 'must be an array of task definitions' })
    .min(1, { error: 'at least one task is needed' })
    .superRefine((tasks, ctx) => {
      const seen = new Set<string>();
      tasks.forEach((task, i) => {
        if (seen.has(task.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${task.name}" is defined twice` });
        seen.add(task.name);
      });
    }),
  topicPrefix: z.string().default('orch.'),
  concurrency: integerOption(1).default(16),
  workerId: z.string().min(1, { error: 'must not be empty' }).default(() => `worker-${Math.random().toString(36).slice(2, 10)}`),
  partitions: integerOption(1).optional(),
  heartbeatThrottleMs: integerOption(0).default(1000),
  startReportDelayMs: integerOption(0).default(50),
  maxOutputBytes: integerOption(1).default(PAYLOAD_DEFAULTS.maxBytes),
  inlinePayloadBytes: integerOption(1).default(PAYLOAD_DEFAULTS.inlineBytes),
  shutdownGraceMs: integerOption(0).default(10_000),
  logger: z.custom<Logger>().optional(),
});

export function compileWorkerOptions(options: WorkerOptions): Readonly<CompiledWorkerOptions> {
  const o = parseOptions('worker', workerOptionsSchema, options);
  return Object.freeze({ ...o, logger: o.logger, partitions: o.partitions });
}
