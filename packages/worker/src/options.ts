import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { PAYLOAD_DEFAULTS } from '@orchestrator-lite/core';
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

export function compileWorkerOptions(options: WorkerOptions): Readonly<CompiledWorkerOptions> {
  const compiled = {
    transport: options.transport,
    tasks: options.tasks,
    topicPrefix: options.topicPrefix ?? 'orch.',
    concurrency: options.concurrency ?? 16,
    workerId: options.workerId ?? `worker-${Math.random().toString(36).slice(2, 10)}`,
    partitions: options.partitions,
    heartbeatThrottleMs: options.heartbeatThrottleMs ?? 1000,
    startReportDelayMs: options.startReportDelayMs ?? 50,
    maxOutputBytes: options.maxOutputBytes ?? PAYLOAD_DEFAULTS.maxBytes,
    inlinePayloadBytes: options.inlinePayloadBytes ?? PAYLOAD_DEFAULTS.inlineBytes,
    shutdownGraceMs: options.shutdownGraceMs ?? 10_000,
    logger: options.logger,
  };
  const problems: string[] = [];
  const positiveInt = (field: keyof typeof compiled, value: number): void => {
    if (!Number.isInteger(value) || value < 1) problems.push(`${field}: must be a positive integer, got ${value}`);
  };
  positiveInt('concurrency', compiled.concurrency);
  if (compiled.partitions !== undefined) positiveInt('partitions', compiled.partitions);
  positiveInt('maxOutputBytes', compiled.maxOutputBytes);
  positiveInt('inlinePayloadBytes', compiled.inlinePayloadBytes);
  if (!Number.isInteger(compiled.startReportDelayMs) || compiled.startReportDelayMs < 0) {
    problems.push(`startReportDelayMs: must be a non-negative integer, got ${compiled.startReportDelayMs}`);
  }
  if (compiled.tasks.length === 0) problems.push('tasks: at least one task is needed');
  const seen = new Set<string>();
  for (const task of compiled.tasks) {
    if (seen.has(task.name)) problems.push(`tasks: "${task.name}" is defined twice`);
    seen.add(task.name);
  }
  if (problems.length > 0) throw new Error(`invalid worker options:\n  ${problems.join('\n  ')}`);
  return Object.freeze(compiled);
}
