import type { Logger } from 'pino';
import type { Transport } from '@orchestrator-lite/transport';

export interface OrchestratorOptions {
  /** The bus. */
  transport: Transport;
  /** Prefix of every topic name. @default 'orch.' */
  topicPrefix?: string;
  /** Partitions of the co-partitioned topics, used when provisioning them. @default 6 */
  partitions?: number;
  /** Names this instance in logs and snapshots. @default a random id */
  instanceId?: string;
  /** @default a silent logger */
  logger?: Logger;
  /** The clock the reducer sees. Injected by tests. @default Date.now */
  clock?: () => number;
  /** The randomness the reducer sees (jitter). Injected by tests. @default Math.random */
  random?: () => number;
  /** Largest batch of inputs applied before one snapshot-and-commit. @default 200 */
  maxBatch?: number;
}

export interface CompiledOrchestratorOptions {
  transport: Transport;
  topicPrefix: string;
  partitions: number;
  instanceId: string;
  logger: Logger | undefined;
  clock: () => number;
  random: () => number;
  maxBatch: number;
}

export function compileOrchestratorOptions(options: OrchestratorOptions): Readonly<CompiledOrchestratorOptions> {
  const partitions = options.partitions ?? 6;
  const maxBatch = options.maxBatch ?? 200;
  const problems: string[] = [];
  if (!Number.isInteger(partitions) || partitions < 1) problems.push(`partitions: must be a positive integer, got ${partitions}`);
  if (!Number.isInteger(maxBatch) || maxBatch < 1) problems.push(`maxBatch: must be a positive integer, got ${maxBatch}`);
  if (problems.length > 0) throw new Error(`invalid orchestrator options:\n  ${problems.join('\n  ')}`);
  return Object.freeze({
    transport: options.transport,
    topicPrefix: options.topicPrefix ?? 'orch.',
    partitions,
    instanceId: options.instanceId ?? `orch-${Math.random().toString(36).slice(2, 10)}`,
    logger: options.logger,
    clock: options.clock ?? Date.now,
    random: options.random ?? Math.random,
    maxBatch,
  });
}
